import { setTimeout as sleep } from 'node:timers/promises';
import type { ConnectionOf } from './transaction-host.js';
import { DeadlockDetectedError, SerializationFailureError } from '../errors/database-error.js';
import { type TransactionCallback, runInTransaction } from './run-in-transaction.js';
import { type TransactionOptions, validateTransactionOptions } from '../sql/transaction-sql.js';

/** Exponential backoff between attempts of `engine.transaction(fn, { retries })`. */
export interface BackoffOptions {
  /** Delay cap before the second attempt, in ms (default 20). */
  readonly initialMs?: number | undefined;
  /** Largest delay cap, in ms (default 1000). */
  readonly maxMs?: number | undefined;
  /** Growth of the cap per attempt (default 2). */
  readonly multiplier?: number | undefined;
  /**
   * Randomize each delay between half the cap and the cap (default true), so transactions
   * that collided once do not collide again in lockstep.
   */
  readonly jitter?: boolean | undefined;
}

/** Options of `engine.transaction(fn, options)`. */
export interface EngineTransactionOptions extends TransactionOptions {
  /**
   * How many times to re-run the whole `fn` in a new transaction after a
   * `SerializationFailureError` (40001) or `DeadlockDetectedError` (40P01); default 0.
   */
  readonly retries?: number | undefined;
  /** Waits between the attempts (exponential with jitter). */
  readonly backoff?: BackoffOptions | undefined;
}

const RETRY_KEYS: ReadonlySet<string> = new Set(['retries', 'backoff']);
const BACKOFF_KEYS: ReadonlySet<string> = new Set(['initialMs', 'maxMs', 'multiplier', 'jitter']);

/**
 * The delay before attempt `failedAttempt + 1`: a cap of `initialMs * multiplier^(n-1)`
 * bounded by `maxMs`, jittered into `[cap / 2, cap]`.
 *
 * @example
 * ```ts
 * backoffDelay(1, { jitter: false }) // 20
 * backoffDelay(3, { jitter: false }) // 80
 * ```
 */
export function backoffDelay(
  failedAttempt: number,
  backoff: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const initial = backoff.initialMs ?? 20;
  const max = backoff.maxMs ?? 1000;
  const multiplier = backoff.multiplier ?? 2;
  const cap = Math.min(max, initial * multiplier ** Math.max(0, failedAttempt - 1));
  return backoff.jitter === false ? cap : cap / 2 + random() * (cap / 2);
}

/**
 * True for the errors a whole transaction may be re-run after: `SerializationFailureError`
 * (40001) and `DeadlockDetectedError` (40P01). Other `TransactionRollbackError`s are not.
 *
 * @example
 * ```ts
 * try { await engine.transaction(work) } catch (e) { if (isRetryableError(e)) scheduleLater(() => engine.transaction(work)) }
 * ```
 */
export function isRetryableError(error: unknown): boolean {
  return error instanceof SerializationFailureError || error instanceof DeadlockDetectedError;
}

/** Validates `engine.transaction` options before anything is acquired or sent. @internal */
export function validateEngineTransactionOptions(
  options: EngineTransactionOptions | undefined,
): { transaction: TransactionOptions; retries: number; backoff: BackoffOptions } {
  const transaction = validateTransactionOptions(options, RETRY_KEYS);
  const retries = options?.retries ?? 0;
  if (!Number.isInteger(retries) || retries < 0) {
    throw new TypeError(`retries must be a non-negative integer, got ${String(retries)}`);
  }
  const backoff = options?.backoff ?? {};
  if (backoff === null || typeof backoff !== 'object') {
    throw new TypeError('backoff must be an object');
  }
  for (const [key, value] of Object.entries(backoff)) {
    if (!BACKOFF_KEYS.has(key)) throw new TypeError(`unknown backoff option: ${key}`);
    const ok = key === 'jitter' ? typeof value === 'boolean' : Number.isFinite(value) && value >= 0;
    if (!ok) throw new TypeError(`backoff.${key} is invalid: ${String(value)}`);
  }
  return { transaction, retries, backoff: Object.freeze({ ...backoff }) };
}

/**
 * `engine.transaction(fn, options)`: acquires a connection, runs `fn` in a transaction,
 * releases; on 40001 / 40P01 re-runs the whole `fn` on a fresh connection up to `retries` more
 * times with backoff. The error finally thrown carries `attempts` (how many times `fn` ran).
 *
 * @internal
 */
export async function runEngineTransaction<DB, T>(
  engine: { acquire(): Promise<ConnectionOf<DB>> },
  fn: TransactionCallback<DB, T>,
  options: EngineTransactionOptions | undefined,
): Promise<T> {
  if (typeof fn !== 'function') throw new TypeError('transaction(fn) expects a function');
  const { transaction, retries, backoff } = validateEngineTransactionOptions(options);
  for (let attempt = 1; ; attempt++) {
    try {
      const conn = await engine.acquire();
      try {
        return await runInTransaction(conn, fn, transaction);
      } finally {
        await conn.close();
      }
    } catch (error) {
      if (attempt <= retries && isRetryableError(error)) {
        await sleep(backoffDelay(attempt, backoff));
        continue;
      }
      recordAttempts(error, attempt);
      throw error;
    }
  }
}

function recordAttempts(error: unknown, attempts: number): void {
  if (typeof error !== 'object' || error === null || !Object.isExtensible(error)) return;
  Object.defineProperty(error, 'attempts', {
    value: attempts,
    enumerable: true,
    configurable: true,
    writable: false,
  });
}
