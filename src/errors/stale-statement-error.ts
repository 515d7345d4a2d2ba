import { OperationalError } from './database-error.js';

/**
 * A statement from the automatic prepared-statement cache was rejected by the server inside a
 * transaction: the schema changed under it ("cached plan must not change result type",
 * SQLSTATE 0A000) or the prepared statement was dropped (`DEALLOCATE`, `DISCARD ALL`; 26000).
 *
 * Outside a transaction pgsa re-prepares and retries such a statement transparently. Inside
 * one it cannot: the server has already aborted the transaction. Roll it back and run the
 * transaction again; the statement is prepared afresh on its next use. `sqlstate` and the
 * other server fields are those of the server's error, which is also the `cause`.
 *
 * @example
 * ```ts
 * try {
 *   await engine.transaction(async (conn) => { await conn.execute('select * from users where id = $1', [1]); });
 * } catch (error) {
 *   if (error instanceof StaleStatementError) {} // schema changed mid-transaction: run it again
 * }
 * ```
 */
export class StaleStatementError extends OperationalError {}

/** Why the server rejected a cached prepared statement (see {@link staleStatementReason}). Not part of the public API: kept in the declarations because public ones refer to it. */
export type StaleStatementReason = 'result type changed' | 'missing';

/**
 * Why the server rejected a cached prepared statement, when it did; `undefined` for any other
 * error. Decided by SQLSTATE and the ErrorResponse's `routine` (the server function that raised
 * it), never by the message, which the server translates (`lc_messages`):
 *
 * - 0A000 (feature_not_supported) raised by `RevalidateCachedQuery`: "cached plan must not
 *   change result type" — the schema changed under the statement. 0A000 alone is too broad.
 * - 26000 (invalid_sql_statement_name): the named statement does not exist (`DEALLOCATE`,
 *   `DISCARD ALL`); raised by `FetchPreparedStatement`, but the SQLSTATE is specific already.
 *
 * @internal
 */
export function staleStatementReason(error: unknown): StaleStatementReason | undefined {
  const { code, routine } = (error ?? {}) as { code?: unknown; routine?: unknown };
  if (code === '26000') return 'missing';
  if (code === '0A000' && routine === 'RevalidateCachedQuery') return 'result type changed';
  return undefined;
}
