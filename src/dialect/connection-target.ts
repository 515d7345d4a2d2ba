import type { TransactionSettings } from 'kysely';
import type pg from 'pg';
import type { SAConnection } from '../connection/sa-connection.js';
import type { CursorBatch } from '../protocol/stream-cursor.js';
import type { SendControl } from '../transaction/control-channel.js';
import { connectionUnits, KyselyTransactions } from '../transaction/kysely-transactions.js';
import type { KyselyHost, QueryTarget } from './kysely-host.js';

/**
 * One `SAConnection` as pgsa's Kysely driver sees it: queries and streams take the
 * connection's one execution path, Kysely transactions are pgsa transactions on it. It is also
 * the host of `conn.db`, lending out itself (a closed connection refuses) and releasing
 * nothing, because the connection's owner releases it.
 *
 * @internal
 */
export class ConnectionTarget<DB = unknown>
  implements QueryTarget, KyselyHost<ConnectionTarget<DB>>
{
  readonly connection: SAConnection<DB>;
  #transactions: KyselyTransactions<DB> | undefined;

  constructor(connection: SAConnection<DB>) {
    this.connection = connection;
  }

  /** `conn.db`'s acquire. @throws ResourceClosedError when the connection is closed */
  async acquire(): Promise<this> {
    this.connection.guardOpen('execute');
    return this;
  }

  async release(): Promise<void> {}

  query(sql: string, parameters: readonly unknown[], rowMode: 'object'): Promise<pg.QueryResult> {
    return this.connection.query(sql, parameters, rowMode);
  }

  cursorBatches(
    sql: string,
    parameters: readonly unknown[],
    rowMode: 'object',
    batchSize: number,
  ): AsyncGenerator<CursorBatch, void, undefined> {
    return this.connection.cursorBatches(sql, parameters, rowMode, batchSize);
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
    this.#transactions ??= new KyselyTransactions(connectionUnits(this.connection));
    return this.#transactions;
  }
}
