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
import { committedUsers, trackedEngine, useTrackedEngine } from './tracked-engine.js';

const db = useTestDatabase();
const tracked = useTrackedEngine(db, { deferredChildren: true });

async function insertUser(name: string): Promise<void> {
  const session = await dbSession(tracked.engine);
  await session.execute('insert into users (name) values ($1)', [name]);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('dbSession', () => {
  it('raises InterfaceError outside any context', async () => {
    const error = await dbSession(tracked.engine).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InterfaceError);
    expect((error as Error).message).toBe(
      'no session context: wrap the work in runInNewContext or use the middleware',
    );
  });

  it('returns the same session to every await and child task of a context', async () => {
    await runInNewContext(async () => {
      const first = await dbSession(tracked.engine);
      const children = await Promise.all([
        dbSession(tracked.engine),
        (async () => {
          await sleep(1);
          return dbSession(tracked.engine);
        })(),
        new Promise<Session<Database>>((resolve) => {
          setTimeout(() => resolve(dbSession(tracked.engine)), 5);
        }),
      ]);
      for (const child of children) expect(child).toBe(first);
    });
  });

  it('gives two concurrent first calls one session, one connection and one BEGIN', async () => {
    const acquires = tracked.acquires();
    const pids = await runInNewContext(() =>
      Promise.all(
        ['ann', 'bob'].map(async (name) => {
          const session = await dbSession(tracked.engine);
          return session.scalar(
            'insert into users (name) values ($1) returning pg_backend_pid()',
            [name],
          );
        }),
      ),
    );
    expect(new Set(pids).size).toBe(1);
    expect(tracked.acquires()).toBe(acquires + 1);
    expect(tracked.statements.filter((s) => s === 'BEGIN')).toHaveLength(1);
    expect((await committedUsers(db.url)).sort()).toEqual(['ann', 'bob']);
  });

  it('takes no connection for a session that never queries', async () => {
    const acquires = tracked.acquires();
    await runInNewContext(async () => {
      await dbSession(tracked.engine);
    });
    expect(tracked.acquires()).toBe(acquires);
    expect(tracked.statements).toEqual([]);
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
    expect(tracked.engine.stats().inUse).toBe(0);
  });

  it('rolls back and rethrows when the function throws, and releases the connection', async () => {
    const boom = new Error('boom');
    const error = await runInNewContext(async () => {
      await insertUser('ann');
      throw boom;
    }).catch((e: unknown) => e);
    expect(error).toBe(boom);
    expect(await committedUsers(db.url)).toEqual([]);
    expect(tracked.engine.stats().inUse).toBe(0);
  });

  it('rejects with the commit error and stores nothing when the final commit fails', async () => {
    const error = await runInNewContext(async () => {
      await insertUser('ann');
      const session = await dbSession(tracked.engine);
      await session.execute('insert into children (parent_id) values (-1)');
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ForeignKeyViolationError);
    expect(await committedUsers(db.url)).toEqual([]);
    expect(tracked.engine.stats().inUse).toBe(0);
  });

  it('commits the session of every engine used in the context', async () => {
    const other = await trackedEngine(db.url);
    try {
      await runInNewContext(async () => {
        await insertUser('first');
        const session = await dbSession(other.engine);
        await session.execute("insert into users (name) values ('second')");
        expect(session).not.toBe(await dbSession(tracked.engine));
      });
      expect((await committedUsers(db.url)).sort()).toEqual(['first', 'second']);
      expect(other.engine.stats().inUse).toBe(0);
    } finally {
      await other.engine.close();
      await other.engine.waitClosed();
    }
  });

  it('rolls back the sessions not yet committed when one commit fails', async () => {
    const other = await trackedEngine(db.url);
    try {
      const error = await runInNewContext(async () => {
        // This engine's session comes first, and its commit fails.
        const session = await dbSession(tracked.engine);
        await session.execute('insert into children (parent_id) values (-1)');
        const second = await dbSession(other.engine);
        await second.execute("insert into users (name) values ('second')");
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ForeignKeyViolationError);
      expect(await committedUsers(db.url)).toEqual([]);
      expect(other.engine.stats().inUse).toBe(0);
    } finally {
      await other.engine.close();
      await other.engine.waitClosed();
    }
  });

  it('leaves the outer context and its open transaction untouched', async () => {
    await runInNewContext(async () => {
      await insertUser('outer');
      const outer = await dbSession(tracked.engine);
      const inner = await runInNewContext(async () => {
        await insertUser('inner');
        return dbSession(tracked.engine);
      });
      expect(inner).not.toBe(outer);
      expect(inner.closed).toBe(true);
      expect(await dbSession(tracked.engine)).toBe(outer);
      expect(outer.inTransaction).toBe(true);
      expect(await committedUsers(db.url)).toEqual(['inner']);
    });
    expect(await committedUsers(db.url)).toEqual(['outer', 'inner']);
  });

  it('closes the sessions when the context ends, so later use raises ResourceClosedError', async () => {
    const session = await runInNewContext(() => dbSession(tracked.engine));
    const error = await session.execute('select 1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResourceClosedError);
    expect((error as Error).message).toBe(
      'cannot execute: the session is closed: its context has ended',
    );
  });

  it('refuses dbSession in a task that outlives its context', async () => {
    let late: Promise<unknown> | undefined;
    await runInNewContext(async () => {
      late = sleep(20).then(() => dbSession(tracked.engine));
    });
    const error = await late?.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InterfaceError);
    expect((error as Error).message).toMatch(
      /^no session context: the context this code runs in has ended/,
    );
    expect(tracked.engine.stats().inUse).toBe(0);
  });
});

describe('early commit, rollback and close', () => {
  it('commitDbSession makes the work durable before the context ends', async () => {
    await runInNewContext(async () => {
      await insertUser('ann');
      const pid = (await dbSession(tracked.engine)).backendPid;
      await commitDbSession(tracked.engine);
      expect(await committedUsers(db.url)).toEqual(['ann']);
      await insertUser('bob');
      expect((await dbSession(tracked.engine)).backendPid).toBe(pid);
      expect(await committedUsers(db.url)).toEqual(['ann']);
    });
    expect(await committedUsers(db.url)).toEqual(['ann', 'bob']);
  });

  it('rollbackDbSession discards the work so far and the context goes on', async () => {
    await runInNewContext(async () => {
      await insertUser('ann');
      await rollbackDbSession(tracked.engine);
      await insertUser('bob');
    });
    expect(await committedUsers(db.url)).toEqual(['bob']);
  });

  it('closeDbSession rolls back, releases the connection, and the next dbSession takes a fresh one', async () => {
    await runInNewContext(async () => {
      await insertUser('ann');
      await commitDbSession(tracked.engine);
      await insertUser('uncommitted');
      const first = await dbSession(tracked.engine);
      await closeDbSession(tracked.engine);
      expect(first.closed).toBe(true);
      expect(tracked.engine.stats().inUse).toBe(0);
      expect(await committedUsers(db.url)).toEqual(['ann']);

      const acquires = tracked.acquires();
      const second = await dbSession(tracked.engine);
      expect(second).not.toBe(first);
      expect(second.connected).toBe(false);
      await insertUser('bob');
      expect(tracked.acquires()).toBe(acquires + 1);
    });
    expect(await committedUsers(db.url)).toEqual(['ann', 'bob']);
  });

  it('closeDbSession does not throw when the session lost its connection, and discards it', async () => {
    await runInNewContext(async () => {
      await insertUser('ann');
      const session = await dbSession(tracked.engine);
      await observe(db.url, 'select pg_terminate_backend($1)', [session.backendPid]);
      await expect(closeDbSession(tracked.engine)).resolves.toBeUndefined();
      expect(session.closed).toBe(true);
    });
    expect(tracked.engine.stats().inUse).toBe(0);
    expect(await committedUsers(db.url)).toEqual([]);
  });

  it('do nothing outside a context', async () => {
    const acquires = tracked.acquires();
    await expect(commitDbSession(tracked.engine)).resolves.toBeUndefined();
    await expect(rollbackDbSession(tracked.engine)).resolves.toBeUndefined();
    await expect(closeDbSession(tracked.engine)).resolves.toBeUndefined();
    expect(tracked.acquires()).toBe(acquires);
    expect(tracked.statements).toEqual([]);
  });

  it('do nothing in a context without a session or without an open transaction', async () => {
    const acquires = tracked.acquires();
    await runInNewContext(async () => {
      await commitDbSession(tracked.engine);
      await rollbackDbSession(tracked.engine);
      await closeDbSession(tracked.engine);
      await dbSession(tracked.engine);
      await commitDbSession(tracked.engine);
      await rollbackDbSession(tracked.engine);
    });
    expect(tracked.acquires()).toBe(acquires);
    expect(tracked.statements).toEqual([]);
  });
});
