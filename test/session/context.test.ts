import { describe, expect, it } from 'vitest';
import {
  closeDbSession,
  commitDbSession,
  dbSession,
  ForeignKeyViolationError,
  InterfaceError,
  ResourceClosedError,
  rollbackDbSession,
  runInNewContext,
  type Session,
} from '../../src/index.js';
import type { Database } from '../../schema/database.js';
import { observe, useTestDatabase } from '../support/test-database.js';
import { useEngines } from '../support/engine-fixture.js';
import { committedUsers } from '../support/observers.js';
import { DEFERRED_CHILDREN, EMPTY_USERS_AND_CHILDREN } from '../support/sample-tables.js';
import { rejection } from '../support/rejection.js';

const db = useTestDatabase();
const engines = useEngines(db, {
  defaults: { minSize: 1, maxSize: 5 },
  shared: true,
  setup: DEFERRED_CHILDREN,
  reset: EMPTY_USERS_AND_CHILDREN,
});

async function insertUser(name: string): Promise<void> {
  const session = await dbSession(engines.shared);
  await session.execute('insert into users (name) values ($1)', [name]);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('dbSession', () => {
  it('raises InterfaceError outside any context', async () => {
    const error = await rejection(dbSession(engines.shared), InterfaceError);
    expect(error.message).toBe(
      'no session context: wrap the work in runInNewContext or use the middleware',
    );
  });

  it('returns the same session to every await and child task of a context', async () => {
    await runInNewContext(async () => {
      const first = await dbSession(engines.shared);
      const children = await Promise.all([
        dbSession(engines.shared),
        (async () => {
          await sleep(1);
          return dbSession(engines.shared);
        })(),
        new Promise<Session<Database>>((resolve) => {
          setTimeout(() => resolve(dbSession(engines.shared)), 5);
        }),
      ]);
      for (const child of children) expect(child).toBe(first);
    });
  });

  it('gives two concurrent first calls one session, one connection and one BEGIN', async () => {
    const acquires = engines.shared.stats().acquires;
    const pids = await runInNewContext(() =>
      Promise.all(
        ['ann', 'bob'].map(async (name) => {
          const session = await dbSession(engines.shared);
          return session.scalar(
            'insert into users (name) values ($1) returning pg_backend_pid()',
            [name],
          );
        }),
      ),
    );
    expect(new Set(pids).size).toBe(1);
    expect(engines.shared.stats().acquires).toBe(acquires + 1);
    expect(engines.shared.captured.sql.filter((s) => s === 'BEGIN')).toHaveLength(1);
    expect((await committedUsers(db.url)).sort()).toEqual(['ann', 'bob']);
  });

  it('takes no connection for a session that never queries', async () => {
    const acquires = engines.shared.stats().acquires;
    await runInNewContext(async () => {
      await dbSession(engines.shared);
    });
    expect(engines.shared.stats().acquires).toBe(acquires);
    expect(engines.shared.captured.sql).toEqual([]);
  });
});

describe('runInNewContext', () => {
  it('commits the context sessions when the function succeeds and returns its value', async () => {
    const result = await runInNewContext(
      async (name: string, n: number) => {
        await insertUser(name);
        // Not committed while the context runs.
        expect(await committedUsers(db.url)).toEqual([]);
        return n * 2;
      },
      'ann',
      21,
    );
    expect(result).toBe(42);
    expect(await committedUsers(db.url)).toEqual(['ann']);
    expect(engines.shared.stats().inUse).toBe(0);
  });

  it('rolls back and rethrows when the function throws, and releases the connection', async () => {
    const boom = new Error('boom');
    const error = await rejection(runInNewContext(async () => {
      await insertUser('ann');
      throw boom;
    }), Error);
    expect(error).toBe(boom);
    expect(await committedUsers(db.url)).toEqual([]);
    expect(engines.shared.stats().inUse).toBe(0);
  });

  it('rejects with the commit error and stores nothing when the final commit fails', async () => {
    await rejection(runInNewContext(async () => {
      await insertUser('ann');
      const session = await dbSession(engines.shared);
      await session.execute('insert into children (parent_id) values (-1)');
    }), ForeignKeyViolationError);
    expect(await committedUsers(db.url)).toEqual([]);
    expect(engines.shared.stats().inUse).toBe(0);
  });

  it('commits the session of every engine used in the context', async () => {
    const other = await engines.make();
    await runInNewContext(async () => {
      await insertUser('first');
      const session = await dbSession(other);
      await session.execute("insert into users (name) values ('second')");
      expect(session).not.toBe(await dbSession(engines.shared));
    });
    expect((await committedUsers(db.url)).sort()).toEqual(['first', 'second']);
    expect(other.stats().inUse).toBe(0);
  });

  it('rolls back the sessions not yet committed when one commit fails', async () => {
    const other = await engines.make();
    await rejection(runInNewContext(async () => {
      // This engine's session comes first, and its commit fails.
      const session = await dbSession(engines.shared);
      await session.execute('insert into children (parent_id) values (-1)');
      const second = await dbSession(other);
      await second.execute("insert into users (name) values ('second')");
    }), ForeignKeyViolationError);
    expect(await committedUsers(db.url)).toEqual([]);
    expect(other.stats().inUse).toBe(0);
  });

  it('leaves the outer context and its open transaction untouched', async () => {
    await runInNewContext(async () => {
      await insertUser('outer');
      const outer = await dbSession(engines.shared);
      const inner = await runInNewContext(async () => {
        await insertUser('inner');
        return dbSession(engines.shared);
      });
      expect(inner).not.toBe(outer);
      expect(inner.closed).toBe(true);
      expect(await dbSession(engines.shared)).toBe(outer);
      expect(outer.inTransaction).toBe(true);
      expect(await committedUsers(db.url)).toEqual(['inner']);
    });
    expect(await committedUsers(db.url)).toEqual(['outer', 'inner']);
  });

  it('closes the sessions when the context ends, so later use raises ResourceClosedError', async () => {
    const session = await runInNewContext(() => dbSession(engines.shared));
    const error = await rejection(session.execute('select 1'), ResourceClosedError);
    expect(error.message).toBe(
      'cannot execute: the session is closed: its context has ended',
    );
  });

  it('refuses dbSession in a task that outlives its context', async () => {
    let late: Promise<unknown> | undefined;
    await runInNewContext(async () => {
      late = sleep(20).then(() => dbSession(engines.shared));
    });
    const error = await rejection(late ?? Promise.resolve(), InterfaceError);
    expect(error.message).toMatch(
      /^no session context: the context this code runs in has ended/,
    );
    expect(engines.shared.stats().inUse).toBe(0);
  });
});

describe('early commit, rollback and close', () => {
  it('commitDbSession makes the work durable before the context ends', async () => {
    await runInNewContext(async () => {
      await insertUser('ann');
      const pid = (await dbSession(engines.shared)).backendPid;
      await commitDbSession(engines.shared);
      expect(await committedUsers(db.url)).toEqual(['ann']);
      await insertUser('bob');
      expect((await dbSession(engines.shared)).backendPid).toBe(pid);
      expect(await committedUsers(db.url)).toEqual(['ann']);
    });
    expect(await committedUsers(db.url)).toEqual(['ann', 'bob']);
  });

  it('rollbackDbSession discards the work so far and the context goes on', async () => {
    await runInNewContext(async () => {
      await insertUser('ann');
      await rollbackDbSession(engines.shared);
      await insertUser('bob');
    });
    expect(await committedUsers(db.url)).toEqual(['bob']);
  });

  it('closeDbSession rolls back, releases the connection, and the next dbSession takes a fresh one', async () => {
    await runInNewContext(async () => {
      await insertUser('ann');
      await commitDbSession(engines.shared);
      await insertUser('uncommitted');
      const first = await dbSession(engines.shared);
      await closeDbSession(engines.shared);
      expect(first.closed).toBe(true);
      expect(engines.shared.stats().inUse).toBe(0);
      expect(await committedUsers(db.url)).toEqual(['ann']);

      const acquires = engines.shared.stats().acquires;
      const second = await dbSession(engines.shared);
      expect(second).not.toBe(first);
      expect(second.connected).toBe(false);
      await insertUser('bob');
      expect(engines.shared.stats().acquires).toBe(acquires + 1);
    });
    expect(await committedUsers(db.url)).toEqual(['ann', 'bob']);
  });

  it('closeDbSession does not throw when the session lost its connection, and discards it', async () => {
    await runInNewContext(async () => {
      await insertUser('ann');
      const session = await dbSession(engines.shared);
      await observe(db.url, 'select pg_terminate_backend($1)', [session.backendPid]);
      await expect(closeDbSession(engines.shared)).resolves.toBeUndefined();
      expect(session.closed).toBe(true);
    });
    expect(engines.shared.stats().inUse).toBe(0);
    expect(await committedUsers(db.url)).toEqual([]);
  });

  it('do nothing outside a context', async () => {
    const acquires = engines.shared.stats().acquires;
    await expect(commitDbSession(engines.shared)).resolves.toBeUndefined();
    await expect(rollbackDbSession(engines.shared)).resolves.toBeUndefined();
    await expect(closeDbSession(engines.shared)).resolves.toBeUndefined();
    expect(engines.shared.stats().acquires).toBe(acquires);
    expect(engines.shared.captured.sql).toEqual([]);
  });

  it('do nothing in a context without a session or without an open transaction', async () => {
    const acquires = engines.shared.stats().acquires;
    await runInNewContext(async () => {
      await commitDbSession(engines.shared);
      await rollbackDbSession(engines.shared);
      await closeDbSession(engines.shared);
      await dbSession(engines.shared);
      await commitDbSession(engines.shared);
      await rollbackDbSession(engines.shared);
    });
    expect(engines.shared.stats().acquires).toBe(acquires);
    expect(engines.shared.captured.sql).toEqual([]);
  });
});
