import type { TransactionSettings } from 'kysely';
import type { SAConnection } from '../connection/sa-connection.js';
import { beginUnit, rollBackQuietly } from './run-in-transaction.js';
import type { Transaction } from './transaction.js';
import type { IsolationLevel, TransactionOptions } from './transaction-sql.js';

/**
 * The transactions Kysely opened on one connection (`db.transaction()`,
 * `db.startTransaction()`), as pgsa transaction objects, innermost last: a Kysely transaction
 * is a pgsa transaction (a savepoint when one is already in progress), so
 * `conn.inTransaction`, `conn.begin()` and Kysely agree on what is open.
 *
 * @internal
 */
export class KyselyTransactions<DB> {
  readonly #connection: SAConnection<DB>;
  readonly #open: Transaction<DB>[] = [];

  constructor(connection: SAConnection<DB>) {
    this.#connection = connection;
  }

  /**
   * Kysely's `beginTransaction`.
   *
   * @throws InterfaceError for an isolation level or access mode inside an open transaction
   *   (a savepoint cannot change them); TypeError for a level PostgreSQL lacks.
   */
  async begin(settings: TransactionSettings): Promise<void> {
    this.#open.push(await beginUnit(this.#connection, transactionOptions(settings)));
  }

  /** Kysely's `commitTransaction`. @throws the commit's error (Kysely then rolls back). */
  async commit(): Promise<void> {
    const tx = this.#open.at(-1);
    if (tx === undefined) return;
    await tx.commit();
    this.#open.pop();
  }

  /**
   * Kysely's `rollbackTransaction`, also called after a failed commit. It never rejects: Kysely
   * would otherwise replace the error that made it roll back; a failed rollback is logged.
   */
  async rollback(): Promise<void> {
    const tx = this.#open.pop();
    if (tx === undefined) return;
    await rollBackQuietly(tx, new Error('Kysely transaction rolled back'));
  }
}

function transactionOptions(settings: TransactionSettings): TransactionOptions {
  return {
    ...(settings.isolationLevel === undefined
      ? {}
      : { isolationLevel: settings.isolationLevel as IsolationLevel }),
    ...(settings.accessMode === undefined ? {} : { readOnly: settings.accessMode === 'read only' }),
  };
}
