import type { TransactionSettings } from 'kysely';
import type { ConnectionOf } from './transaction-host.js';
import { beginUnit, rollBackQuietly } from './run-in-transaction.js';
import type { Transaction } from './transaction.js';
import { kyselyTransactionOptions, type TransactionOptions } from '../sql/transaction-sql.js';

/**
 * Where Kysely's transactions come from: units of work — a transaction, or a savepoint inside
 * the one already open — as pgsa transaction objects. A connection begins them on itself
 * ({@link connectionUnits}); a session begins its own transaction lazily.
 *
 * Not part of the public API: kept in the declarations because public ones refer to it.
 */
export interface UnitSource<DB> {
  /** Begins a unit: a transaction, or a savepoint when one is open (options refused then). */
  beginUnit(options: TransactionOptions): Promise<Transaction<DB>>;
  /** Commits or rolls back a unit from `beginUnit`; a rollback never rejects (it logs). */
  endUnit(unit: Transaction<DB>, outcome: 'commit' | 'rollback'): Promise<void>;
}

/** The units of work of one connection. @internal */
export function connectionUnits<DB>(connection: ConnectionOf<DB>): UnitSource<DB> {
  return {
    beginUnit: (options) => beginUnit(connection, options),
    endUnit: (unit, outcome) =>
      outcome === 'commit'
        ? unit.commit()
        : rollBackQuietly(unit, new Error('Kysely transaction rolled back')),
  };
}

/**
 * The transactions Kysely opened through one handle (`db.transaction()`,
 * `db.startTransaction()`), innermost last: a Kysely transaction is a pgsa unit of work, so
 * `inTransaction`, `begin()` and Kysely agree on what is open.
 *
 * @internal
 */
export class KyselyTransactions<DB> {
  readonly #source: UnitSource<DB>;
  readonly #open: Transaction<DB>[] = [];

  constructor(source: UnitSource<DB>) {
    this.#source = source;
  }

  /**
   * Kysely's `beginTransaction`.
   *
   * @throws InterfaceError for an isolation level or access mode inside an open transaction
   *   (a savepoint cannot change them); TypeError for a level PostgreSQL lacks ('snapshot').
   */
  async begin(settings: TransactionSettings): Promise<void> {
    this.#open.push(await this.#source.beginUnit(kyselyTransactionOptions(settings)));
  }

  /** Kysely's `commitTransaction`. @throws the commit's error (Kysely then rolls back). */
  async commit(): Promise<void> {
    const tx = this.#open.at(-1);
    if (tx === undefined) return;
    await this.#source.endUnit(tx, 'commit');
    this.#open.pop();
  }

  /**
   * Kysely's `rollbackTransaction`, also called after a failed commit. It never rejects: Kysely
   * would otherwise replace the error that made it roll back; a failed rollback is logged.
   */
  async rollback(): Promise<void> {
    const tx = this.#open.pop();
    if (tx !== undefined) await this.#source.endUnit(tx, 'rollback');
  }
}
