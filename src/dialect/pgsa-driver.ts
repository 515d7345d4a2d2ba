import type { DatabaseConnection, Driver, TransactionSettings } from 'kysely';
import type { KyselyHost, QueryTarget } from './kysely-host.js';
import type { SendControl } from '../transaction/control-channel.js';
import { TargetConnection } from './target-connection.js';

/**
 * pgsa's one Kysely driver, behind `engine.db`, `engine.dialect`, `conn.db` (and sessions):
 * each query, or Kysely transaction, runs on a target its {@link KyselyHost} lends out and
 * takes back afterwards; Kysely's transactions are the target's (pgsa's transaction objects,
 * savepoints inside an open transaction). The driver knows nothing of engines or pools.
 *
 * @internal
 */
export class PgsaDriver<Target extends QueryTarget = QueryTarget> implements Driver {
  readonly #host: KyselyHost<Target>;

  constructor(host: KyselyHost<Target>) {
    this.#host = host;
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    return new TargetConnection(await this.#host.acquire());
  }

  async beginTransaction(
    connection: DatabaseConnection,
    settings: TransactionSettings,
  ): Promise<void> {
    await targetOf<Target>(connection).beginTransaction(settings, sendOf(connection));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await targetOf<Target>(connection).commitTransaction();
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await targetOf<Target>(connection).rollbackTransaction();
  }

  /** A ControlledTransaction's `savepoint(name)`: `SAVEPOINT "name"`, a pgsa savepoint. */
  async savepoint(connection: DatabaseConnection, savepointName: string): Promise<void> {
    await targetOf<Target>(connection).savepoint(savepointName, sendOf(connection));
  }

  /** `rollbackToSavepoint(name)`: back to the savepoint, which stays open (as in PostgreSQL). */
  async rollbackToSavepoint(connection: DatabaseConnection, savepointName: string): Promise<void> {
    await targetOf<Target>(connection).rollbackToSavepoint(savepointName, sendOf(connection));
  }

  /** `releaseSavepoint(name)`: `RELEASE SAVEPOINT "name"` (and of savepoints made after it). */
  async releaseSavepoint(connection: DatabaseConnection, savepointName: string): Promise<void> {
    await targetOf<Target>(connection).releaseSavepoint(savepointName);
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    await this.#host.release(targetOf<Target>(connection));
  }

  /** Destroying a Kysely does not close what the host owns (the engine's pool, a connection). */
  async destroy(): Promise<void> {}
}

/** Control statements go through the Kysely connection's (possibly logged) executeQuery. */
function sendOf(connection: DatabaseConnection): SendControl {
  return (connection as TargetConnection<QueryTarget>).sendControl;
}

/** Kysely hands back only connections this driver made. */
function targetOf<Target extends QueryTarget>(connection: DatabaseConnection): Target {
  return (connection as TargetConnection<Target>).target;
}
