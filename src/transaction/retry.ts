import { setTimeout as sleep } from 'node:timers/promises';
import { OperationalError, PoolTimeoutError, QueryCanceledError } from '../errors/database-error.js';
import { isConnectionFailure } from '../errors/translate-error.js';
import { backoffDelay, isRetryableError } from './run-engine-transaction.js';

/** Options of {@link retry}. */
export interface RetryOptions {
  /** Runs of `fn` in all, the first included (default 3). */
  readonly attempts?: number | undefined;
  /** Delay cap before the second run, in ms; doubles per run, jittered (default 20). */
  readonly baseMs?: number | undefined;
  /** Largest delay between runs, in ms (default 1000). */
  readonly maxMs?: number | undefined;
  /**
   * Which errors re-run `fn` (default {@link isTransientError}: a lost connection, 40001,
   * 40P01). Receives the error and the number of the run that failed.
   */
  readonly on?: ((error: unknown, attempt: number) => boolean) | undefined;
}

/** The error {@link retry} finally throws: `fn`'s last error, with how many runs were made. */
export type RetriedError<E = unknown> = E & {
  /** How many times the work ran, the last (failed) time included. */
  readonly attempts: number;
};

const KEYS: ReadonlySet<string> = new Set(['attempts', 'baseMs', 'maxMs', 'on']);

/**
 * True for failures an idempotent unit of work may simply be run again after: a
 * `SerializationFailureError` (40001), a `DeadlockDetectedError` (40P01), or a lost or
 * unreachable connection (an `OperationalError` from the socket). Not for a statement timeout
 * (`QueryCanceledError`) or a pool wait timeout (`PoolTimeoutError`): running again would
 * only add load.
 *
 * @example
 * ```ts
 * await retry(() => engine.transaction(work), { on: (error) => isTransientError(error) || error instanceof MyGlitch });
 * ```
 */
export function isTransientError(error: unknown): boolean {
  if (isRetryableError(error)) return true;
  if (!(error instanceof OperationalError)) return false;
  if (error instanceof QueryCanceledError || error instanceof PoolTimeoutError) return false;
  if (error.sqlstate !== undefined) return error.sqlstate.startsWith('08') || error.sqlstate === '57P01';
  // A socket failure, possibly wrapped by pgsa (the cause chain holds pg's or Node's error).
  for (let cause: unknown = error; cause instanceof Error; cause = cause.cause) {
    if (isConnectionFailure(cause)) return true;
  }
  return /connection|no answer from the server/i.test(error.message);
}

/**
 * Runs idempotent work again when it fails transiently (asyncpg tutorial's `execute_with_retry`):
 * calls `fn(attempt)` up to `attempts` times, waiting an exponential, jittered backoff between
 * runs, while `on(error)` says the error is worth it (default: connection lost, 40001, 40P01 —
 * {@link isTransientError}). `fn` must be safe to repeat: a connection lost during COMMIT may
 * have committed.
 *
 * @returns what `fn` returned.
 * @throws TypeError for invalid options, before `fn` runs; otherwise `fn`'s last error,
 *   unchanged in class and message, with `attempts` (the number of runs) set on it.
 * @example
 * ```ts
 * const total = await retry(
 *   () => engine.transaction((conn) => conn.scalar('select sum(balance) from accounts'),
 *     { isolationLevel: 'serializable' }),
 *   { attempts: 5, baseMs: 50, maxMs: 2000 },
 * );
 * ```
 */
export async function retry<T>(fn: (attempt: number) => Promise<T> | T, options: RetryOptions = {}): Promise<T> {
  if (typeof fn !== 'function') throw new TypeError('retry(fn, options) expects a function');
  if (options === null || typeof options !== 'object') throw new TypeError('retry options must be an object');
  for (const key of Object.keys(options)) {
    if (!KEYS.has(key)) throw new TypeError(`unknown retry option: ${key}`);
  }
  const attempts = whole('attempts', options.attempts, 3, 1);
  const baseMs = whole('baseMs', options.baseMs, 20, 0);
  const maxMs = whole('maxMs', options.maxMs, 1000, 0);
  const on = options.on ?? isTransientError;
  if (typeof on !== 'function') throw new TypeError('retry option `on` must be a function');
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (attempt < attempts && on(error, attempt)) {
        await sleep(backoffDelay(attempt, { initialMs: baseMs, maxMs }));
        continue;
      }
      throw withAttempts(error, attempt);
    }
  }
}

/**
 * True when `error` was thrown by {@link retry} (or `engine.transaction` with `retries`) and
 * carries the number of runs made.
 *
 * @example
 * ```ts
 * try { await retry(() => engine.transaction(work)) } catch (e) { if (hasAttempts(e)) log(`gave up after ${e.attempts}`) }
 * ```
 */
export function hasAttempts(error: unknown): error is RetriedError<Error> {
  return error instanceof Error && typeof (error as { attempts?: unknown }).attempts === 'number';
}

function withAttempts(error: unknown, attempts: number): unknown {
  if (typeof error === 'object' && error !== null && Object.isExtensible(error)) {
    Object.defineProperty(error, 'attempts', { value: attempts, enumerable: true, configurable: true });
  }
  return error;
}

function whole(name: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > 2_147_483_647) {
    throw new TypeError(`retry option ${name} must be an integer of at least ${min}, got ${String(value)}`);
  }
  return value;
}
