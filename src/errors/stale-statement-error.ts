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
