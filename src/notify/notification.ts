/**
 * What LISTEN delivers, what the hooks are told, and the checks every NOTIFY passes before
 * anything is sent.
 */
import { DataError } from '../errors/database-error.js';
import { refuseBehindPgBouncer as refuseCall } from '../errors/pgbouncer-refusal.js';
import { quoteIdentifier } from '../sql/quote.js';

/** One notification received on a LISTENed channel. */
export interface Notification {
  /** The channel it was sent on, exactly as given to NOTIFY / `pg_notify`. */
  readonly channel: string;
  /** The payload (`''` when none was given). */
  readonly payload: string;
  /** The server process id of the session that sent it. */
  readonly processId: number;
}

/**
 * Notifications were lost on a channel: PostgreSQL keeps none for a session that is not
 * listening, so the application should resync (re-read the state the channel announces).
 */
export interface NotificationGap {
  /** The channel whose notifications may be missing. */
  readonly channel: string;
  /**
   * `'reconnect'`: the listener connection was lost and re-established; whatever was sent in
   * between is gone. `'overflow'`: the subscriber's buffer was full and the oldest buffered
   * notifications were dropped.
   */
  readonly reason: 'reconnect' | 'overflow';
  /** For `'overflow'`, how many notifications were dropped; for `'reconnect'`, unknown (`undefined`). */
  readonly dropped: number | undefined;
}

/** The listener connection is back after it was lost (every channel LISTENed again). */
export interface ListenerReconnect {
  /** Connection attempts it took (1 when the first attempt succeeded). */
  readonly attempts: number;
  /** Milliseconds from the moment the loss was detected to the moment the channels were LISTENed again. */
  readonly downtimeMs: number;
  /** The channels LISTENed again. */
  readonly channels: readonly string[];
  /** Why the connection was lost (password masked). */
  readonly error: Error;
}

/** Longest NOTIFY payload PostgreSQL accepts, in bytes (UTF-8). */
export const MAX_PAYLOAD_BYTES = 7999;

/**
 * Checks a channel name: a non-empty string without NUL of at most 63 bytes (longer names
 * would be truncated by the server, so two channels could collide).
 *
 * @throws TypeError naming the problem.
 */
export function checkChannel(channel: unknown): asserts channel is string {
  if (typeof channel !== 'string' || channel.length === 0) {
    throw new TypeError('a channel name must be a non-empty string');
  }
  try {
    quoteIdentifier(channel);
  } catch (error) {
    throw new TypeError(`invalid channel name: ${(error as Error).message}`);
  }
}

/**
 * Checks NOTIFY's arguments before anything is sent.
 *
 * @throws TypeError for a bad channel name or a payload that is not a string; DataError for a
 *   payload over {@link MAX_PAYLOAD_BYTES} bytes.
 */
export function checkNotifyArguments(channel: unknown, payload: unknown): void {
  checkChannel(channel);
  if (typeof payload !== 'string') {
    throw new TypeError(`a notification payload must be a string, got ${typeof payload}`);
  }
  const bytes = Buffer.byteLength(payload, 'utf8');
  if (bytes > MAX_PAYLOAD_BYTES) {
    throw new DataError(
      `notification payload is ${bytes} bytes; PostgreSQL accepts at most ${MAX_PAYLOAD_BYTES} ` +
        '(UTF-8): store large data in a table and notify its key',
    );
  }
}

/**
 * Refuses LISTEN on an engine configured for PgBouncer (engine option `pgbouncer: true`).
 *
 * @throws NotSupportedError saying why and what to do instead.
 */
export function refuseBehindPgBouncer(pgbouncer: boolean): void {
  refuseCall(pgbouncer, 'listen');
}
