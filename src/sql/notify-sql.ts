/**
 * The text of LISTEN / UNLISTEN / NOTIFY statements. Channel names are identifiers, quoted by
 * {@link quoteIdentifier} (any string is safe); NOTIFY goes through `pg_notify` with parameters
 * so the payload is never spliced into SQL.
 */
import { quoteIdentifier } from './quote.js';

/** `pg_notify(channel, payload)`: parameters, so any payload is safe; transactional like NOTIFY. */
export const NOTIFY_SQL = 'select pg_notify($1, $2)';

/** Stops every LISTEN of the session (what the pool sends before reusing a listening connection). */
export const UNLISTEN_ALL_SQL = 'UNLISTEN *';

/**
 * `LISTEN "channel"`.
 *
 * @throws TypeError for an empty channel, a NUL character or more than 63 bytes.
 * @example
 * ```ts
 * listenSql('orders "eu"') // 'LISTEN "orders ""eu"""'
 * ```
 */
export function listenSql(channel: string): string {
  return `LISTEN ${quoteIdentifier(channel)}`;
}

/**
 * `UNLISTEN "channel"`.
 *
 * @throws TypeError as {@link listenSql}.
 */
export function unlistenSql(channel: string): string {
  return `UNLISTEN ${quoteIdentifier(channel)}`;
}
