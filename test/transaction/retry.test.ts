import { describe, expect, it } from 'vitest';
import {
  DeadlockDetectedError,
  isRetryableError,
  SerializationFailureError,
  TransactionRollbackError,
  UniqueViolationError,
} from '../../src/index.js';
import { backoffDelay } from '../../src/transaction/run-engine-transaction.js';
import { observe, useTestDatabase, withClient } from '../support/test-database.js';
import { barrier } from '../support/barrier.js';
import { type TestEngine, useEngines } from '../support/engine-fixture.js';
import { rejection } from '../support/rejection.js';

const db = useTestDatabase();
const engines = useEngines(db, {
  defaults: { minSize: 1, maxSize: 4 },
  setup: 'create table counters (id int primary key, n int not null)',
  reset: 'truncate counters; insert into counters values (1, 0), (2, 0)',
});

async function counters(): Promise<number[]> {
  const rows = await observe<{ n: number }>(db.url, 'select n from counters order by id');
  return rows.map((row) => row.n);
}

/** Another serializable transaction that bumps counter 1 and commits, from outside pgsa. */
function interloper(): Promise<void> {
  return withClient(db.url, async (c) => {
    await c.query('BEGIN ISOLATION LEVEL SERIALIZABLE');
    await c.query('update counters set n = n + 100 where id = 1');
    await c.query('COMMIT');
  });
}

describe('backoffDelay', () => {
  it('grows exponentially from initialMs and stops at maxMs', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffDelay(n, { jitter: false }));
    expect(delays).toEqual([20, 40, 80, 160, 320, 640, 1000, 1000]);
    expect(backoffDelay(3, { initialMs: 5, multiplier: 3, maxMs: 30, jitter: false })).toBe(30);
  });

  it('jitters each delay between half the cap and the cap', () => {
    expect(backoffDelay(3, {}, () => 0)).toBe(40);
    expect(backoffDelay(3, {}, () => 0.5)).toBe(60);
    expect(backoffDelay(3, {}, () => 0.999999)).toBeCloseTo(80, 3);
  });
});

describe('isRetryableError', () => {
  it('accepts serialization failures and deadlocks only', () => {
    expect(isRetryableError(new SerializationFailureError('x', { sqlstate: '40001' }))).toBe(true);
    expect(isRetryableError(new DeadlockDetectedError('x', { sqlstate: '40P01' }))).toBe(true);
    expect(isRetryableError(new TransactionRollbackError('x', { sqlstate: '40002' }))).toBe(false);
    expect(isRetryableError(new UniqueViolationError('x', { sqlstate: '23505' }))).toBe(false);
    expect(isRetryableError(new Error('40001'))).toBe(false);
  });
});

describe('engine.transaction retries on a real serialization failure', () => {
  it('re-runs the loser of two racing serializable transactions, losing no update', async () => {
    const e = await engines.make({ maxSize: 3 });
    const meet = barrier(2);
    const calls: string[] = [];
    const errors: unknown[] = [];
    const increment = (who: string) => {
      let attempt = 0;
      return e.transaction(
        async (conn) => {
          attempt += 1;
          calls.push(`${who}${attempt}`);
          const n = (await conn.scalar('select n from counters where id = 1')) as number;
          if (attempt === 1) await meet(); // both have read before either writes
          try {
            await conn.execute('update counters set n = $1 where id = 1', [n + 1]);
          } catch (error) {
            errors.push(error);
            throw error;
          }
        },
        { isolationLevel: 'serializable', retries: 3, backoff: { initialMs: 5 } },
      );
    };
    await Promise.all([increment('a'), increment('b')]);
    expect(calls).toHaveLength(3);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(SerializationFailureError);
    expect((errors[0] as SerializationFailureError).sqlstate).toBe('40001');
    expect(await counters()).toEqual([2, 0]);
    expect(e.stats().inUse).toBe(0);
  });

  it('gives up after `retries` and throws the last error carrying the attempt count', async () => {
    const e = await engines.make();
    let calls = 0;
    const started = Date.now();
    const error = await rejection(
      e.transaction(
        async (conn) => {
          calls += 1;
          await conn.scalar('select n from counters where id = 1'); // takes the snapshot
          await interloper();
          await conn.execute('update counters set n = n + 1 where id = 1');
        },
        { isolationLevel: 'repeatable read', retries: 2, backoff: { initialMs: 50, jitter: false } },
      ),
      SerializationFailureError,
    );
    expect(calls).toBe(3);
    expect(error.sqlstate).toBe('40001');
    expect(error.message).toBe('could not serialize access due to concurrent update');
    expect((error as { attempts?: number }).attempts).toBe(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(150); // 50 ms + 100 ms of backoff
    expect(await counters()).toEqual([300, 0]); // only the interloper's commits
    expect(e.stats().inUse).toBe(0);
  });

  it('does not retry without `retries`', async () => {
    const e = await engines.make();
    let calls = 0;
    const error = await rejection(
      e.transaction(
        async (conn) => {
          calls += 1;
          await conn.scalar('select n from counters where id = 1');
          await interloper();
          await conn.execute('update counters set n = n + 1 where id = 1');
        },
        { isolationLevel: 'serializable' },
      ),
      SerializationFailureError,
    );
    expect(calls).toBe(1);
    expect((error as { attempts?: number }).attempts).toBe(1);
  });

  it('does not retry errors other than 40001 and 40P01', async () => {
    const e = await engines.make();
    let calls = 0;
    const error = await rejection(
      e.transaction(
        async (conn) => {
          calls += 1;
          await conn.execute('insert into counters values (1, 5)');
        },
        { retries: 5 },
      ),
      UniqueViolationError,
    );
    expect(calls).toBe(1);
    expect((error as { attempts?: number }).attempts).toBe(1);
    expect(await counters()).toEqual([0, 0]);
  });

  it('never retries a nested unit alone: the whole fn runs again', async () => {
    const e = await engines.make();
    let outer = 0;
    let inner = 0;
    await e.transaction(
      async (conn) => {
        outer += 1;
        await conn.execute('update counters set n = n + 1 where id = 2');
        await conn.transaction(async () => {
          inner += 1;
          await conn.scalar('select n from counters where id = 1');
          if (inner === 1) await interloper();
          await conn.execute('update counters set n = n + 1 where id = 1');
        });
      },
      { isolationLevel: 'repeatable read', retries: 1, backoff: { initialMs: 1 } },
    );
    expect([outer, inner]).toEqual([2, 2]);
    // The first attempt's update of counter 2 was rolled back with the whole transaction.
    expect(await counters()).toEqual([101, 1]);
  });
});

describe('engine.transaction retries on a real deadlock', () => {
  /** Updates the two counters in opposite orders, meeting in between on the first attempt. */
  function crossing(e: TestEngine, retries: number) {
    const meet = barrier(2);
    const calls = { a: 0, b: 0 };
    const run = (who: 'a' | 'b', first: number, second: number) =>
      e.transaction(
        async (conn) => {
          calls[who] += 1;
          await conn.execute("set local deadlock_timeout = '50ms'");
          await conn.execute('update counters set n = n + 1 where id = $1', [first]);
          if (calls[who] === 1) await meet();
          await conn.execute('update counters set n = n + 1 where id = $1', [second]);
        },
        { retries, backoff: { initialMs: 5 } },
      );
    return { calls, results: Promise.allSettled([run('a', 1, 2), run('b', 2, 1)]) };
  }

  it('re-runs the deadlock victim and both transactions commit', async () => {
    const e = await engines.make({ maxSize: 3 });
    const { calls, results } = crossing(e, 2);
    const settled = await results;
    expect(settled.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
    expect(calls.a + calls.b).toBe(3);
    expect(await counters()).toEqual([2, 2]);
  });

  it('reports the victim as DeadlockDetectedError when not retrying, and commits none of it', async () => {
    const e = await engines.make({ maxSize: 3 });
    const { results } = crossing(e, 0);
    const settled = await results;
    const failed = settled.filter((r) => r.status === 'rejected');
    expect(failed).toHaveLength(1);
    const error = (failed[0] as PromiseRejectedResult).reason as DeadlockDetectedError;
    expect(error).toBeInstanceOf(DeadlockDetectedError);
    expect(error.sqlstate).toBe('40P01');
    expect(error.message).toBe('deadlock detected');
    expect((error as { attempts?: number }).attempts).toBe(1);
    expect(await counters()).toEqual([1, 1]); // the winner's two updates only
    expect(e.stats().inUse).toBe(0);
  });
});
