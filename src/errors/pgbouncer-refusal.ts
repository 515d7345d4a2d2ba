import { NotSupportedError } from './database-error.js';

/**
 * Calls an engine configured with `pgbouncer: true` refuses at run time. Not part of the public
 * API. The whole list of what `pgbouncer: true` changes is in `src/engine/pgbouncer-mode.ts`.
 */
export type PgBouncerRefusal = 'listen' | 'prepare';

/** What each refused call says: what, why, and what to do instead. */
const REFUSALS: Readonly<Record<PgBouncerRefusal, string>> = {
  listen:
    'cannot listen: the engine is configured for PgBouncer (pgbouncer: true); in transaction ' +
    'mode PgBouncer gives every transaction another server connection, so LISTEN would ' +
    'never deliver. Listen through a second engine that connects to PostgreSQL directly ' +
    '(NOTIFY works through PgBouncer)',
  prepare:
    'cannot prepare: the engine is configured for PgBouncer (pgbouncer: true); in transaction ' +
    'mode PgBouncer gives every transaction another server connection, so a named prepared ' +
    'statement would be missing (or another client\'s) on the next one. Run the statement with ' +
    'parameters instead (execute, fetch, executeMany), or prepare it through a second engine ' +
    'that connects to PostgreSQL directly',
};

/**
 * Throws when `pgbouncer` is set: `feature` cannot work behind PgBouncer in transaction mode.
 *
 * @throws NotSupportedError saying why and what to do instead.
 * @internal
 */
export function refuseBehindPgBouncer(pgbouncer: boolean, feature: PgBouncerRefusal): void {
  if (pgbouncer) throw new NotSupportedError(REFUSALS[feature]);
}
