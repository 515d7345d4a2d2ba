import type { DatabaseConnection, Driver, TransactionSettings } from 'kysely';
import type { SAConnection } from '../connection/sa-connection.js';
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
    await (connection as ConnectionAdapter<DB>).connection.query('COMMIT', [], 'object');
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as ConnectionAdapter<DB>).connection.query('ROLLBACK', [], 'object');
  }

  async releaseConnection(): Promise<void> {}

  async destroy(): Promise<void> {}
}

/** BEGIN with Kysely's transaction settings. @internal */
export async function beginTransaction(
  connection: DatabaseConnection,
  settings: TransactionSettings,
): Promise<void> {
  const parts = ['BEGIN'];
  if (settings.isolationLevel)
    parts.push(`ISOLATION LEVEL ${settings.isolationLevel.toUpperCase()}`);
  if (settings.accessMode) parts.push(settings.accessMode.toUpperCase());
  await (connection as ConnectionAdapter<unknown>).connection.query(parts.join(' '), [], 'object');
}
