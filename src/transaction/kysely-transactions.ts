import type { TransactionSettings } from 'kysely';
import type { SendControl } from './control-channel.js';
import type { ConnectionOf } from './transaction-host.js';
import { beginNestedTransaction } from './begin-transaction.js';
import { beginUnit, rollBackQuietly } from './run-in-transaction.js';
import type { Transaction } from './transaction.js';
import { InterfaceError } from '../errors/pgsa-error.js';
import { kyselyTransactionOptions, type TransactionOptions } from '../sql/transaction-sql.js';

/**
 * Where Kysely's transactions come from: units of work — a transaction, or a savepoint inside
 * the one already open — as pgsa transaction objects. A connection begins them on itself
 * ({@link connectionUnits}); a session begins its own transaction lazily.
 *
 * Not part of the public API: kept in the declarations because public ones refer to it.
 */
export interface UnitSource<DB> {
  /**
   * Begins a unit: a transaction, or a savepoint when one is open (options refused then).
   * `send` is where its control statements go (a session may ignore it).
   */
  beginUnit(options: TransactionOptions, send?: SendControl): Promise<Transaction<DB>>;
  /** Commits or rolls back a unit from `beginUnit`; a rollback never rejects (it logs). */
  endUnit(unit: Transaction<DB>, outcome: 'commit' | 'rollback'): Promise<void>;
}

/** The units of work of one connection. @internal */
export function connectionUnits<DB>(connection: ConnectionOf<DB>): UnitSource<DB> {
  return {
    beginUnit: (options, send) => beginUnit(connection, options, send),
    endUnit: (unit, outcome) =>
      outcome === 'commit'
        ? unit.commit()
        : rollBackQuietly(unit, new Error('Kysely transaction rolled back')),
  };
}

/** One open Kysely unit of work, or one of its named savepoints (`trx.savepoint(name)`). */
interface Frame<DB> {
  readonly tx: Transaction<DB>;
  /** The Kysely savepoint name; `undefined` for a unit begun by `beginTransaction`. */
  readonly savepoint: string | undefined;
}

/**
 * The transactions Kysely opened through one handle (`db.transaction()`,
 * `db.startTransaction()`) and the savepoints of a ControlledTransaction, innermost last: each
 * is a pgsa transaction object (a savepoint a `NestedTransaction`), so `inTransaction`,
 * `begin()` and Kysely agree on what is open, and there is one savepoint mechanism.
 *
 * @internal
 */
export class KyselyTransactions<DB> {
  readonly #source: UnitSource<DB>;
  readonly #open: Frame<DB>[] = [];

  constructor(source: UnitSource<DB>) {
    this.#source = source;
  }

  /**
   * Kysely's `beginTransaction`.
   *
   * @throws InterfaceError for an isolation level or access mode inside an open transaction
   *   (a savepoint cannot change them); TypeError for a level PostgreSQL lacks ('snapshot').
   */
  async begin(settings: TransactionSettings, send?: SendControl): Promise<void> {
    const tx = await this.#source.beginUnit(kyselyTransactionOptions(settings), send);
    this.#open.push({ tx, savepoint: undefined });
  }

  /**
   * Kysely's `commitTransaction`: savepoints still open in the unit are released first (a
   * COMMIT keeps their work), then the unit commits.
   *
   * @throws the commit's error (Kysely then rolls back).
   */
  async commit(): Promise<void> {
    const unit = this.#innermostUnit();
    if (unit < 0) return;
    await this.#releaseDownTo(unit + 1);
    await this.#source.endUnit((this.#open[unit] as Frame<DB>).tx, 'commit');
    this.#open.length = unit;
  }

  /**
   * Kysely's `rollbackTransaction`, also called after a failed commit. It never rejects: Kysely
   * would otherwise replace the error that made it roll back; a failed rollback is logged. The
   * unit's savepoints end with it.
   */
  async rollback(): Promise<void> {
    const unit = this.#innermostUnit();
    if (unit < 0) return;
    const { tx } = this.#open[unit] as Frame<DB>;
    this.#open.length = unit;
    await this.#source.endUnit(tx, 'rollback');
  }

  /**
   * `trx.savepoint(name)`: `SAVEPOINT "name"` as a `NestedTransaction` of the open unit.
   *
   * @throws InterfaceError outside a Kysely transaction; TypeError for an unusable name.
   */
  async savepoint(name: string, send?: SendControl): Promise<void> {
    const unit = this.#open[this.#innermostUnit()];
    if (unit === undefined) {
      throw new InterfaceError(
        `cannot create savepoint ${JSON.stringify(name)}: no Kysely transaction is open on ` +
          'this connection',
      );
    }
    const tx = await beginNestedTransaction(unit.tx.connection, send, name);
    this.#open.push({ tx, savepoint: name });
  }

  /**
   * `trx.rollbackToSavepoint(name)`: undoes the work since the savepoint (savepoints opened
   * after it end too) and keeps the savepoint, as PostgreSQL does — pgsa's savepoint is rolled
   * back (`ROLLBACK TO SAVEPOINT`; `RELEASE SAVEPOINT`) and set again (`SAVEPOINT`).
   *
   * @throws InterfaceError when no savepoint of that name is open; the server's error.
   */
  async rollbackToSavepoint(name: string, send?: SendControl): Promise<void> {
    const index = this.#find('rollbackToSavepoint', name);
    const { tx } = this.#open[index] as Frame<DB>;
    this.#open.length = index;
    await tx.close(); // rolls back this savepoint and everything opened inside it
    const again = await beginNestedTransaction(tx.connection, send, name);
    this.#open.push({ tx: again, savepoint: name });
  }

  /**
   * `trx.releaseSavepoint(name)`: keeps the work; savepoints opened after it are released
   * with it, innermost first.
   *
   * @throws InterfaceError when no savepoint of that name is open; the server's error.
   */
  async releaseSavepoint(name: string): Promise<void> {
    await this.#releaseDownTo(this.#find('releaseSavepoint', name));
  }

  /** Releases the open savepoints from the innermost down to `index` (inclusive). */
  async #releaseDownTo(index: number): Promise<void> {
    while (this.#open.length > index) {
      const frame = this.#open.at(-1) as Frame<DB>;
      try {
        await frame.tx.commit();
      } finally {
        // A failed savepoint is rolled back by its commit (which then throws): it is over.
        if (!frame.tx.isActive) this.#open.pop();
      }
    }
  }

  #innermostUnit(): number {
    return this.#open.findLastIndex((frame) => frame.savepoint === undefined);
  }

  #find(operation: string, name: string): number {
    const unit = this.#innermostUnit();
    const index = this.#open.findLastIndex((frame) => frame.savepoint === name);
    if (unit < 0 || index < unit) throw notInTransaction(operation, name);
    return index;
  }
}

function notInTransaction(operation: string, name: string): InterfaceError {
  return new InterfaceError(
    `cannot ${operation}(${JSON.stringify(name)}): no savepoint of that name is open in this ` +
      'Kysely transaction; create it with trx.savepoint(name) first',
  );
}
