import type { Kysely } from 'kysely';
import type pg from 'pg';
import type { ConnectionSettings } from './pgsa-logger.js';
import type { ShapeCache } from '../result/shape-cache.js';
import type { QueryMetrics } from './query-metrics.js';

/**
 * What an `SAConnection` needs from the engine that lent it its client. `Conn` is the
 * connection class (declared by it, so this file does not import it).
 *
 * Not part of the public API: kept in the declarations because public ones refer to it.
 */
export interface ConnectionOwner<DB, Conn> {
  readonly options: ConnectionSettings;
  /** The password, masked out of every message. */
  readonly secret: string | undefined;
  readonly shapes: ShapeCache;
  /** Returns `client` to the pool; `destroy` closes it instead (it is broken or busy). */
  releaseClient(conn: Conn, client: pg.PoolClient, destroy: boolean): void;
  /** The engine's `Kysely<DB>`: compiles `sql` templates without binding one per connection. */
  readonly db: Kysely<DB>;
  /** A `Kysely<DB>` that runs every query on `conn`. */
  bindKysely(conn: Conn): Kysely<DB>;
  /** Counts every statement and its latency (`engine.stats()`). */
  readonly metrics?: QueryMetrics | undefined;
}
