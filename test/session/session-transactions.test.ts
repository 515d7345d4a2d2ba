import { describe, expect, it } from 'vitest';
import {
  InterfaceError,
  NestedTransaction,
  newSession,
  Transaction,
} from '../../src/index.js';
import { useTestDatabase } from '../support/test-database.js';
import { useEngines } from '../support/engine-fixture.js';
import { committedUsers } from '../support/observers.js';
import { EMPTY_USERS } from '../support/sample-tables.js';
import { rejection } from '../support/rejection.js';

const db = useTestDatabase();
const engines = useEngines(db, {
  defaults: { minSize: 1, maxSize: 5 },
  shared: true,
  reset: EMPTY_USERS,
});

const INSERT = 'insert into users (name) values ($1)';

describe('Session.begin', () => {
  it('begins the session transaction with the given options and returns it as a Transaction', async () => {
    await using session = await newSession(engines.shared);
    const tx = await session.begin({ isolationLevel: 'serializable', readOnly: false });
    expect(tx).toBeInstanceOf(Transaction);
    expect(tx.isActive).toBe(true);
    expect(session.inTransaction).toBe(true);
    await session.execute(INSERT, ['ann']);
    expect(await committedUsers(db.url)).toEqual([]);
    await tx.commit();
    expect(session.inTransaction).toBe(false);
    expect(await committedUsers(db.url)).toEqual(['ann']);
    expect(engines.shared.captured.sql).toEqual([
      'BEGIN ISOLATION LEVEL SERIALIZABLE READ WRITE',
      INSERT,
      'COMMIT',
    ]);
  });

  it('is ended by session.commit() like a lazily begun transaction', async () => {
    await using session = await newSession(engines.shared);
    const tx = await session.begin();
    await session.execute(INSERT, ['ann']);
    await session.commit();
    expect(tx.status).toBe('committed');
    expect(await committedUsers(db.url)).toEqual(['ann']);
  });

  it('returns an inner transaction joined to the open one, sending nothing', async () => {
    await using session = await newSession(engines.shared);
    await session.execute(INSERT, ['ann']);
    const inner = await session.begin();
    expect(engines.shared.captured.sql).toEqual(['BEGIN', INSERT]);
    await inner.commit(); // joined: the session's transaction decides
    expect(session.inTransaction).toBe(true);
    await session.commit();
    expect(await committedUsers(db.url)).toEqual(['ann']);
  });

  it('refuses options while a transaction is open, as conn.begin does', async () => {
    await using session = await newSession(engines.shared);
    await session.execute(INSERT, ['ann']);
    const error = await rejection(
      session.begin({ isolationLevel: 'serializable' }),
      InterfaceError,
    );
    expect(error.message).toBe(
      'cannot begin with isolationLevel, readOnly or deferrable: a transaction is already ' +
        'active on this connection and the inner one joins it',
    );
    expect(session.inTransaction).toBe(true);
  });

  it('refuses an unknown isolation level with TypeError before taking a connection', async () => {
    await using session = await newSession(engines.shared);
    const acquires = engines.shared.stats().acquires;
    const error = await rejection(
      session.begin({ isolationLevel: 'snapshot' as 'serializable' }),
      TypeError,
    );
    expect(error.message).toMatch(/^unknown isolation level "snapshot"/);
    expect(engines.shared.stats().acquires).toBe(acquires);
    expect(engines.shared.captured.sql).toEqual([]);
  });
});

describe('Session.beginNested', () => {
  it('begins the session transaction first, then opens a savepoint (as SQLAlchemy)', async () => {
    await using session = await newSession(engines.shared);
    const savepoint = await session.beginNested();
    expect(savepoint).toBeInstanceOf(NestedTransaction);
    expect(savepoint.savepoint).toBe('pgsa_savepoint_1');
    await session.execute(INSERT, ['draft']);
    await savepoint.rollback();
    await session.execute(INSERT, ['ann']);
    await session.commit();
    expect(await committedUsers(db.url)).toEqual(['ann']);
    expect(engines.shared.captured.sql).toEqual([
      'BEGIN',
      'SAVEPOINT "pgsa_savepoint_1"',
      INSERT,
      'ROLLBACK TO SAVEPOINT "pgsa_savepoint_1"; RELEASE SAVEPOINT "pgsa_savepoint_1"',
      INSERT,
      'COMMIT',
    ]);
  });

  it('opens a savepoint inside the open transaction, whose release keeps the work', async () => {
    await using session = await newSession(engines.shared);
    await session.execute(INSERT, ['ann']);
    const savepoint = await session.beginNested();
    await session.execute(INSERT, ['bob']);
    await savepoint.commit();
    await session.commit();
    expect(await committedUsers(db.url)).toEqual(['ann', 'bob']);
    expect(engines.shared.captured.sql.filter((s) => s === 'BEGIN')).toHaveLength(1);
  });
});

describe('Session.transaction', () => {
  it('begins, runs fn with the session and commits, returning what fn returns', async () => {
    await using session = await newSession(engines.shared);
    const value = await session.transaction(async (s) => {
      expect(s).toBe(session);
      await s.execute(INSERT, ['ann']);
      return 42;
    });
    expect(value).toBe(42);
    expect(session.inTransaction).toBe(false);
    expect(await committedUsers(db.url)).toEqual(['ann']);
    expect(engines.shared.captured.sql).toEqual(['BEGIN', INSERT, 'COMMIT']);
  });

  it('begins with the given options when no transaction is open', async () => {
    await using session = await newSession(engines.shared);
    await session.transaction((s) => s.execute(INSERT, ['ann']), { isolationLevel: 'repeatable read' });
    expect(engines.shared.captured.sql[0]).toBe('BEGIN ISOLATION LEVEL REPEATABLE READ');
  });

  it('runs in a savepoint of the open transaction; a failure undoes only that and is rethrown', async () => {
    await using session = await newSession(engines.shared);
    await session.execute(INSERT, ['ann']);
    const boom = new Error('boom');
    const error = await rejection(
      session.transaction(async (s) => {
        await s.execute(INSERT, ['bob']);
        throw boom;
      }),
      Error,
    );
    expect(error).toBe(boom);
    expect(session.inTransaction).toBe(true);
    await session.commit();
    expect(await committedUsers(db.url)).toEqual(['ann']);
    expect(engines.shared.captured.sql.slice(2, 5)).toEqual([
      'SAVEPOINT "pgsa_savepoint_1"',
      INSERT,
      'ROLLBACK TO SAVEPOINT "pgsa_savepoint_1"; RELEASE SAVEPOINT "pgsa_savepoint_1"',
    ]);
  });

  it('refuses options inside an open transaction, as conn.transaction does', async () => {
    await using session = await newSession(engines.shared);
    await session.execute(INSERT, ['ann']);
    const error = await rejection(
      session.transaction(async () => 1, { isolationLevel: 'serializable' }),
      InterfaceError,
    );
    expect(error.message).toBe(
      'cannot run a nested transaction() with isolationLevel, readOnly or deferrable: it runs ' +
        'in a savepoint of the transaction in progress, whose settings apply',
    );
  });

  it('rolls back the whole session transaction it began when fn throws', async () => {
    await using session = await newSession(engines.shared);
    const boom = new Error('boom');
    const error = await rejection(
      session.transaction(async (s) => {
        await s.execute(INSERT, ['ann']);
        throw boom;
      }),
      Error,
    );
    expect(error).toBe(boom);
    expect(session.inTransaction).toBe(false);
    expect(engines.shared.captured.sql).toEqual(['BEGIN', INSERT, 'ROLLBACK']);
    expect(await committedUsers(db.url)).toEqual([]);
  });
});
