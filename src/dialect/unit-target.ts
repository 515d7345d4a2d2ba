import type { TransactionSettings } from 'kysely';
import type pg from 'pg';
import type { CursorBatch } from '../protocol/stream-cursor.js';
import type { SendControl } from '../transaction/control-channel.js';
import { KyselyTransactions, type UnitSource } from '../transaction/kysely-transactions.js';
import type { QueryTarget } from './kysely-host.js';

/** The execution path a {@link UnitTarget} runs statements and cursors on. @internal */
export interface TargetExecutor {
  query(sql: string, parameters: readonly unknown[], rowMode: 'object'): Promise<pg.QueryResult>;
  cursorBatches(
    sql: string,
    parameters: readonly unknown[],
    rowMode: 'object',
    batchSize: number,
  ): AsyncGenerator<CursorBatch, void, undefined>;
}

/**
 * A Kysely connection scope over one execution path (a connection, a session): its queries and
 * cursors go to `executor`, and Kysely's transactions and savepoints are pgsa units of work from
 * `units` — the session's transaction or a savepoint inside the open one — made on first use.
 *
 * @internal
 */
export class UnitTarget<DB> implements QueryTarget {
  readonly #executor: TargetExecutor;
  readonly #units: () => UnitSource<DB>;
  #transactions: KyselyTransactions<DB> | undefined;

  constructor(executor: TargetExecutor, units: () => UnitSource<DB>) {
    this.#executor = executor;
    this.#units = units;
  }

  query(sql: string, parameters: readonly unknown[], rowMode: 'object'): Promise<pg.QueryResult> {
    return this.#executor.query(sql, parameters, rowMode);
  }

  cursorBatches(
    sql: string,
    parameters: readonly unknown[],
    rowMode: 'object',
    batchSize: number,
  ): AsyncGenerator<CursorBatch, void, undefined> {
    return this.#executor.cursorBatches(sql, parameters, rowMode, batchSize);
  }

  beginTransaction(settings: TransactionSettings, send: SendControl): Promise<void> {
    return this.#kysely().begin(settings, send);
  }

  async commitTransaction(): Promise<void> {
    await this.#transactions?.commit();
  }

  async rollbackTransaction(): Promise<void> {
    await this.#transactions?.rollback();
  }

  savepoint(name: string, send: SendControl): Promise<void> {
    return this.#kysely().savepoint(name, send);
  }

  rollbackToSavepoint(name: string, send: SendControl): Promise<void> {
    return this.#kysely().rollbackToSavepoint(name, send);
  }

  releaseSavepoint(name: string): Promise<void> {
    return this.#kysely().releaseSavepoint(name);
  }

  #kysely(): KyselyTransactions<DB> {
    this.#transactions ??= new KyselyTransactions(this.#units());
    return this.#transactions;
  }
}
