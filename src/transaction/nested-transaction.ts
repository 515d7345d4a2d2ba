import type { NoSchema } from '../sql/no-schema.js';
import type { ConnectionOf, DeferredControl } from './transaction-host.js';
import { Transaction } from './transaction.js';
import type { TransactionFrames } from './transaction-frames.js';
import { releaseSavepointSql, rollbackToSavepointSql } from '../sql/transaction-sql.js';

/**
 * A savepoint inside a transaction (aiopg.sa's `NestedTransaction`), returned by
 * `conn.beginNested()`: `commit()` sends `RELEASE SAVEPOINT` (the work joins the enclosing
 * transaction, which still decides), `rollback()` sends `ROLLBACK TO SAVEPOINT` and the
 * enclosing transaction stays usable. Savepoints nest to any depth; ending one that is not the
 * innermost raises `InterfaceError` and sends nothing.
 *
 * Outside a transaction `beginNested()` sends a plain `BEGIN` (as aiopg) and this object then
 * commits or rolls back the whole transaction; `savepoint` is `undefined`.
 *
 * Inside a transaction that has not failed, `SAVEPOINT` goes out with the next statement on
 * the connection and `commit()`'s `RELEASE SAVEPOINT` with the statement after it (or the
 * enclosing `COMMIT`), in the same write; a savepoint that ran no statement sends nothing. A
 * refused `SAVEPOINT` or `RELEASE` is the error of the statement that carried it, which did
 * not run, and the enclosing transaction is then failed.
 *
 * @example
 * ```ts
 * const tx = await conn.begin();
 * const sp = await conn.beginNested();         // SAVEPOINT "pgsa_savepoint_1" (sent with the INSERT)
 * try {
 *   await conn.execute("insert into users (name) values ('maybe')");
 *   await sp.commit();                         // RELEASE SAVEPOINT … (sent with the COMMIT)
 * } catch {
 *   await sp.rollback();                       // ROLLBACK TO SAVEPOINT …; RELEASE SAVEPOINT …
 * }
 * await tx.commit();
 * ```
 */
export class NestedTransaction<DB = NoSchema> extends Transaction<DB> {
  readonly #savepoint: string | undefined;
  /** Its `SAVEPOINT`, when deferred to the next statement (issue 18). */
  #deferred: DeferredControl | undefined;

  /** @internal Made by `SAConnection.beginNested()`. */
  constructor(
    connection: ConnectionOf<DB>,
    frames: TransactionFrames,
    enclosing: Transaction<DB> | undefined,
    savepoint: string | undefined,
  ) {
    super(connection, frames, enclosing);
    this.#savepoint = savepoint;
  }

  /** The savepoint's name, or `undefined` when this object began the whole transaction. */
  get savepoint(): string | undefined {
    return this.#savepoint;
  }

  protected override describe(): string {
    return this.#savepoint === undefined ? 'transaction' : `savepoint ${this.#savepoint}`;
  }

  protected override rolledBackNote(): string {
    return this.#savepoint === undefined
      ? super.rolledBackNote()
      : 'it was rolled back to the savepoint and the enclosing transaction can continue';
  }

  /** Marks its SAVEPOINT as deferred to the next statement. @internal */
  deferredSavepoint(command: DeferredControl): void {
    this.#deferred = command;
  }

  /**
   * True when its SAVEPOINT never reached the server (no statement ran) or failed: there is
   * nothing to release or roll back to. Forgets the SAVEPOINT.
   */
  #unsent(): boolean {
    return this.#deferred !== undefined && this.connection.dropSavepointCommand(this.#deferred);
  }

  protected override async commitUnit(): Promise<boolean> {
    const savepoint = this.#savepoint;
    if (savepoint === undefined) return super.commitUnit();
    if (this.#unsent()) return true;
    const sql = releaseSavepointSql(savepoint);
    const connection = this.connection;
    if (!this.routed && !connection.transactionFailed) {
      // Goes out with the next statement (or the enclosing COMMIT / ROLLBACK): a RELEASE of a
      // savepoint in a healthy transaction has nothing to report but a lost connection, which
      // that next exchange reports. The work joins the enclosing transaction either way.
      connection.deferSavepointCommand(sql, (error) => {
        if (error === undefined) this.published('releaseSavepoint', sql, { savepoint });
      });
      return true;
    }
    await this.send(sql);
    this.published('releaseSavepoint', sql, { savepoint });
    return true;
  }

  protected override async rollbackUnit(): Promise<void> {
    if (this.#savepoint === undefined) return super.rollbackUnit();
    if (this.#unsent()) return;
    const sql = rollbackToSavepointSql(this.#savepoint);
    await this.send(sql);
    this.published('rollbackToSavepoint', sql, { savepoint: this.#savepoint });
  }
}
