import type { DatabaseConnection, Driver, TransactionSettings } from 'kysely';
import type { SAConnection } from '../connection/sa-connection.js';
import {
  beginKyselyTransaction,
  commitKyselyTransaction,
  rollbackKyselyTransaction,
} from '../transaction/kysely-transactions.js';
import { ConnectionAdapter } from './connection-adapter.js';

/**
 * A Kysely driver over one already-acquired `SAConnection` (behind `conn.db`): every query
 * runs on that connection; releasing does nothing, because the connection's owner does that.
 *
 * @internal
 */
export class ConnectionDriver<DB> implements Driver {
  readonly #adapter: ConnectionAdapter<DB>;

  constructor(connection: SAConnection<DB>) {
    this.#adapter = new ConnectionAdapter(connection);
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    this.#adapter.connection.guardOpen('execute');
    return this.#adapter;
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

  async releaseConnection(): Promise<void> {}

  async destroy(): Promise<void> {}
}

/**
 * Kysely's BEGIN, through pgsa's transaction objects (a savepoint when a transaction is already
 * open on the connection), so `db.transaction()` and `conn.inTransaction`/`conn.begin()` agree.
 *
 * @internal
 */
export async function beginTransaction(
  connection: DatabaseConnection,
  settings: TransactionSettings,
): Promise<void> {
  await beginKyselyTransaction(connection as ConnectionAdapter<unknown>, settings);
}
