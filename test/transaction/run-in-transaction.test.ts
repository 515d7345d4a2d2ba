import { sql } from 'kysely';
import { beforeEach, describe, expect, it } from 'vitest';
import { InterfaceError, OperationalError, type SAConnection } from '../../src/index.js';
import type { Database } from '../../schema/database.js';
import { useTestDatabase } from '../support/test-database.js';
import { committedNames, killBackend, resetUsers, useEngines } from './support.js';

const db = useTestDatabase();
const engine = useEngines(db);

beforeEach(async () => {
  await resetUsers(db.url);
});

const add = (conn: SAConnection<Database>, name: string) =>
  conn.db.insertInto('users').values({ name }).execute();

describe('conn.transaction(fn)', () => {
  it('commits when fn resolves and returns its value', async () => {
    const e = await engine();
    const conn = await e.acquire();
    const value = await conn.transaction(async (c) => {
      expect(c).toBe(conn);
      expect(c.inTransaction).toBe(true);
      await add(c, 'ann');
      return 42;
    });
    expect(value).toBe(42);
    expect(e.captured.sql[0]).toBe('BEGIN');
    expect(e.captured.sql.at(-1)).toBe('COMMIT');
    expect(await committedNames(db.url)).toEqual(['first', 'ann']);
  });

  it('rolls back and rethrows the very error fn threw', async () => {
    const e = await engine();
    const conn = await e.acquire();
    const boom = new Error('boom');
    const error = await conn
      .transaction(async (c) => {
        await add(c, 'ann');
        throw boom;
      })
      .catch((err: unknown) => err);
    expect(error).toBe(boom);
    expect(e.captured.sql.at(-1)).toBe('ROLLBACK');
    expect(conn.inTransaction).toBe(false);
    expect(await committedNames(db.url)).toEqual(['first']);
  });

  it('applies isolationLevel, readOnly and deferrable', async () => {
    const conn = await (await engine()).acquire();
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
    const e = await engine();
    const conn = await e.acquire();
    await conn.transaction(async (c) => {
      await add(c, 'outer');
      const inner = await c
        .transaction(async () => {
          await add(c, 'inner');
          throw new Error('inner failed');
        })
        .catch((err: unknown) => err);
      expect(inner).toEqual(new Error('inner failed'));
      await c.transaction(() => add(c, 'second'));
    });
    expect(e.captured.sql.filter((s) => /SAVEPOINT/.test(s))).toEqual([
      'SAVEPOINT "pgsa_savepoint_1"',
      'ROLLBACK TO SAVEPOINT "pgsa_savepoint_1"; RELEASE SAVEPOINT "pgsa_savepoint_1"',
      'SAVEPOINT "pgsa_savepoint_2"',
      'RELEASE SAVEPOINT "pgsa_savepoint_2"',
    ]);
    expect(await committedNames(db.url)).toEqual(['first', 'outer', 'second']);
  });

  it('uses a savepoint inside a transaction opened with begin()', async () => {
    const conn = await (await engine()).acquire();
    const tx = await conn.begin();
    await conn.transaction(() => add(conn, 'inside')).catch(() => {});
    expect(tx.isActive).toBe(true);
    await tx.rollback();
    expect(await committedNames(db.url)).toEqual(['first']);
  });

  it('refuses options on a nested call, leaving the outer transaction intact', async () => {
    const conn = await (await engine()).acquire();
    await conn.transaction(async (c) => {
      await add(c, 'outer');
      await expect(c.transaction(async () => {}, { isolationLevel: 'serializable' })).rejects.toThrow(
        /^cannot run a nested transaction\(\) with isolationLevel, readOnly or deferrable/,
      );
    });
    expect(await committedNames(db.url)).toEqual(['first', 'outer']);
  });

  it('never reports success when fn swallowed a statement error', async () => {
    const conn = await (await engine()).acquire();
    const error = await conn
      .transaction(async (c) => {
        await add(c, 'doomed');
        await c.execute('select 1/0').catch(() => {});
        return 'looks fine';
      })
      .catch((err: unknown) => err);
    expect(error).toBeInstanceOf(InterfaceError);
    expect((error as Error).message).toBe(
      'cannot commit: transaction is failed (a statement inside it raised an error); it was rolled back',
    );
    expect(conn.inTransaction).toBe(false);
    expect(await committedNames(db.url)).toEqual(['first']);
  });

  it('rolls everything back when fn leaves a savepoint open', async () => {
    const conn = await (await engine()).acquire();
    const error = await conn
      .transaction(async (c) => {
        await add(c, 'outer');
        await c.beginNested();
        await add(c, 'dangling');
      })
      .catch((err: unknown) => err);
    expect(error).toBeInstanceOf(InterfaceError);
    expect((error as Error).message).toMatch(/^cannot commit: transaction is not the innermost/);
    expect(conn.inTransaction).toBe(false);
    expect(await committedNames(db.url)).toEqual(['first']);
  });

  it('keeps fn’s error when the rollback fails too, and logs the rollback failure', async () => {
    const e = await engine();
    const conn = await e.acquire();
    const original = new Error('original');
    const error = await conn
      .transaction(async (c) => {
        await add(c, 'ghost');
        await killBackend(db.url, c.backendPid);
        throw original;
      })
      .catch((err: unknown) => err);
    expect(error).toBe(original);
    expect(e.captured.warnings).toContainEqual(
      expect.stringMatching(
        /^rollback after an error failed \(.+\); rethrowing the original error: original$/,
      ),
    );
    expect(await committedNames(db.url)).toEqual(['first']);
  });

  it('rejects a non-function with a TypeError', async () => {
    const conn = await (await engine()).acquire();
    await expect(conn.transaction(42 as never)).rejects.toThrow(
      new TypeError('transaction(fn) expects a function'),
    );
    expect(conn.inTransaction).toBe(false);
  });
});

describe('engine.transaction(fn)', () => {
  it('acquires, commits and releases', async () => {
    const e = await engine();
    const name = await e.transaction(async (conn) => {
      expect(e.stats().inUse).toBe(1);
      await add(conn, 'ann');
      return 'ann';
    });
    expect(name).toBe('ann');
    expect(e.stats()).toMatchObject({ inUse: 0, free: 1 });
    expect(await committedNames(db.url)).toEqual(['first', 'ann']);
  });

  it('rolls back, releases and rethrows with the attempt count', async () => {
    const e = await engine();
    const boom = new Error('boom');
    const error = await e
      .transaction(async (conn) => {
        await add(conn, 'ann');
        throw boom;
      })
      .catch((err: unknown) => err);
    expect(error).toBe(boom);
    expect((error as { attempts?: number }).attempts).toBe(1);
    expect(e.stats()).toMatchObject({ inUse: 0, free: 1 });
    expect(e.captured.warnings).toEqual([]);
    expect(await committedNames(db.url)).toEqual(['first']);
  });

  it('does not retry a lost connection, and discards it', async () => {
    const e = await engine({ minSize: 1, maxSize: 1 });
    let calls = 0;
    let pid = 0;
    const error = await e
      .transaction(
        async (conn) => {
          calls += 1;
          pid = conn.backendPid;
          await killBackend(db.url, pid);
          await add(conn, 'ghost');
        },
        { retries: 3 },
      )
      .catch((err: unknown) => err);
    expect(error).toBeInstanceOf(OperationalError);
    expect((error as { attempts?: number }).attempts).toBe(1);
    expect(calls).toBe(1);
    const next = await e.acquire();
    expect(next.backendPid).not.toBe(pid);
    expect(await next.scalar('select 1')).toBe(1);
    expect(await committedNames(db.url)).toEqual(['first']);
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
    const e = await engine();
    const acquires = e.stats().acquires;
    await expect(e.transaction(async () => {}, options as never)).rejects.toThrow(
      new TypeError(message),
    );
    expect(e.stats().acquires).toBe(acquires);
  });
});

describe('Kysely transactions go through pgsa transaction objects', () => {
  it('runs conn.db.transaction() as a pgsa transaction', async () => {
    const e = await engine();
    const conn = await e.acquire();
    await conn.db.transaction().execute(async (trx) => {
      expect(conn.inTransaction).toBe(true);
      await trx.insertInto('users').values({ name: 'kysely' }).execute();
      // pgsa sees Kysely's transaction: begin() joins it instead of sending a second BEGIN.
      const joined = await conn.begin();
      expect(joined.isActive).toBe(true);
      await joined.commit();
    });
    expect(e.captured.sql.filter((s) => !s.startsWith('insert'))).toEqual(['BEGIN', 'COMMIT']);
    expect(await committedNames(db.url)).toEqual(['first', 'kysely']);
  });

  it('runs conn.db.transaction() inside conn.transaction() as a savepoint', async () => {
    const conn = await (await engine()).acquire();
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
    expect(await committedNames(db.url)).toEqual(['first', 'outer']);
  });

  it('runs a Kysely controlled transaction through pgsa transaction objects', async () => {
    const e = await engine();
    const conn = await e.acquire();
    const trx = await conn.db.startTransaction().execute();
    expect(conn.inTransaction).toBe(true);
    await trx.insertInto('users').values({ name: 'controlled' }).execute();
    await expect(conn.begin({ readOnly: true })).rejects.toBeInstanceOf(InterfaceError);
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
    expect(await committedNames(db.url)).toEqual(['first', 'controlled']);
  });

  it('runs engine.db.transaction() with its isolation level and releases the connection', async () => {
    const e = await engine();
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
    expect(await committedNames(db.url)).toEqual(['first', 'pooled']);
  });

  it('rolls back engine.db.transaction() when the callback throws', async () => {
    const e = await engine();
    const error = await e.db
      .transaction()
      .execute(async (trx) => {
        await trx.insertInto('users').values({ name: 'gone' }).execute();
        throw new Error('nope');
      })
      .catch((err: unknown) => err);
    expect(error).toEqual(new Error('nope'));
    expect(e.captured.sql.at(-1)).toBe('ROLLBACK');
    expect(e.stats().inUse).toBe(0);
    expect(await committedNames(db.url)).toEqual(['first']);
  });

  it("refuses Kysely's 'snapshot' on conn.db with the same TypeError as sessions, sending nothing", async () => {
    const e = await engine();
    const conn = await e.acquire();
    const error = await conn.db
      .transaction()
      .setIsolationLevel('snapshot')
      .execute(async () => {})
      .catch((err: unknown) => err);
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
