import { describe, expect, it } from 'vitest';
import { dbSession, newAtomicSession, newSession, runInNewContext } from '../../src/index.js';
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

describe('newSession', () => {
  it('is independent of the context session', async () => {
    await runInNewContext(async () => {
      const contextual = await dbSession(engines.shared);
      await using session = await newSession(engines.shared);
      expect(session).not.toBe(contextual);
      await session.execute("insert into users (name) values ('outside')");
      await session.commit();
      await contextual.execute("insert into users (name) values ('inside')");
      expect(await committedUsers(db.url)).toEqual(['outside']);
    });
    expect(await committedUsers(db.url)).toEqual(['outside', 'inside']);
  });

  it('rolls back uncommitted work and releases the connection when disposed', async () => {
    {
      await using session = await newSession(engines.shared);
      await session.execute("insert into users (name) values ('ann')");
      expect(engines.shared.stats().inUse).toBe(1);
    }
    expect(engines.shared.stats().inUse).toBe(0);
    expect(await committedUsers(db.url)).toEqual([]);
  });

  it('works outside any context', async () => {
    await using session = await newSession(engines.shared);
    await session.execute("insert into users (name) values ('ann')");
    await session.commit();
    expect(await committedUsers(db.url)).toEqual(['ann']);
  });
});

describe('newAtomicSession', () => {
  it('commits when the function succeeds, returns its value and releases', async () => {
    const id = await newAtomicSession(engines.shared, (session) =>
      session.scalar("insert into users (name) values ('ann') returning id"),
    );
    expect(id).toBe(1);
    expect(await committedUsers(db.url)).toEqual(['ann']);
    expect(engines.shared.stats().inUse).toBe(0);
  });

  it('rolls back and rethrows when the function throws, and releases', async () => {
    const boom = new Error('boom');
    const error = await rejection(newAtomicSession(engines.shared, async (session) => {
      await session.execute("insert into users (name) values ('ann')");
      throw boom;
    }), Error);
    expect(error).toBe(boom);
    expect(await committedUsers(db.url)).toEqual([]);
    expect(engines.shared.stats().inUse).toBe(0);
  });

  it('runs parallel sessions on separate connections', async () => {
    const pids = await Promise.all(
      ['ann', 'bob', 'cy'].map((name) =>
        newAtomicSession(engines.shared, async (session) => {
          await session.execute('insert into users (name) values ($1)', [name]);
          // Overlap the three sessions so each must hold its own connection.
          return session.scalar('select pg_backend_pid() from pg_sleep(0.05)');
        }),
      ),
    );
    expect(new Set(pids).size).toBe(3);
    expect((await committedUsers(db.url)).sort()).toEqual(['ann', 'bob', 'cy']);
    expect(engines.shared.stats().inUse).toBe(0);
  });
});
