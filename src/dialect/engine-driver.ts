import type { DatabaseConnection, Driver, TransactionSettings } from 'kysely';
import type { Engine } from '../engine/engine.js';
import { ConnectionAdapter } from './connection-adapter.js';
import {
  commitKyselyTransaction,
  rollbackKyselyTransaction,
} from '../transaction/kysely-transactions.js';
import { beginTransaction } from './connection-driver.js';

/**
 * The Kysely driver behind `engine.db` and `engine.dialect`: each query (or Kysely
 * transaction) acquires a connection from the engine and releases it afterwards.
 *
 * @internal
 */
export class EngineDriver<DB> implements Driver {
  readonly #engine: Engine<DB>;

  constructor(engine: Engine<DB>) {
    this.#engine = engine;
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    return new ConnectionAdapter(await this.#engine.acquire());
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings) {
    await beginTransaction(connection, settings);
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await commitKyselyTransaction(connection);
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await rollbackKyselyTransaction(connection);
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    await (connection as ConnectionAdapter<DB>).connection.close();
  }

  /** `engine.db.destroy()` does not close the engine: the engine owns the pool. */
  async destroy(): Promise<void> {}
}
