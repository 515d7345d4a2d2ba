import type { BackoffOptions } from '../transaction/run-engine-transaction.js';
import type { ListenerReconnect, NotificationGap } from './notification.js';
import { DEFAULT_BUFFER_SIZE } from './notification-buffer.js';

/**
 * Engine option `listener`: how the engine's dedicated LISTEN connection behaves (see
 * `engine.listen`). Every field is optional.
 */
export interface ListenerOptions {
  /** Notifications each subscription buffers before the oldest are dropped (default 1000). */
  readonly bufferSize?: number | undefined;
  /**
   * Give up after this many failed reconnection attempts in a row: every subscription then ends
   * (iterators throw the `OperationalError`). Default: never give up.
   */
  readonly maxReconnectAttempts?: number | undefined;
  /** Delay between reconnection attempts (default `{ initialMs: 100, maxMs: 5000 }`, jittered). */
  readonly reconnectBackoff?: BackoffOptions | undefined;
  /**
   * How often the idle listener connection is pinged (`select 1`) so a silently dead network is
   * noticed (default 30000; 0 turns the ping off and leaves it to TCP keepalive).
   */
  readonly pingIntervalMs?: number | undefined;
  /** A ping not answered within this many ms counts as a lost connection (default 10000). */
  readonly pingTimeoutMs?: number | undefined;
  /** Called once the lost listener connection is back and every channel is LISTENed again. */
  readonly onReconnect?: ((info: ListenerReconnect) => void) | undefined;
  /** Called for every gap on any channel of the engine (after a reconnect, or a buffer overflow). */
  readonly onGap?: ((gap: NotificationGap) => void) | undefined;
}

/** Options of `engine.notifications(channel, options)` and `engine.listen(channel, handler, options)`. */
export interface NotificationsOptions {
  /** Notifications buffered for this subscription before the oldest are dropped (default: the engine's `listener.bufferSize`). */
  readonly bufferSize?: number | undefined;
  /** Called for every gap in this subscription's notifications (after the engine-wide `onGap`). */
  readonly onGap?: ((gap: NotificationGap) => void) | undefined;
}

/** {@link ListenerOptions} validated, defaults filled in. Not part of the public API: kept in the declarations because public ones refer to it. */
export interface ResolvedListenerOptions {
  readonly bufferSize: number;
  readonly maxReconnectAttempts: number;
  readonly reconnectBackoff: BackoffOptions;
  readonly pingIntervalMs: number;
  readonly pingTimeoutMs: number;
  readonly onReconnect: ((info: ListenerReconnect) => void) | undefined;
  readonly onGap: ((gap: NotificationGap) => void) | undefined;
}

const LISTENER_KEYS: ReadonlySet<string> = new Set([
  'bufferSize',
  'maxReconnectAttempts',
  'reconnectBackoff',
  'pingIntervalMs',
  'pingTimeoutMs',
  'onReconnect',
  'onGap',
]);
const BACKOFF_KEYS: ReadonlySet<string> = new Set(['initialMs', 'maxMs', 'multiplier', 'jitter']);
const NOTIFICATIONS_KEYS: ReadonlySet<string> = new Set(['bufferSize', 'onGap']);
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Validates the engine option `listener`.
 *
 * @throws TypeError naming the option for unknown keys and invalid values.
 * @internal
 */
export function resolveListenerOptions(input: ListenerOptions | undefined): ResolvedListenerOptions {
  const options = checkObject('listener', input ?? {}, LISTENER_KEYS);
  const backoff = checkObject('listener.reconnectBackoff', options.reconnectBackoff ?? {}, BACKOFF_KEYS);
  for (const [key, value] of Object.entries(backoff)) {
    const ok = key === 'jitter' ? typeof value === 'boolean' : Number.isFinite(value) && value >= 0;
    if (!ok) throw new TypeError(`listener.reconnectBackoff.${key} is invalid: ${String(value)}`);
  }
  return Object.freeze({
    bufferSize: positive('listener.bufferSize', options.bufferSize, DEFAULT_BUFFER_SIZE),
    maxReconnectAttempts:
      options.maxReconnectAttempts === undefined
        ? Number.POSITIVE_INFINITY
        : positive('listener.maxReconnectAttempts', options.maxReconnectAttempts, 1),
    reconnectBackoff: Object.freeze({ initialMs: 100, maxMs: 5000, ...backoff }),
    pingIntervalMs: timer('listener.pingIntervalMs', options.pingIntervalMs, 30_000),
    pingTimeoutMs: Math.max(1, timer('listener.pingTimeoutMs', options.pingTimeoutMs, 10_000)),
    onReconnect: hook('listener.onReconnect', options.onReconnect),
    onGap: hook('listener.onGap', options.onGap),
  });
}

/**
 * Validates the options of `engine.notifications` / `engine.listen`.
 *
 * @throws TypeError naming the option.
 * @internal
 */
export function resolveNotificationsOptions(
  input: NotificationsOptions | undefined,
  defaults: ResolvedListenerOptions,
): { readonly bufferSize: number; readonly onGap: ((gap: NotificationGap) => void) | undefined } {
  const options = checkObject('notifications options', input ?? {}, NOTIFICATIONS_KEYS);
  return {
    bufferSize: positive('bufferSize', options.bufferSize, defaults.bufferSize),
    onGap: hook('onGap', options.onGap),
  };
}

function checkObject<T extends object>(name: string, value: T, keys: ReadonlySet<string>): T {
  if (value === null || typeof value !== 'object') throw new TypeError(`${name} must be an object`);
  const unknown = Object.keys(value).filter((key) => !keys.has(key));
  if (unknown.length > 0) throw new TypeError(`unknown ${name} option(s): ${unknown.join(', ')}`);
  return value;
}

function positive(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new TypeError(`${name} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

function timer(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_TIMER_MS) {
    throw new TypeError(`${name} must be an integer from 0 to ${MAX_TIMER_MS}, got ${String(value)}`);
  }
  return value;
}

function hook<F>(name: string, value: F | undefined): F | undefined {
  if (value !== undefined && typeof value !== 'function') throw new TypeError(`${name} must be a function`);
  return value;
}
