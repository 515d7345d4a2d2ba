import type { DatabaseConnection, TransactionSettings } from 'kysely';
import type { SAConnection } from '../connection/sa-connection.js';
import { beginUnit, rollBackQuietly } from './run-in-transaction.js';
import type { Transaction } from './transaction.js';
import type { IsolationLevel } from './transaction-sql.js';

/** What the Kysely glue hands over: a Kysely connection wrapping an `SAConnection`. */
interface ConnectionHandle<DB> extends DatabaseConnection {
  readonly connection: SAConnection<DB>;
}

/** Transactions Kysely opened on each handle, innermost last. */
const opened = new WeakMap<DatabaseConnection, Transaction<never>[]>();

/**
 * Kysely's `beginTransaction`: opens a pgsa transaction (a savepoint when one is already in
 * progress on the connection), so `db.transaction().execute()` and pgsa's transaction objects
 * agree on what is open.
 *
 * @internal
 */
export async function beginKyselyTransaction<DB>(
  handle: ConnectionHandle<DB>,
  settings: TransactionSettings,
): Promise<void> {
  const tx = await beginUnit(handle.connection, {
    ...(settings.isolationLevel === undefined
      ? {}
      : { isolationLevel: settings.isolationLevel as IsolationLevel }),
    ...(settings.accessMode === undefined ? {} : { readOnly: settings.accessMode === 'read only' }),
  });
  const stack = opened.get(handle) ?? [];
  stack.push(tx as unknown as Transaction<never>);
  opened.set(handle, stack);
}

/** Kysely's `commitTransaction`. @internal */
export async function commitKyselyTransaction(handle: DatabaseConnection): Promise<void> {
  const tx = opened.get(handle)?.at(-1);
  if (tx === undefined) return;
  await tx.commit();
  opened.get(handle)?.pop();
}

/**
 * Kysely's `rollbackTransaction`, also called after a failed commit. It never throws: Kysely
 * would otherwise replace the error that made it roll back; a failed rollback is logged.
 *
 * @internal
 */
export async function rollbackKyselyTransaction(handle: DatabaseConnection): Promise<void> {
  const tx = opened.get(handle)?.pop();
  if (tx === undefined) return;
  await rollBackQuietly(tx, new Error('Kysely transaction rolled back'));
}
