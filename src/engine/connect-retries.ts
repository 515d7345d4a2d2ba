import { setTimeout as sleep } from 'node:timers/promises';
import { backoffDelay } from '../transaction/run-engine-transaction.js';

/** Engine option `connectRetries`: how opening a connection is retried after a transient failure. */
export interface ConnectRetries {
  /** Connection attempts in all, the first included (default 3; 1 turns retrying off). */
  readonly attempts?: number | undefined;
  /** Delay cap before the second attempt, in ms; it doubles per attempt (default 100). */
  readonly baseMs?: number | undefined;
  /** Largest delay between attempts, in ms (default 2000). */
  readonly maxMs?: number | undefined;
}

/** `connectRetries` after validation. Not part of the public API. */
export interface ResolvedConnectRetries {
  readonly attempts: number;
  readonly baseMs: number;
  readonly maxMs: number;
}

const KEYS: ReadonlySet<string> = new Set(['attempts', 'baseMs', 'maxMs']);

/**
 * Validates the `connectRetries` engine option and fills in its defaults.
 *
 * @throws TypeError naming the field for an unknown key or a value that is not a non-negative
 *   integer (`attempts` at least 1).
 * @internal
 */
export function resolveConnectRetries(input: ConnectRetries | undefined): ResolvedConnectRetries {
  if (input === undefined) return DEFAULT_CONNECT_RETRIES;
  if (input === null || typeof input !== 'object') {
    throw new TypeError('connectRetries must be an object: { attempts, baseMs, maxMs }');
  }
  for (const key of Object.keys(input)) {
    if (!KEYS.has(key)) throw new TypeError(`unknown connectRetries option: ${key}`);
  }
  const field = (name: keyof ConnectRetries, fallback: number, min: number): number => {
    const value = input[name];
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > 2_147_483_647) {
      throw new TypeError(`connectRetries.${name} must be an integer of at least ${min}, got ${String(value)}`);
    }
    return value;
  };
  return Object.freeze({
    attempts: field('attempts', DEFAULT_CONNECT_RETRIES.attempts, 1),
    baseMs: field('baseMs', DEFAULT_CONNECT_RETRIES.baseMs, 0),
    maxMs: field('maxMs', DEFAULT_CONNECT_RETRIES.maxMs, 0),
  });
}

const DEFAULT_CONNECT_RETRIES: ResolvedConnectRetries = Object.freeze({ attempts: 3, baseMs: 100, maxMs: 2_000 });

/** Socket failures worth another attempt: the server is not (yet) listening, or the link dropped. */
const TRANSIENT_SOCKET_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
]);

/**
 * Server refusals worth another attempt: 57P03 cannot_connect_now (starting up, shutting down,
 * in recovery), 53300 too_many_connections, 57P01 admin_shutdown (a fast shutdown began while
 * the session was being set up).
 */
const TRANSIENT_SQLSTATES: ReadonlySet<string> = new Set(['57P03', '53300', '57P01']);

/** node-postgres' messages (no code) for a connect that was cut or timed out. */
const TRANSIENT_PG_MESSAGES: ReadonlySet<string> = new Set([
  'Connection terminated unexpectedly',
  'Connection terminated due to connection timeout',
  'timeout expired',
]);

/**
 * Why a failed connection attempt is not worth retrying, or `undefined` when it is transient.
 * Authentication failures (28P01, 28000), an unknown database (3D000) and everything not known
 * to be transient (configuration: TLS, an unknown host, a bad option) fail at once.
 *
 * @internal
 */
export function permanentReason(error: unknown): string | undefined {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 5; depth++) {
    const code = (current as { code?: unknown; sqlstate?: unknown }).code ?? (current as { sqlstate?: unknown }).sqlstate;
    if (typeof code === 'string') {
      if (TRANSIENT_SOCKET_CODES.has(code) || TRANSIENT_SQLSTATES.has(code)) return undefined;
      if (code === '28P01' || code === '28000') return 'authentication failed';
      if (code === '3D000') return 'the database does not exist';
    }
    if (TRANSIENT_PG_MESSAGES.has(current.message)) return undefined;
    // A multi-host engine's server that did not match target_session_attrs may after a failover.
    if ((current as { transientConnect?: unknown }).transientConnect === true) return undefined;
    const inner = (current as { errors?: unknown }).errors;
    // Node's AggregateError when every address of a host name refused.
    if (Array.isArray(inner) && inner.length > 0 && inner.every((one) => permanentReason(one) === undefined)) {
      return undefined;
    }
    current = current.cause;
  }
  return 'not a transient failure';
}

/**
 * Runs `connect` until it succeeds, retrying transient failures (see {@link permanentReason})
 * after an exponential, jittered delay, at most `policy.attempts` times in all; stops early
 * when `abandoned()` turns true (the caller gave up waiting). The error finally thrown is the
 * last attempt's, with `attempts` recorded on it. `firstFailure`: the caller made the first
 * attempt itself and it failed with this error, so this starts by deciding whether to retry.
 *
 * @internal
 */
export async function connectWithRetries<T>(
  connect: () => Promise<T>,
  policy: ResolvedConnectRetries,
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void,
  abandoned: () => boolean = () => false,
  firstFailure?: { readonly error: unknown },
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      if (attempt === 1 && firstFailure !== undefined) throw firstFailure.error;
      return await connect();
    } catch (error) {
      if (attempt >= policy.attempts || abandoned() || permanentReason(error) !== undefined) {
        recordConnectAttempts(error, attempt);
        throw error;
      }
      const delayMs = Math.round(backoffDelay(attempt, { initialMs: policy.baseMs, maxMs: policy.maxMs }));
      onRetry?.(error, attempt, delayMs);
      await sleep(delayMs);
      if (abandoned()) {
        recordConnectAttempts(error, attempt);
        throw error;
      }
    }
  }
}

/** Connection attempts made before `error` was thrown (1 when it was never retried). @internal */
export function connectAttemptsOf(error: unknown): number {
  const attempts = (error as { connectAttempts?: unknown } | null)?.connectAttempts;
  return typeof attempts === 'number' ? attempts : 1;
}

function recordConnectAttempts(error: unknown, attempts: number): void {
  if (typeof error !== 'object' || error === null || !Object.isExtensible(error)) return;
  Object.defineProperty(error, 'connectAttempts', { value: attempts, configurable: true });
}

/**
 * What a connect error message adds about retrying: how many attempts were made, or why the
 * failure was not retried (authentication, unknown database). Empty when retrying is off.
 *
 * @internal
 */
export function retriesNote(error: unknown, allowedAttempts: number): string {
  if (allowedAttempts <= 1) return '';
  const attempts = connectAttemptsOf(error);
  if (attempts > 1) return ` (gave up after ${attempts} attempts)`;
  const reason = permanentReason(error);
  return reason === undefined || reason === 'not a transient failure' ? '' : ` (not retried: ${reason})`;
}
