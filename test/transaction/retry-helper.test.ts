import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  DeadlockDetectedError,
  hasAttempts,
  isTransientError,
  OperationalError,
  PoolTimeoutError,
  QueryCanceledError,
  retry,
  SerializationFailureError,
  UniqueViolationError,
} from '../../src/index.js';
import { useEngines } from '../support/engine-fixture.js';
import { rejection } from '../support/rejection.js';
import { observe, useTestDatabase } from '../support/test-database.js';

const db = useTestDatabase();
const engines = useEngines(db, {
  defaults: { minSize: 1, maxSize: 4, pipelineConnections: 0 },
  shared: true,
  setup: 'create table retry_log (id serial primary key, attempt int not null unique)',
  reset: 'truncate retry_log',
});

/** A statement the server fails with `sqlstate`. */
const raise = (sqlstate: string) =>
  `do $$ begin raise exception 'raised %', '${sqlstate}' using errcode = '${sqlstate}'; end $$`;

describe('retry(fn, options)', () => {
  it('re-runs fn after a serialization failure (40001) until it succeeds', async () => {
    const engine = engines.shared;
    const result = await retry(
      (attempt) =>
        engine.transaction(async (conn) => {
          await conn.execute('insert into retry_log (attempt) values ($1)', [attempt]);
          if (attempt < 3) await conn.execute(raise('40001'));
          return attempt;
        }),
      { attempts: 5, baseMs: 1, maxMs: 5 },
    );
    expect(result).toBe(3);
    // The failed runs were rolled back: only the third one's row is committed.
    expect(await observe(db.url, 'select attempt from retry_log')).toEqual([{ attempt: 3 }]);
  });

  it('re-runs fn after a deadlock (40P01)', async () => {
    let runs = 0;
    await retry(
      async () => {
        runs++;
        if (runs === 1) await engines.shared.execute(raise('40P01'));
      },
      { baseMs: 1 },
    );
    expect(runs).toBe(2);
  });

  it('re-runs fn after its connection was lost', async () => {
    const engine = engines.shared;
    const runs: string[] = [];
    const pid = await retry(
      async (attempt) => {
        await using conn = await engine.acquire();
        runs.push(attempt === 1 ? 'killed' : 'ok');
        if (attempt === 1) await conn.execute('select pg_terminate_backend(pg_backend_pid())');
        return conn.backendPid;
      },
      { baseMs: 1 },
    );
    expect(runs).toEqual(['killed', 'ok']);
    expect(pid).toBeGreaterThan(0);
  });

  it('throws the last error, class and message unchanged, with the number of runs as attempts', async () => {
    let runs = 0;
    const error = await rejection(
      retry(
        () => {
          runs++;
          return engines.shared.execute(raise('40001'));
        },
        { attempts: 3, baseMs: 1, maxMs: 2 },
      ),
      SerializationFailureError,
    );
    expect(runs).toBe(3);
    expect(error.message).toBe('raised 40001');
    // Not declared on the error classes: carried on the instance, typed through the guard.
    expect(hasAttempts(error)).toBe(true);
    if (hasAttempts(error)) {
      expectTypeOf(error.attempts).toEqualTypeOf<number>();
      expect(error.attempts).toBe(3);
    }
  });

  it('does not re-run fn after other errors (a unique violation)', async () => {
    let runs = 0;
    const error = await rejection(
      retry(async () => {
        runs++;
        await engines.shared.execute('insert into retry_log (attempt) values (1), (1)');
      }),
      UniqueViolationError,
    );
    expect(runs).toBe(1);
    expect((error as unknown as { attempts: number }).attempts).toBe(1);
  });

  it('lets `on` decide which errors re-run fn', async () => {
    const seen: [string, number][] = [];
    let runs = 0;
    const value = await retry(
      async () => {
        runs++;
        if (runs < 3) await engines.shared.execute('insert into retry_log (attempt) values (7), (7)');
        return 'done';
      },
      {
        baseMs: 1,
        on: (error, attempt) => {
          seen.push([(error as Error).constructor.name, attempt]);
          return error instanceof UniqueViolationError;
        },
      },
    );
    expect(value).toBe('done');
    expect(seen).toEqual([
      ['UniqueViolationError', 1],
      ['UniqueViolationError', 2],
    ]);
  });

  it('rejects invalid options with a TypeError before fn runs', async () => {
    let runs = 0;
    const fn = async () => void runs++;
    await expect(retry(fn, { attempts: 0 })).rejects.toThrow(
      new TypeError('retry option attempts must be an integer of at least 1, got 0'),
    );
    await expect(retry(fn, { tries: 2 } as never)).rejects.toThrow(new TypeError('unknown retry option: tries'));
    await expect(retry('work' as never)).rejects.toThrow(new TypeError('retry(fn, options) expects a function'));
    expect(runs).toBe(0);
  });
});

describe('isTransientError', () => {
  it('is true for 40001, 40P01 and a lost connection; false for timeouts and the rest', async () => {
    const serialization = await rejection(engines.shared.execute(raise('40001')), SerializationFailureError);
    const deadlock = await rejection(engines.shared.execute(raise('40P01')), DeadlockDetectedError);
    const conn = await engines.shared.acquire();
    const lost = await rejection(conn.execute('select pg_terminate_backend(pg_backend_pid())'), OperationalError);
    await conn.close();
    const canceled = await rejection(
      engines.shared.execute('select pg_sleep(1)', { statementTimeoutMs: 20 }),
      QueryCanceledError,
    );
    expect([serialization, deadlock, lost].map(isTransientError)).toEqual([true, true, true]);
    expect(isTransientError(canceled)).toBe(false);
    expect(isTransientError(new PoolTimeoutError('acquire timed out after 1 ms'))).toBe(false);
    expect(isTransientError(new Error('connection lost'))).toBe(false);
  });
});
