import type { NoSchema } from '../sql/no-schema.js';
import type { ConnectionOf } from './transaction-host.js';
import { Transaction } from './transaction.js';
import type { TransactionFrames } from './transaction-frames.js';
import {
  commitPreparedSql,
  prepareTransactionSql,
  rollbackPreparedSql,
} from '../sql/transaction-sql.js';

/**
 * A two-phase transaction (aiopg.sa's `TwoPhaseTransaction`), returned by
 * `conn.beginTwophase(xid?)`. `prepare()` sends `PREPARE TRANSACTION 'xid'`: the work is then
 * durable on the server but invisible, survives the connection closing (or its backend being
 * killed), and is finished by `commit()` (`COMMIT PREPARED`) or `rollback()` (`ROLLBACK
 * PREPARED`) here, or by `commitPrepared(xid)` / `rollbackPrepared(xid)` on any connection
 * (`recoverTwophase()` lists the pending xids). `commit()` prepares first when needed. The xid
 * is always sent as a safely quoted literal.
 *
 * Closing or disposing of a *prepared* transaction leaves it prepared: that is the point of
 * preparing. The server needs `max_prepared_transactions > 0`.
 *
 * @example
 * ```ts
 * const tx = await conn.beginTwophase('order-42');  // BEGIN
 * await conn.execute("insert into users (name) values ('ann')");
 * await tx.prepare();                               // PREPARE TRANSACTION 'order-42'
 * // … once every participant prepared:
 * await tx.commit();                                // COMMIT PREPARED 'order-42'
 * ```
 */
export class TwoPhaseTransaction<DB = NoSchema> extends Transaction<DB> {
  readonly #xid: string;

  /** @internal Made by `SAConnection.beginTwophase()`. */
  constructor(connection: ConnectionOf<DB>, frames: TransactionFrames, xid: string) {
    super(connection, frames);
    this.#xid = xid;
  }

  /** The global transaction id sent with `PREPARE TRANSACTION`. */
  get xid(): string {
    return this.#xid;
  }

  /**
   * Prepares the transaction (`PREPARE TRANSACTION 'xid'`). Afterwards `isActive` stays true
   * and `status` is `'prepared'` until `commit()` or `rollback()`; the connection is free for
   * other work.
   *
   * @throws InterfaceError when the transaction is not active (already prepared, committed,
   *   rolled back) or failed (it is rolled back first, and the error says so);
   *   `DatabaseError` when the server refuses (e.g. the xid is in use): the server then rolls
   *   the transaction back and its status is `'rolledBack'`.
   */
  async prepare(): Promise<void> {
    const status = this.beginOperation('prepare');
    try {
      if (status === 'failed') await this.rollBackFailed('prepare');
      await this.#prepare('prepare');
    } finally {
      this.finishOperation();
    }
  }

  protected override describe(): string {
    return 'two-phase transaction';
  }

  protected override async commitUnit(): Promise<boolean> {
    if (this.ownStatus !== 'prepared') await this.#prepare('commit');
    const sql = commitPreparedSql(this.#xid);
    await this.send(sql);
    this.published('commitPrepared', sql, { xid: this.#xid });
    return true;
  }

  protected override async rollbackUnit(): Promise<void> {
    if (this.ownStatus !== 'prepared') return super.rollbackUnit();
    const sql = rollbackPreparedSql(this.#xid);
    await this.send(sql);
    this.published('rollbackPrepared', sql, { xid: this.#xid });
  }

  async #prepare(operation: 'prepare' | 'commit'): Promise<void> {
    let command: string;
    const sql = prepareTransactionSql(this.#xid);
    try {
      command = (await this.send(sql)).command;
    } catch (error) {
      // "If the PREPARE TRANSACTION command fails for any reason, it becomes a ROLLBACK."
      this.end('rolledBack');
      throw error;
    }
    if (command === 'ROLLBACK') {
      // A statement failed after our status check: the server rolled back instead.
      this.end('rolledBack');
      throw this.failedError(operation, 'the server rolled it back');
    }
    this.end('prepared');
    this.published('prepare', sql, { xid: this.#xid });
  }
}
