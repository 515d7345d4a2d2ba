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
import { committedUsers, useTrackedEngine } from './tracked-engine.js';

const db = useTestDatabase();
const tracked = useTrackedEngine(db);

async function insertUser(name: string): Promise<void> {
  const session = await dbSession(tracked.engine);
  await session.execute('insert into users (name) values ($1)', [name]);
}

const countUsers = (tx: { connection: { scalar(q: string): Promise<unknown> } }) =>
  tx.connection.scalar('select count(*)::int from users');

describe('the test kit', () => {
  it('lets application code commit inside the test and undoes it all afterwards', async () => {
    await withTestTransaction(tracked.engine, async (tx) => {
      await runInNewContext(() => insertUser('ann'));
      await newAtomicSession(tracked.engine, (s) =>
        s.execute("insert into users (name) values ('bob')"),
      );
      expect(await countUsers(tx)).toBe(2);
      // Nothing reached the database for real.
      expect(await committedUsers(db.url)).toEqual([]);
    });
    expect(await committedUsers(db.url)).toEqual([]);
    expect(tracked.engine.stats().inUse).toBe(0);
  });

  it('maps session transactions to savepoints on the pinned connection', async () => {
    await withTestTransaction(tracked.engine, async (tx) => {
      await atomic(tracked.engine, () => insertUser('ann'));
      const session = await dbSession(tracked.engine);
      expect(session.backendPid).toBe(tx.connection.backendPid);
    });
    expect(tracked.statements).toEqual([
      'BEGIN',
      expect.stringMatching(/^SAVEPOINT "pgsa_test_\d+_1"$/),
      'insert into users (name) values ($1)',
      expect.stringMatching(/^RELEASE SAVEPOINT "pgsa_test_\d+_1"$/),
      'ROLLBACK',
    ]);
    expect(tracked.statements[1]?.slice(10)).toBe(tracked.statements[3]?.slice(18));
  });

  it('rolls back only the savepoint of a session that rolls back', async () => {
    await withTestTransaction(tracked.engine, async (tx) => {
      await newAtomicSession(tracked.engine, (s) =>
        s.execute("insert into users (name) values ('kept')"),
      );
      await using session = await newSession(tracked.engine);
      await session.execute("insert into users (name) values ('undone')");
      await session.rollback();
      const names = await tx.connection.execute('select name from users');
      expect(names.fetchAll().map((row) => row.name)).toEqual(['kept']);
    });
  });

  it('gives the test function a context and rolls back even when it throws', async () => {
    const boom = new Error('boom');
    const error = await withTestTransaction(tracked.engine, async () => {
      await insertUser('ann');
      throw boom;
    }).catch((e: unknown) => e);
    expect(error).toBe(boom);
    expect(await committedUsers(db.url)).toEqual([]);
    expect(tracked.engine.stats().inUse).toBe(0);
  });

  it('runs requests through the middleware inside the test transaction', async () => {
    const server = await serveApp('express', tracked.engine);
    try {
      await using tx = await beginTestTransaction(tracked.engine);
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
    await using tx = await beginTestTransaction(tracked.engine);
    const error = await beginTestTransaction(tracked.engine).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InterfaceError);
    expect((error as Error).message).toBe(
      'cannot begin a test transaction: one is already open for this engine; roll it back first',
    );
    expect(tx.ended).toBe(false);
    expect(tracked.engine.stats().inUse).toBe(1);
  });

  it('returns the pinned connection and unpins it on rollback, harmlessly repeated', async () => {
    const tx = await beginTestTransaction(tracked.engine);
    await tx.db.insertInto('users').values({ name: 'seed' }).execute();
    await tx.rollback();
    await tx.rollback();
    expect(tx.ended).toBe(true);
    expect(tracked.engine.stats().inUse).toBe(0);
    // Sessions use the pool again, and commit for real.
    await newAtomicSession(tracked.engine, (s) =>
      s.execute("insert into users (name) values ('real')"),
    );
    expect(await committedUsers(db.url)).toEqual(['real']);
  });
});
