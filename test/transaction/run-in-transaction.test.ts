import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { InterfaceError, OperationalError, type SAConnection } from '../../src/index.js';
import type { Database } from '../../schema/database.js';
import { useTestDatabase } from '../support/test-database.js';
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

const add = (conn: SAConnection<Database>, name: string) =>
  conn.db.insertInto('users').values({ name }).execute();

describe('conn.transaction(fn)', () => {
  it('commits when fn resolves and returns its value', async () => {
    const e = await engines.make();
    await using conn = await e.acquire();
    const value = await conn.transaction(async (c) => {
      expect(c).toBe(conn);
      expect(c.inTransaction).toBe(true);
      await add(c, 'ann');
      return 42;
    });
    expect(value).toBe(42);
    expect(e.captured.sql[0]).toBe('BEGIN');
    expect(e.captured.sql.at(-1)).toBe('COMMIT');
    expect(await committedUsers(db.url)).toEqual(['first', 'ann']);
  });

  it('rolls back and rethrows the very error fn threw', async () => {
    const e = await engines.make();
    await using conn = await e.acquire();
    const boom = new Error('boom');
    const error = await rejection(
      conn.transaction(async (c) => {
        await add(c, 'ann');
        throw boom;
      }),
      Error,
    );
    expect(error).toBe(boom);
    expect(e.captured.sql.at(-1)).toBe('ROLLBACK');
    expect(conn.inTransaction).toBe(false);
    expect(await committedUsers(db.url)).toEqual(['first']);
  });

  it('applies isolationLevel, readOnly and deferrable', async () => {
    await using conn = await (await engines.make()).acquire();
    const level = await conn.transaction((c) => c.scalar('show transaction_isolation'), {
      isolationLevel: 'repeatable read',
    });
    expect(level).toBe('repeatable read');
    const readOnly = await conn.transaction((c) => c.scalar('show transaction_read_only'), {
      readOnly: true,
    });
    expect(readOnly).toBe('on');
  });

  it('uses a savepoint when nested: a failing inner unit leaves the outer usable', async () => {
    const e = await engines.make();
    await using conn = await e.acquire();
    await conn.transaction(async (c) => {
      await add(c, 'outer');
      const inner = await rejection(
        c.transaction(async () => {
          await add(c, 'inner');
          throw new Error('inner failed');
        }),
        Error,
      );
      expect(inner).toEqual(new Error('inner failed'));
      await c.transaction(() => add(c, 'second'));
    });
    expect(e.captured.sql.filter((s) => /SAVEPOINT/.test(s))).toEqual([
      'SAVEPOINT "pgsa_savepoint_1"',
      'ROLLBACK TO SAVEPOINT "pgsa_savepoint_1"; RELEASE SAVEPOINT "pgsa_savepoint_1"',
      'SAVEPOINT "pgsa_savepoint_2"',
      'RELEASE SAVEPOINT "pgsa_savepoint_2"',
    ]);
    expect(await committedUsers(db.url)).toEqual(['first', 'outer', 'second']);
  });

  it('uses a savepoint inside a transaction opened with begin()', async () => {
    await using conn = await (await engines.make()).acquire();
    const tx = await conn.begin();
    await conn.transaction(() => add(conn, 'inside')).catch(() => {});
    expect(tx.isActive).toBe(true);
    await tx.rollback();
    expect(await committedUsers(db.url)).toEqual(['first']);
  });

  it('refuses options on a nested call, leaving the outer transaction intact', async () => {
    await using conn = await (await engines.make()).acquire();
    await conn.transaction(async (c) => {
      await add(c, 'outer');
      expect((await rejection(c.transaction(async () => {}, { isolationLevel: 'serializable' }), InterfaceError)).message).toMatch(
        /^cannot run a nested transaction\(\) with isolationLevel, readOnly or deferrable/,
      );
    });
    expect(await committedUsers(db.url)).toEqual(['first', 'outer']);
  });

  it('never reports success when fn swallowed a statement error', async () => {
    await using conn = await (await engines.make()).acquire();
    const error = await rejection(
      conn.transaction(async (c) => {
        await add(c, 'doomed');
        await c.execute('select 1/0').catch(() => {});
        return 'looks fine';
      }),
      InterfaceError,
    );
    expect(error.message).toBe(
      'cannot commit: transaction is failed (a statement inside it raised an error: division by ' +
        'zero); it was rolled back',
    );
    expect(conn.inTransaction).toBe(false);
    expect(await committedUsers(db.url)).toEqual(['first']);
  });

  it('rolls everything back when fn leaves a savepoint open', async () => {
    await using conn = await (await engines.make()).acquire();
    const error = await rejection(
      conn.transaction(async (c) => {
        await add(c, 'outer');
        await c.beginNested();
        await add(c, 'dangling');
      }),
      InterfaceError,
    );
    expect(error.message).toMatch(/^cannot commit: transaction is not the innermost/);
    expect(conn.inTransaction).toBe(false);
    expect(await committedUsers(db.url)).toEqual(['first']);
  });

  it.skipIf(notThroughPgBouncer(BY_BACKEND_PID))('keeps fn’s error when the rollback fails too, and logs the rollback failure', async () => {
    const e = await engines.make();
    await using conn = await e.acquire();
    const original = new Error('original');
    const error = await rejection(
      conn.transaction(async (c) => {
        await add(c, 'ghost');
        await killBackend(db.url, c.backendPid);
        throw original;
      }),
      Error,
    );
    expect(error).toBe(original);
    expect(e.captured.warnings).toContainEqual(
      expect.stringMatching(
        /^rollback after an error failed \(.+\); rethrowing the original error: original$/,
      ),
    );
    expect(await committedUsers(db.url)).toEqual(['first']);
  });

  it('rejects a non-function with a TypeError', async () => {
    await using conn = await (await engines.make()).acquire();
    expect(await rejection(conn.transaction(42 as never), TypeError)).toEqual(
      new TypeError('transaction(fn) expects a function'),
    );
    expect(conn.inTransaction).toBe(false);
  });
});

describe('engine.transaction(fn)', () => {
  it('acquires, commits and releases', async () => {
    const e = await engines.make();
    const name = await e.transaction(async (conn) => {
      expect(e.stats().inUse).toBe(1);
      await add(conn, 'ann');
      return 'ann';
    });
    expect(name).toBe('ann');
    expect(e.stats()).toMatchObject({ inUse: 0, free: 1 });
    expect(await committedUsers(db.url)).toEqual(['first', 'ann']);
  });

  it('rolls back, releases and rethrows with the attempt count', async () => {
    const e = await engines.make();
    const boom = new Error('boom');
    const error = await rejection(
      e.transaction(async (conn) => {
        await add(conn, 'ann');
        throw boom;
      }),
      Error,
    );
    expect(error).toBe(boom);
    expect((error as { attempts?: number }).attempts).toBe(1);
    expect(e.stats()).toMatchObject({ inUse: 0, free: 1 });
    expect(e.captured.warnings).toEqual([]);
    expect(await committedUsers(db.url)).toEqual(['first']);
  });

  it.skipIf(notThroughPgBouncer(BY_BACKEND_PID))('does not retry a lost connection, and discards it', async () => {
    const e = await engines.make({ minSize: 1, maxSize: 1 });
    let calls = 0;
    let pid = 0;
    const error = await rejection(
      e.transaction(
        async (conn) => {
          calls += 1;
          pid = conn.backendPid;
          await killBackend(db.url, pid);
          await add(conn, 'ghost');
        },
        { retries: 3 },
      ),
      OperationalError,
    );
    expect((error as { attempts?: number }).attempts).toBe(1);
    expect(calls).toBe(1);
    await using next = await e.acquire();
    expect(next.backendPid).not.toBe(pid);
    expect(await next.scalar('select 1')).toBe(1);
    expect(await committedUsers(db.url)).toEqual(['first']);
  });

  it.each([
    [{ retries: -1 }, 'retries must be a non-negative integer, got -1'],
    [{ retries: 1.5 }, 'retries must be a non-negative integer, got 1.5'],
    [{ backoff: { initialMs: -5 } }, 'backoff.initialMs is invalid: -5'],
    [{ backoff: { factor: 2 } }, 'unknown backoff option: factor'],
    [
      { isolationLevel: 'eventual' },
      'unknown isolation level "eventual"; expected one of ' +
        "'read committed', 'repeatable read', 'serializable'",
    ],
    [{ retry: 3 }, 'unknown transaction option(s): retry'],
  ])('rejects options %j with a TypeError before acquiring', async (options, message) => {
    const e = await engines.make();
    const acquires = e.stats().acquires;
    expect(await rejection(e.transaction(async () => {}, options as never), TypeError)).toEqual(
      new TypeError(message),
    );
    expect(e.stats().acquires).toBe(acquires);
  });
});

describe('Kysely transactions go through pgsa transaction objects', () => {
  it('runs conn.db.transaction() as a pgsa transaction', async () => {
    const e = await engines.make();
    await using conn = await e.acquire();
    await conn.db.transaction().execute(async (trx) => {
      expect(conn.inTransaction).toBe(true);
      await trx.insertInto('users').values({ name: 'kysely' }).execute();
      // pgsa sees Kysely's transaction: begin() joins it instead of sending a second BEGIN.
      const joined = await conn.begin();
      expect(joined.isActive).toBe(true);
      await joined.commit();
    });
    expect(e.captured.sql.filter((s) => !s.startsWith('insert'))).toEqual(['BEGIN', 'COMMIT']);
    expect(await committedUsers(db.url)).toEqual(['first', 'kysely']);
  });

  it('runs conn.db.transaction() inside conn.transaction() as a savepoint', async () => {
    await using conn = await (await engines.make()).acquire();
    await conn.transaction(async (c) => {
      await add(c, 'outer');
      await c.db
        .transaction()
        .execute(async (trx) => {
          await trx.insertInto('users').values({ name: 'inner' }).execute();
          throw new Error('undo inner');
        })
        .catch(() => {});
      expect(c.inTransaction).toBe(true);
    });
    expect(await committedUsers(db.url)).toEqual(['first', 'outer']);
  });

  it('runs a Kysely controlled transaction through pgsa transaction objects', async () => {
    const e = await engines.make();
    await using conn = await e.acquire();
    const trx = await conn.db.startTransaction().execute();
    expect(conn.inTransaction).toBe(true);
    await trx.insertInto('users').values({ name: 'controlled' }).execute();
    await rejection(conn.begin({ readOnly: true }), InterfaceError);
    await trx.commit().execute();
    expect(conn.inTransaction).toBe(false);
    const again = await conn.db.startTransaction().execute();
    await again.insertInto('users').values({ name: 'undone' }).execute();
    await again.rollback().execute();
    expect(e.captured.sql.filter((s) => !s.startsWith('insert'))).toEqual([
      'BEGIN',
      'COMMIT',
      'BEGIN',
      'ROLLBACK',
    ]);
    expect(await committedUsers(db.url)).toEqual(['first', 'controlled']);
  });

  it('runs engine.db.transaction() with its isolation level and releases the connection', async () => {
    const e = await engines.make();
    const level = await e.db
      .transaction()
      .setIsolationLevel('serializable')
      .execute(async (trx) => {
        await trx.insertInto('users').values({ name: 'pooled' }).execute();
        const shown = await sql<{
          level: string;
        }>`select current_setting('transaction_isolation') as level`.execute(trx);
        return shown.rows[0]?.level;
      });
    expect(level).toBe('serializable');
    expect(e.captured.sql[0]).toBe('BEGIN ISOLATION LEVEL SERIALIZABLE');
    expect(e.captured.sql.at(-1)).toBe('COMMIT');
    expect(e.stats().inUse).toBe(0);
    expect(await committedUsers(db.url)).toEqual(['first', 'pooled']);
  });

  it('rolls back engine.db.transaction() when the callback throws', async () => {
    const e = await engines.make();
    const error = await rejection(
      e.db.transaction()
      .execute(async (trx) => {
        await trx.insertInto('users').values({ name: 'gone' }).execute();
        throw new Error('nope');
      }),
      Error,
    );
    expect(error).toEqual(new Error('nope'));
    expect(e.captured.sql.at(-1)).toBe('ROLLBACK');
    expect(e.stats().inUse).toBe(0);
    expect(await committedUsers(db.url)).toEqual(['first']);
  });

  it("refuses Kysely's 'snapshot' on conn.db with the same TypeError as sessions, sending nothing", async () => {
    const e = await engines.make();
    await using conn = await e.acquire();
    const error = await rejection(
      conn.db.transaction()
      .setIsolationLevel('snapshot')
      .execute(async () => {}),
      TypeError,
    );
    expect(error).toEqual(
      new TypeError(
        "isolation level 'snapshot' is not supported by PostgreSQL; its snapshot isolation is " +
          "'repeatable read'",
      ),
    );
    expect(e.captured.sql).toEqual([]);
    expect(conn.inTransaction).toBe(false);
  });
});
