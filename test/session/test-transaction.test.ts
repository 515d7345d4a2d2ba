import { describe, expect, it } from 'vitest';
import {
  atomic,
  dbSession,
  InterfaceError,
  newAtomicSession,
  newSession,
  runInNewContext,
} from '../../src/index.js';
import { beginTestTransaction, withTestTransaction } from '../../src/session/test-transaction.js';
import { post, serveApp } from '../middleware/apps.js';
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

async function insertUser(name: string): Promise<void> {
  const session = await dbSession(engines.shared);
  await session.execute('insert into users (name) values ($1)', [name]);
}

const countUsers = (tx: { connection: { scalar(q: string): Promise<unknown> } }) =>
  tx.connection.scalar('select count(*)::int from users');

describe('the test kit', () => {
  it('lets application code commit inside the test and undoes it all afterwards', async () => {
    await withTestTransaction(engines.shared, async (tx) => {
      await runInNewContext(() => insertUser('ann'));
      await newAtomicSession(engines.shared, (s) =>
        s.execute("insert into users (name) values ('bob')"),
      );
      expect(await countUsers(tx)).toBe(2);
      // Nothing reached the database for real.
      expect(await committedUsers(db.url)).toEqual([]);
    });
    expect(await committedUsers(db.url)).toEqual([]);
    expect(engines.shared.stats().inUse).toBe(0);
  });

  it('maps session transactions to savepoints on the pinned connection', async () => {
    await withTestTransaction(engines.shared, async (tx) => {
      await atomic(engines.shared, () => insertUser('ann'));
      const session = await dbSession(engines.shared);
      expect(session.backendPid).toBe(tx.connection.backendPid);
    });
    expect(engines.shared.captured.sql).toEqual([
      'BEGIN',
      'SAVEPOINT "pgsa_savepoint_1"',
      'insert into users (name) values ($1)',
      'RELEASE SAVEPOINT "pgsa_savepoint_1"',
      'ROLLBACK',
    ]);
  });

  it('runs explicit session transactions as savepoints of the test transaction', async () => {
    await withTestTransaction(engines.shared, async (tx) => {
      await using session = await newSession(engines.shared);
      // The test transaction fixes the isolation level: the option is checked, then ignored.
      await session.begin({ isolationLevel: 'serializable' });
      await session.transaction((s) => s.execute("insert into users (name) values ('ann')"));
      await session.commit();
      expect(await countUsers(tx)).toBe(1);
    });
    expect(engines.shared.captured.sql).toEqual([
      'BEGIN',
      'SAVEPOINT "pgsa_savepoint_1"',
      'SAVEPOINT "pgsa_savepoint_2"',
      "insert into users (name) values ('ann')",
      'RELEASE SAVEPOINT "pgsa_savepoint_2"',
      'RELEASE SAVEPOINT "pgsa_savepoint_1"',
      'select count(*)::int from users',
      'ROLLBACK',
    ]);
    expect(await committedUsers(db.url)).toEqual([]);
  });

  it('rolls back a savepoint a session left open when the test transaction ends', async () => {
    const tx = await beginTestTransaction(engines.shared);
    const session = await newSession(engines.shared);
    await session.beginNested();
    await session.execute("insert into users (name) values ('ann')");
    await tx.rollback();
    expect(engines.shared.captured.sql.at(-1)).toBe('ROLLBACK');
    expect(engines.shared.stats().inUse).toBe(0);
    await session.close();
    expect(await committedUsers(db.url)).toEqual([]);
  });

  it('rolls back only the savepoint of a session that rolls back', async () => {
    await withTestTransaction(engines.shared, async (tx) => {
      await newAtomicSession(engines.shared, (s) =>
        s.execute("insert into users (name) values ('kept')"),
      );
      await using session = await newSession(engines.shared);
      await session.execute("insert into users (name) values ('undone')");
      await session.rollback();
      const names = await tx.connection.execute('select name from users');
      expect(names.fetchAll().map((row) => row.name)).toEqual(['kept']);
    });
  });

  it('gives the test function a context and rolls back even when it throws', async () => {
    const boom = new Error('boom');
    const error = await rejection(withTestTransaction(engines.shared, async () => {
      await insertUser('ann');
      throw boom;
    }), Error);
    expect(error).toBe(boom);
    expect(await committedUsers(db.url)).toEqual([]);
    expect(engines.shared.stats().inUse).toBe(0);
  });

  it('runs requests through the middleware inside the test transaction', async () => {
    const server = await serveApp('express', engines.shared);
    try {
      await using tx = await beginTestTransaction(engines.shared);
      expect((await post(`${server.url}/users/ann`)).status).toBe(201);
      expect((await post(`${server.url}/users/bob/throw`)).status).toBe(500);
      const names = await tx.connection.execute('select name from users');
      expect(names.fetchAll().map((row) => row.name)).toEqual(['ann']);
      expect(await committedUsers(db.url)).toEqual([]);
    } finally {
      await server.close();
    }
    expect(await committedUsers(db.url)).toEqual([]);
  });

  it('refuses a second test transaction on the same engine', async () => {
    await using tx = await beginTestTransaction(engines.shared);
    const error = await rejection(beginTestTransaction(engines.shared), InterfaceError);
    expect(error.message).toBe(
      'cannot begin a test transaction: one is already open for this engine; roll it back first',
    );
    expect(tx.ended).toBe(false);
    expect(engines.shared.stats().inUse).toBe(1);
  });

  it('returns the pinned connection and unpins it on rollback, harmlessly repeated', async () => {
    const tx = await beginTestTransaction(engines.shared);
    await tx.db.insertInto('users').values({ name: 'seed' }).execute();
    await tx.rollback();
    await tx.rollback();
    expect(tx.ended).toBe(true);
    expect(engines.shared.stats().inUse).toBe(0);
    // Sessions use the pool again, and commit for real.
    await newAtomicSession(engines.shared, (s) =>
      s.execute("insert into users (name) values ('real')"),
    );
    expect(await committedUsers(db.url)).toEqual(['real']);
  });
});
