import { describe, expect, it } from 'vitest';
import {
  beginSql,
  commitPreparedSql,
  kyselyTransactionOptions,
  prepareTransactionSql,
  RECOVER_TWOPHASE_SQL,
  releaseSavepointSql,
  rollbackPreparedSql,
  rollbackToSavepointSql,
  savepointName,
  savepointSql,
  validateTransactionOptions,
} from '../../src/sql/transaction-sql.js';
import { quoteIdentifier, quoteXid } from '../../src/sql/quote.js';

describe('beginSql', () => {
  it.each([
    [{}, 'BEGIN'],
    [{ isolationLevel: 'read committed' }, 'BEGIN ISOLATION LEVEL READ COMMITTED'],
    [{ isolationLevel: 'repeatable read' }, 'BEGIN ISOLATION LEVEL REPEATABLE READ'],
    [{ isolationLevel: 'serializable' }, 'BEGIN ISOLATION LEVEL SERIALIZABLE'],
    [{ isolationLevel: 'read uncommitted' }, 'BEGIN ISOLATION LEVEL READ UNCOMMITTED'],
    [{ isolationLevel: 'SERIALIZABLE' }, 'BEGIN ISOLATION LEVEL SERIALIZABLE'],
    [{ readOnly: true }, 'BEGIN READ ONLY'],
    [{ readOnly: false }, 'BEGIN READ WRITE'],
    [{ deferrable: true }, 'BEGIN DEFERRABLE'],
    [{ deferrable: false }, 'BEGIN NOT DEFERRABLE'],
    [
      { isolationLevel: 'serializable', readOnly: true, deferrable: true },
      'BEGIN ISOLATION LEVEL SERIALIZABLE READ ONLY DEFERRABLE',
    ],
  ] as const)('builds %j as %s', (options, sql) => {
    expect(beginSql(options as never)).toBe(sql);
  });

  it.each([
    ['snapshot', 'unknown isolation level "snapshot"'],
    ['serializable; drop table users', 'unknown isolation level "serializable; drop table users"'],
    [42, 'unknown isolation level 42'],
  ])('rejects isolation level %j with a TypeError', (level, message) => {
    expect(() => beginSql({ isolationLevel: level as never })).toThrow(
      new TypeError(
        `${message}; expected one of 'read committed', 'repeatable read', 'serializable'`,
      ),
    );
  });
});

describe('validateTransactionOptions', () => {
  it('accepts undefined as no options', () => {
    expect(validateTransactionOptions(undefined)).toEqual({});
  });

  it('returns a frozen, normalized copy', () => {
    const options = validateTransactionOptions({ isolationLevel: 'Serializable' as never });
    expect(options).toEqual({ isolationLevel: 'serializable' });
    expect(Object.isFrozen(options)).toBe(true);
  });

  it('rejects unknown keys and non-boolean flags', () => {
    expect(() => validateTransactionOptions({ readonly: true } as never)).toThrow(
      new TypeError('unknown transaction option(s): readonly'),
    );
    expect(() => validateTransactionOptions({ deferrable: 1 } as never)).toThrow(
      new TypeError('deferrable must be a boolean, got 1'),
    );
    expect(() => validateTransactionOptions('serializable' as never)).toThrow(
      new TypeError('transaction options must be an object'),
    );
  });
});

describe('kyselyTransactionOptions', () => {
  it("maps Kysely's isolation level and access mode to pgsa's options", () => {
    expect(kyselyTransactionOptions({})).toEqual({});
    expect(
      kyselyTransactionOptions({ isolationLevel: 'repeatable read', accessMode: 'read only' }),
    ).toEqual({ isolationLevel: 'repeatable read', readOnly: true });
    expect(kyselyTransactionOptions({ accessMode: 'read write' })).toEqual({ readOnly: false });
    expect(beginSql(kyselyTransactionOptions({ isolationLevel: 'serializable' }))).toBe(
      'BEGIN ISOLATION LEVEL SERIALIZABLE',
    );
  });

  it("refuses 'snapshot', which PostgreSQL does not have, pointing to repeatable read", () => {
    expect(() => kyselyTransactionOptions({ isolationLevel: 'snapshot' })).toThrow(
      new TypeError(
        "isolation level 'snapshot' is not supported by PostgreSQL; its snapshot isolation is " +
          "'repeatable read'",
      ),
    );
  });

  it('refuses an unknown isolation level or access mode instead of splicing it', () => {
    expect(() =>
      kyselyTransactionOptions({ isolationLevel: 'serializable; drop table users' }),
    ).toThrow(TypeError);
    expect(() => kyselyTransactionOptions({ accessMode: 'read' })).toThrow(
      new TypeError("unknown access mode \"read\"; expected 'read only' or 'read write'"),
    );
  });
});

describe('savepoints', () => {
  it('names savepoints by sequence number', () => {
    expect(savepointName(3)).toBe('pgsa_savepoint_3');
  });

  it('builds SAVEPOINT, RELEASE and ROLLBACK TO with quoted names', () => {
    expect(savepointSql('pgsa_savepoint_1')).toBe('SAVEPOINT "pgsa_savepoint_1"');
    expect(releaseSavepointSql('pgsa_savepoint_1')).toBe('RELEASE SAVEPOINT "pgsa_savepoint_1"');
    expect(rollbackToSavepointSql('pgsa_savepoint_1')).toBe(
      'ROLLBACK TO SAVEPOINT "pgsa_savepoint_1"; RELEASE SAVEPOINT "pgsa_savepoint_1"',
    );
  });

  it('doubles embedded double quotes in identifiers', () => {
    expect(quoteIdentifier('a"b')).toBe('"a""b"');
    expect(savepointSql('x"; drop table users; --')).toBe('SAVEPOINT "x""; drop table users; --"');
  });

  it('rejects empty, NUL-containing and over-long identifiers', () => {
    expect(() => quoteIdentifier('')).toThrow(new TypeError('an identifier must be a non-empty string'));
    expect(() => quoteIdentifier('a\0b')).toThrow(
      new TypeError('an identifier must not contain NUL characters'),
    );
    expect(() => quoteIdentifier('x'.repeat(64))).toThrow(
      new TypeError('identifier is longer than 63 bytes'),
    );
    expect(quoteIdentifier('x'.repeat(63))).toBe(`"${'x'.repeat(63)}"`);
  });
});

describe('quoteXid', () => {
  it.each([
    ['plain', "'plain'"],
    ["it's", "'it''s'"],
    ["''", "''''''"],
    ['back\\slash', "E'back\\\\slash'"],
    ["a\\'b", "E'a\\\\''b'"],
    ['$$dollar$$', "'$$dollar$$'"],
    ["'); drop table users; --", "'''); drop table users; --'"],
    ['ünïcødé ✓ 日本語 🚀', "'ünïcødé ✓ 日本語 🚀'"],
  ])('quotes %j as %s', (xid, literal) => {
    expect(quoteXid(xid)).toBe(literal);
  });

  it('accepts 199 bytes and rejects 200 (PostgreSQL GIDSIZE)', () => {
    expect(quoteXid('a'.repeat(199))).toBe(`'${'a'.repeat(199)}'`);
    expect(() => quoteXid('a'.repeat(200))).toThrow(
      new TypeError('two-phase transaction id (xid) is 200 bytes long; PostgreSQL accepts at most 199'),
    );
  });

  it('rejects a 300-character xid with a clear error', () => {
    expect(() => quoteXid('x'.repeat(300))).toThrow(
      new TypeError('two-phase transaction id (xid) is 300 bytes long; PostgreSQL accepts at most 199'),
    );
  });

  it('rejects empty, non-string and NUL-containing xids', () => {
    const empty = new TypeError('a two-phase transaction id (xid) must be a non-empty string');
    expect(() => quoteXid('')).toThrow(empty);
    expect(() => quoteXid(42 as never)).toThrow(empty);
    expect(() => quoteXid('a\0b')).toThrow(
      new TypeError('a two-phase transaction id (xid) must not contain NUL characters'),
    );
  });

  it('builds PREPARE TRANSACTION, COMMIT PREPARED and ROLLBACK PREPARED with the literal', () => {
    expect(prepareTransactionSql("o'k")).toBe("PREPARE TRANSACTION 'o''k'");
    expect(commitPreparedSql("o'k")).toBe("COMMIT PREPARED 'o''k'");
    expect(rollbackPreparedSql("o'k")).toBe("ROLLBACK PREPARED 'o''k'");
  });

  it('recovers only the current database, oldest first', () => {
    expect(RECOVER_TWOPHASE_SQL).toBe(
      'SELECT gid FROM pg_prepared_xacts WHERE database = current_database() ORDER BY prepared, gid',
    );
  });
});
