import type { NoSchema } from '../sql/no-schema.js';
import type { ConnectionOf } from './transaction-host.js';
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
 * @example
 * ```ts
 * const tx = await conn.begin();
 * const sp = await conn.beginNested();         // SAVEPOINT "pgsa_savepoint_1"
 * try {
 *   await conn.execute("insert into users (name) values ('maybe')");
 *   await sp.commit();                         // RELEASE SAVEPOINT "pgsa_savepoint_1"
 * } catch {
 *   await sp.rollback();                       // ROLLBACK TO SAVEPOINT …; RELEASE SAVEPOINT …
 * }
 * await tx.commit();
 * ```
 */
export class NestedTransaction<DB = NoSchema> extends Transaction<DB> {
  readonly #savepoint: string | undefined;

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

  protected override async commitUnit(): Promise<boolean> {
    if (this.#savepoint === undefined) return super.commitUnit();
    const sql = releaseSavepointSql(this.#savepoint);
    await this.send(sql);
    this.published('releaseSavepoint', sql, { savepoint: this.#savepoint });
    return true;
  }

  protected override async rollbackUnit(): Promise<void> {
    if (this.#savepoint === undefined) return super.rollbackUnit();
    const sql = rollbackToSavepointSql(this.#savepoint);
    await this.send(sql);
    this.published('rollbackToSavepoint', sql, { savepoint: this.#savepoint });
  }
}
