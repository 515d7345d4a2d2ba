import type { SAConnection } from '../connection/sa-connection.js';
import { connectionUnits } from '../transaction/kysely-transactions.js';
import type { KyselyHost } from './kysely-host.js';
import { UnitTarget } from './unit-target.js';

/**
 * One `SAConnection` as pgsa's Kysely driver sees it: queries and streams take the
 * connection's one execution path, Kysely transactions are pgsa transactions on it. It is also
 * the host of `conn.db`, lending out itself (a closed connection refuses) and releasing
 * nothing, because the connection's owner releases it.
 *
 * @internal
 */
export class ConnectionTarget<DB = unknown>
  extends UnitTarget<DB>
  implements KyselyHost<ConnectionTarget<DB>>
{
  readonly connection: SAConnection<DB>;

  constructor(connection: SAConnection<DB>) {
    super(connection, () => connectionUnits(connection));
    this.connection = connection;
  }

  /** `conn.db`'s single statements run on the connection itself. @throws ResourceClosedError when the connection is closed */
  queryTarget(): this {
    this.connection.guardOpen('execute');
    return this;
  }

  /** `conn.db`'s acquire. @throws ResourceClosedError when the connection is closed */
  async acquire(): Promise<this> {
    return this.queryTarget();
  }

  async release(): Promise<void> {}
}
