import { describe, expect, inject, it } from 'vitest';
import {
  InterfaceError,
  OperationalError,
  ProgrammingError,
  TwoPhaseTransaction,
} from '../../src/index.js';
import { observe, useTestDatabase, withClient } from '../support/test-database.js';
import { useEngines } from '../support/engine-fixture.js';
import { committedUsers, killBackend } from '../support/observers.js';
import { FIRST_USER_ONLY } from '../support/sample-tables.js';
import { rejection } from '../support/rejection.js';
import { BY_BACKEND_PID, notThroughPgBouncer } from '../support/pgbouncer-pass.js';

const db = useTestDatabase();
// No leak check: these tests leave their connections acquired; the engine is terminated after each.
const engines = useEngines(db, {
  defaults: { minSize: 1, maxSize: 4 },
  reset: FIRST_USER_ONLY,
});

const insert = (name: string) => `insert into users (name) values ('${name}')`;

async function preparedXids(): Promise<string[]> {
  const rows = await observe<{ gid: string }>(
    db.url,
    'select gid from pg_prepared_xacts where database = current_database() order by gid',
  );
  return rows.map((row) => row.gid);
}

describe('two-phase transactions (aiopg test_sa_transaction twophase tests)', () => {
  it('runs with max_prepared_transactions enabled on the test server', async () => {
    const [row] = await observe<{ max_prepared_transactions: string }>(
      db.url,
      'show max_prepared_transactions',
    );
    expect(Number(row?.max_prepared_transactions)).toBeGreaterThan(0);
  });

  it('prepares, stays active while prepared, and commits', async () => {
    const e = await engines.make();
    await using conn = await e.acquire();
    const tx = await conn.beginTwophase('aiopg-commit');
    expect(tx).toBeInstanceOf(TwoPhaseTransaction);
    expect(tx.xid).toBe('aiopg-commit');
    await conn.execute(insert('aaaa'));
    await tx.prepare();
    expect(tx.isActive).toBe(true);
    expect(tx.status).toBe('prepared');
    expect(conn.inTransaction).toBe(false);
    await tx.commit();
    expect(tx.isActive).toBe(false);
    expect(tx.status).toBe('committed');
    expect(e.captured.sql).toEqual([
      'BEGIN',
      insert('aaaa'),
      "PREPARE TRANSACTION 'aiopg-commit'",
      "COMMIT PREPARED 'aiopg-commit'",
    ]);
    expect(await conn.scalar('select count(*)::int from users')).toBe(2);
  });

  it('refuses a second two-phase transaction while one is in progress', async () => {
    await using conn = await (await engines.make()).acquire();
    const tx = await conn.beginTwophase();
    expect(await rejection(conn.beginTwophase(), InterfaceError)).toEqual(
      new InterfaceError(
        'cannot begin a two-phase transaction: a transaction is already in progress on this connection',
      ),
    );
    expect(tx.isActive).toBe(true);
    await tx.prepare();
    await tx.commit();
    expect(tx.status).toBe('committed');
  });

  it('keeps prepared rows invisible until COMMIT PREPARED and visible after', async () => {
    await using conn = await (await engines.make()).acquire();
    const tx = await conn.beginTwophase('visibility');
    await conn.execute(insert('prepared'));
    await tx.prepare();
    expect(await committedUsers(db.url)).toEqual(['first']);
    expect(await preparedXids()).toEqual(['visibility']);
    await tx.commit();
    expect(await committedUsers(db.url)).toEqual(['first', 'prepared']);
    expect(await preparedXids()).toEqual([]);
  });

  it('prepares first when commit() is called on an unprepared transaction', async () => {
    const e = await engines.make();
    await using conn = await e.acquire();
    const tx = await conn.beginTwophase('one-step');
    await conn.execute(insert('x'));
    await tx.commit();
    expect(e.captured.sql.slice(-2)).toEqual([
      "PREPARE TRANSACTION 'one-step'",
      "COMMIT PREPARED 'one-step'",
    ]);
    expect(await committedUsers(db.url)).toEqual(['first', 'x']);
  });

  it('rolls back an unprepared transaction with ROLLBACK', async () => {
    const e = await engines.make();
    await using conn = await e.acquire();
    const tx = await conn.beginTwophase('never');
    await conn.execute(insert('x'));
    await tx.rollback();
    expect(e.captured.sql.at(-1)).toBe('ROLLBACK');
    expect(tx.status).toBe('rolledBack');
    expect(await committedUsers(db.url)).toEqual(['first']);
  });

  it('rolls back a prepared transaction with ROLLBACK PREPARED', async () => {
    const e = await engines.make();
    await using conn = await e.acquire();
    const tx = await conn.beginTwophase('undo');
    await conn.execute(insert('x'));
    await tx.prepare();
    await tx.rollback();
    expect(e.captured.sql.at(-1)).toBe("ROLLBACK PREPARED 'undo'");
    expect(tx.status).toBe('rolledBack');
    expect(await preparedXids()).toEqual([]);
    expect(await committedUsers(db.url)).toEqual(['first']);
  });

  it('refuses to prepare twice, naming the status', async () => {
    await using conn = await (await engines.make()).acquire();
    const tx = await conn.beginTwophase('twice');
    await tx.prepare();
    expect(await rejection(tx.prepare(), InterfaceError)).toEqual(
      new InterfaceError('cannot prepare: two-phase transaction is prepared'),
    );
    await tx.rollback();
    expect(await rejection(tx.commit(), InterfaceError)).toEqual(
      new InterfaceError('cannot commit: two-phase transaction is rolled back'),
    );
  });

  it('rolls back a failed transaction on prepare() and raises saying so', async () => {
    await using conn = await (await engines.make()).acquire();
    const tx = await conn.beginTwophase('failed');
    await conn.execute(insert('x'));
    await conn.execute('select 1/0').catch(() => {});
    expect(await rejection(tx.prepare(), InterfaceError)).toEqual(
      new InterfaceError(
        'cannot prepare: two-phase transaction is failed (a statement inside it raised an ' +
          'error: division by zero); it was rolled back',
      ),
    );
    expect(tx.status).toBe('rolledBack');
    expect(await preparedXids()).toEqual([]);
    expect(await committedUsers(db.url)).toEqual(['first']);
  });

  it('reports an xid already in use as the server error and leaves the transaction rolled back', async () => {
    const e = await engines.make({ maxSize: 2 });
    await using first = await e.acquire();
    const taken = await first.beginTwophase('taken');
    await taken.prepare();
    await using conn = await e.acquire();
    const tx = await conn.beginTwophase('taken');
    await conn.execute(insert('dup'));
    const error = await rejection(tx.prepare(), ProgrammingError);
    expect(error.sqlstate).toBe('42710');
    expect(error.message).toBe('transaction identifier "taken" is already in use');
    expect(tx.status).toBe('rolledBack');
    expect(conn.inTransaction).toBe(false);
    await taken.rollback();
    expect(await committedUsers(db.url)).toEqual(['first']);
  });

  it('gives each transaction a random xid when none is given', async () => {
    await using conn = await (await engines.make()).acquire();
    const a = await conn.beginTwophase();
    await a.rollback();
    const b = await conn.beginTwophase();
    await b.rollback();
    expect(a.xid).toMatch(/^pgsa-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(b.xid).not.toBe(a.xid);
  });

  it('leaves a prepared transaction prepared at the end of an await using scope', async () => {
    await using conn = await (await engines.make()).acquire();
    {
      await using tx = await conn.beginTwophase('scoped');
      await conn.execute(insert('x'));
      await tx.prepare();
    }
    expect(await preparedXids()).toEqual(['scoped']);
    await conn.rollbackPrepared('scoped');
    expect(await preparedXids()).toEqual([]);
  });
});

describe('recovery from other connections', () => {
  it('survives the preparing connection closing and is committed from another one', async () => {
    const e = await engines.make({ maxSize: 2 });
    await using conn = await e.acquire();
    const tx = await conn.beginTwophase('survivor');
    await conn.execute(insert('durable'));
    await tx.prepare();
    await conn.close();
    expect(tx.status).toBe('prepared');
    await using other = await e.acquire();
    expect(await other.recoverTwophase()).toEqual(['survivor']);
    expect(await committedUsers(db.url)).toEqual(['first']);
    await other.commitPrepared('survivor');
    expect(await other.recoverTwophase()).toEqual([]);
    expect(await committedUsers(db.url)).toEqual(['first', 'durable']);
  });

  it.skipIf(notThroughPgBouncer(BY_BACKEND_PID))('stays recoverable after the preparing backend was killed with pg_terminate_backend', async () => {
    const e = await engines.make({ maxSize: 2 });
    await using conn = await e.acquire();
    const tx = await conn.beginTwophase('orphan');
    await conn.execute(insert('orphaned'));
    await tx.prepare();
    await killBackend(db.url, conn.backendPid);
    // The object cannot finish it on a dead connection; the prepared work is unharmed.
    await rejection(tx.commit(), OperationalError);
    expect(tx.status).toBe('prepared');
    expect(await preparedXids()).toEqual(['orphan']);
    expect(await committedUsers(db.url)).toEqual(['first']);
    await using other = await e.acquire();
    expect(await other.recoverTwophase()).toEqual(['orphan']);
    await other.commitPrepared('orphan');
    expect(await committedUsers(db.url)).toEqual(['first', 'orphaned']);
  });

  it('rolls back a prepared transaction by xid from another connection', async () => {
    const e = await engines.make({ maxSize: 2 });
    await using conn = await e.acquire();
    const tx = await conn.beginTwophase('abandon');
    await conn.execute(insert('x'));
    await tx.prepare();
    await conn.close();
    await using other = await e.acquire();
    await other.rollbackPrepared('abandon');
    expect(await preparedXids()).toEqual([]);
    expect(await committedUsers(db.url)).toEqual(['first']);
  });

  it('lists only the prepared transactions of its own database', async () => {
    const serverUrl = inject('pgUrl');
    await withClient(serverUrl, async (client) => {
      await client.query('BEGIN');
      await client.query("PREPARE TRANSACTION 'pgsa-elsewhere'");
    });
    try {
      await using conn = await (await engines.make()).acquire();
      const tx = await conn.beginTwophase('here');
      await tx.prepare();
      expect(await conn.recoverTwophase()).toEqual(['here']);
      await tx.rollback();
    } finally {
      await withClient(serverUrl, (client) => client.query("ROLLBACK PREPARED 'pgsa-elsewhere'"));
    }
  });

  it('reports committing an unknown xid as a ProgrammingError', async () => {
    await using conn = await (await engines.make()).acquire();
    const error = await rejection(conn.commitPrepared('no-such-xid'), ProgrammingError);
    expect(error.sqlstate).toBe('42704');
    expect(error.message).toBe(
      'prepared transaction with identifier "no-such-xid" does not exist',
    );
  });
});

describe('xid quoting against the real server', () => {
  const hostile = [
    "it's",
    'back\\slash',
    "a\\'b",
    '$$dollar$$',
    "'); drop table users; --",
    'ünïcødé ✓ 日本語 🚀',
    'a'.repeat(199),
  ];

  it.each(hostile.map((xid) => [xid.length > 40 ? `${xid.slice(0, 10)}… (${xid.length})` : xid, xid]))(
    'prepares and commits xid %s exactly as given, without injection',
    async (_label, xid) => {
      await using conn = await (await engines.make()).acquire();
      const tx = await conn.beginTwophase(xid);
      await conn.execute(insert('quoted'));
      await tx.prepare();
      expect(await preparedXids()).toEqual([xid]);
      expect(await conn.recoverTwophase()).toEqual([xid]);
      await tx.commit();
      expect(await preparedXids()).toEqual([]);
      expect(await committedUsers(db.url)).toEqual(['first', 'quoted']);
    },
  );

  it('rejects a 300-character xid with a clear TypeError before anything is sent', async () => {
    const e = await engines.make();
    await using conn = await e.acquire();
    const error = await rejection(conn.beginTwophase('x'.repeat(300)), TypeError);
    expect(error.message).toBe(
      'two-phase transaction id (xid) is 300 bytes long; PostgreSQL accepts at most 199',
    );
    expect(e.captured.sql).toEqual([]);
    expect(conn.inTransaction).toBe(false);
  });

  it('measures the xid limit in bytes: 100 two-byte characters are too long', async () => {
    await using conn = await (await engines.make()).acquire();
    expect(await rejection(conn.commitPrepared('é'.repeat(100)), TypeError)).toEqual(
      new TypeError('two-phase transaction id (xid) is 200 bytes long; PostgreSQL accepts at most 199'),
    );
  });
});
