import type { SAConnection } from '../connection/sa-connection.js';
import { ConnectionTarget } from './connection-target.js';
import type { AutocommitRunner, KyselyHost } from './kysely-host.js';

/**
 * The host of `engine.db` and `engine.dialect`: each query (or Kysely transaction) acquires a
 * connection and closes it (back to the pool) on release; single statements may take
 * `autocommit` (the pipelined path) instead.
 *
 * @internal
 */
export class PoolHost<DB = unknown> implements KyselyHost<ConnectionTarget<DB>> {
  readonly #acquire: () => Promise<SAConnection<DB>>;
  readonly autocommit: AutocommitRunner | undefined;

  constructor(acquire: () => Promise<SAConnection<DB>>, autocommit?: AutocommitRunner) {
    this.#acquire = acquire;
    this.autocommit = autocommit;
  }

  async acquire(): Promise<ConnectionTarget<DB>> {
    return new ConnectionTarget(await this.#acquire());
  }

  async release(target: ConnectionTarget<DB>): Promise<void> {
    await target.connection.close();
  }
}
