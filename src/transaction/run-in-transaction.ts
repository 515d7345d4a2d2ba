import type { ConnectionOf } from './transaction-host.js';
import { InterfaceError } from '../errors/pgsa-error.js';
import { beginNestedTransaction, beginTransaction } from './begin-transaction.js';
import type { Transaction } from './transaction.js';
import { type TransactionOptions, validateTransactionOptions } from '../sql/transaction-sql.js';
import type { SendControl } from './control-channel.js';

/**
 * The unit of work run by `conn.transaction(fn)` and `engine.transaction(fn)`: it receives the
 * connection the transaction runs on, and its result becomes the transaction's result.
 *
 * @example
 * ```ts
 * const count: TransactionCallback<Database, number> = async (conn) =>
 *   (await conn.scalar('select count(*)::int from users')) as number;
 * ```
 */
export type TransactionCallback<DB, T> = (conn: ConnectionOf<DB>) => Promise<T> | T;

/**
 * `conn.transaction(fn, options)`: begins (or, inside a transaction, opens a savepoint), runs
 * `fn(conn)`, commits on success, rolls back and rethrows on error. A failing rollback is logged
 * and never replaces `fn`'s error.
 *
 * @internal
 */
export async function runInTransaction<DB, T>(
  conn: ConnectionOf<DB>,
  fn: TransactionCallback<DB, T>,
  options: TransactionOptions | undefined,
): Promise<T> {
  if (typeof fn !== 'function') throw new TypeError('transaction(fn) expects a function');
  const tx = await beginUnit(conn, options);
  let result: T;
  try {
    result = await fn(conn);
  } catch (error) {
    await rollBackQuietly(tx, error);
    throw error;
  }
  try {
    await tx.commit();
  } catch (error) {
    // Usually already rolled back (the server refused COMMIT); this covers a savepoint left
    // open inside fn or a connection lost mid-COMMIT.
    await rollBackQuietly(tx, error);
    throw error;
  }
  return result;
}

/**
 * Begins the unit of work of `transaction(fn)` (and of Kysely's `db.transaction()` on pgsa
 * connections): a transaction, or a savepoint when one is already in progress.
 *
 * @param send where the unit's control statements go (default: the connection's path).
 * @throws InterfaceError when options are given for a nested unit (a savepoint cannot change
 *   them); TypeError for invalid options.
 * @internal
 */
export async function beginUnit<DB>(
  conn: ConnectionOf<DB>,
  options: TransactionOptions | undefined,
  send?: SendControl,
): Promise<Transaction<DB>> {
  const validated = validateTransactionOptions(options);
  const nested = conn.frames.depth > 0 || conn.inTransaction;
  if (nested && Object.keys(validated).length > 0) {
    throw new InterfaceError(
      'cannot run a nested transaction() with isolationLevel, readOnly or deferrable: it runs ' +
        'in a savepoint of the transaction in progress, whose settings apply',
    );
  }
  return nested ? beginNestedTransaction(conn, send) : beginTransaction(conn, validated, send);
}

/**
 * Rolls `tx` back (with everything opened inside it) after `original` was raised; if that
 * fails too, the failure is logged and `original` stays the error the caller sees.
 *
 * @internal
 */
export async function rollBackQuietly<DB>(tx: Transaction<DB>, original: unknown): Promise<void> {
  try {
    await tx.close();
  } catch (rollbackError) {
    tx.connection.logger.warn?.(
      `rollback after an error failed (${(rollbackError as Error).message}); rethrowing the ` +
        `original error: ${original instanceof Error ? original.message : String(original)}`,
    );
  }
}
