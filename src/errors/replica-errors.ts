import { InternalError, OperationalError } from './database-error.js';

/**
 * 25006 `read_only_sql_transaction`: a write was sent where only reads are allowed — a hot
 * standby (`engine.readonly` on a replica), or a `READ ONLY` transaction such as a read-only
 * session's (psycopg's `ReadOnlySqlTransaction`). Send writes through the engine itself.
 */
export class ReadOnlySqlTransactionError extends InternalError {}

/**
 * No replica could serve a read of `engine.readonly` and the engine is configured not to fall
 * back to the primary (`replicaFallback: 'fail'`). The message says, for each replica, why it
 * was skipped (down, lagging past `maxLagMs`, not checked yet).
 */
export class ReplicaUnavailableError extends OperationalError {}
