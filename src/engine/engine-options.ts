import type { NoSchema } from '../sql/no-schema.js';
import type { ConnectionOptions } from 'node:tls';
import type { ConnectionSettings, PgsaLogger } from '../connection/pgsa-logger.js';
import type { SAConnection } from '../connection/sa-connection.js';
import { type ResolvedConnection, resolveConnection, validPort } from './dsn.js';
import type { HostAddress, LoadBalanceHosts, TargetSessionAttrs } from './multi-host.js';
import { TypeRegistry } from '../codecs/type-registry.js';
import type { TypeOptions } from '../codecs/type-options.js';
import { type ConnectRetries, type ResolvedConnectRetries, resolveConnectRetries } from './connect-retries.js';
import { checkPgBouncerOptions, PGBOUNCER_DEFAULTS } from './pgbouncer-mode.js';
import {
  type ListenerOptions,
  type ResolvedListenerOptions,
  resolveListenerOptions,
} from '../notify/listener-options.js';
import {
  type ReplicaFallback,
  type ReplicaSource,
  type ResolvedReplicaSettings,
  resolveReplicaConnections,
  resolveReplicaSettings,
  standbysOfHostList,
} from './replica-options.js';

export type { EchoEvent, PgsaLogger } from '../connection/pgsa-logger.js';

/** Options of {@link createEngine}. Unknown keys are rejected. */
export interface EngineOptions<DB = NoSchema> {
  /**
   * `postgres://user:password@host:port/database?…` (parsed as node-postgres does, with
   * pg-connection-string); the explicit fields below override it.
   */
  connectionString?: string | undefined;
  /** Host name, IP address or Unix-socket directory (default `localhost`, or `PGHOST`). */
  host?: string | undefined;
  /** TCP port, an integer from 1 to 65535 (default 5432, or `PGPORT`). */
  port?: number | undefined;
  /** Login role (default: `PGUSER`, else the OS user). */
  user?: string | undefined;
  /** Password; kept off every public property, message and log line. */
  password?: string | undefined;
  /** Database name (default: the user name, or `PGDATABASE`). */
  database?: string | undefined;
  /** `true`, or Node TLS options (`ca`, `rejectUnauthorized` …), as node-postgres takes them. */
  ssl?: boolean | ConnectionOptions | undefined;
  /** Connections opened by `createEngine` and kept open (default 1). */
  minSize?: number | undefined;
  /** Most connections open at once, used and free (default 10). */
  maxSize?: number | undefined;
  /** How long `acquire()` waits for a free connection before `PoolTimeoutError` (default 30000). */
  acquireTimeoutMs?: number | undefined;
  /** How long opening one connection may take (default 10000). */
  connectTimeoutMs?: number | undefined;
  /**
   * Server-side `statement_timeout` for every statement (default: the server's). Also bounds
   * every round trip: a connection awaited that receives nothing for this long plus 2 s (a
   * network partition, a hung host) is closed and its calls fail with `OperationalError`.
   */
  statementTimeoutMs?: number | undefined;
  /** Close a free connection after this long idle (default 10000; 0 = never), keeping `minSize`. */
  idleTimeoutMs?: number | undefined;
  /** Replace a connection once it is this old (aiopg's `pool_recycle`; default: never). */
  maxLifetimeMs?: number | undefined;
  /** Replace a connection after it served this many acquires (asyncpg `max_queries`-like). */
  maxUses?: number | undefined;
  /** Runs once on every new connection before it is first handed out. */
  onConnect?: ((conn: SAConnection<DB>) => Promise<void> | void) | undefined;
  /** `true` logs every statement with its duration to the console; or pass a logger. */
  echo?: boolean | PgsaLogger | undefined;
  /** Include statement parameters in echo events (default false: they may hold secrets). */
  echoParameters?: boolean | undefined;
  /** Where warnings go when `echo` is not a logger (default: `console.warn`). */
  logger?: PgsaLogger | undefined;
  /** `application_name` shown in `pg_stat_activity`. */
  applicationName?: string | undefined;
  /**
   * Reset session state (SET, temporary tables, LISTEN, advisory locks, open cursors, role)
   * when a connection is released, at the cost of one round trip per release (default false:
   * session state stays with the pooled connection, as in aiopg and node-postgres).
   * Settings made in `onConnect` are reset too; `applicationName` and `statementTimeoutMs` are
   * connection defaults and survive.
   */
  resetOnRelease?: boolean | undefined;
  /**
   * Parameterized statements each connection keeps prepared on the server, least recently used
   * evicted first (default 100; 0 with `pgbouncer: true`). `0` turns the automatic
   * prepared-statement cache off: statements are then sent unnamed.
   */
  statementCacheSize?: number | undefined;
  /**
   * Connections, outside the pool, shared by `engine.db`'s autocommit statements in pipeline mode
   * (default 1, opened on first use; 0 with `pgbouncer: true`; `0` turns the pipelined path
   * off). Transactions, streams and `db.connection()` always use a connection of their own
   * from the pool.
   */
  pipelineConnections?: number | undefined;
  /** The dedicated LISTEN connection: buffer size, reconnection, ping, `onReconnect` / `onGap` hooks. */
  listener?: ListenerOptions | undefined;
  /**
   * The engine connects through PgBouncer in transaction mode (default false). What the
   * PgBouncer cannot carry is turned off or refused with an error saying why, instead of
   * misbehaving: the statement cache and the pipelined path default to off, `prepare()` and
   * LISTEN (`engine.listen`, `engine.notifications`, `conn.listen`) throw `NotSupportedError`,
   * and `statementCacheSize` other than 0, `resetOnRelease` and `statementTimeoutMs` are a
   * `TypeError`. Transactions, savepoints, two-phase commit, `executeMany`, COPY and streams
   * work. README "Behind PgBouncer (transaction mode)" has the whole list.
   *
   * @example
   * ```ts
   * const engine = await createEngine({ connectionString: 'postgres://app:secret@pgbouncer:6432/app', pgbouncer: true });
   * ```
   */
  pgbouncer?: boolean | undefined;
  /**
   * How this engine's connections decode `int8`, `numeric`, `date`, `json`/`jsonb`,
   * timestamps, `interval` and `bytea` (README "Type codecs"); pg's process-wide `pg.types` is
   * never changed. Defaults lose nothing: `int8` and `numeric` as strings, `date` as
   * `YYYY-MM-DD`.
   */
  types?: TypeOptions | undefined;
  /**
   * Retrying a connection attempt that failed transiently (refused or reset, the server starting
   * up or shutting down — 57P03 —, too many connections — 53300): `createEngine`, `acquire()`
   * and the pipelined connections try up to `attempts` times (default 3) with exponential,
   * jittered delays from `baseMs` (default 100) up to `maxMs` (default 2000). Authentication
   * (28P01, 28000), unknown-database (3D000) and configuration failures are never retried.
   * `acquire()` still gives up at `acquireTimeoutMs`.
   */
  connectRetries?: ConnectRetries | undefined;
  /**
   * Read replicas (hot standbys) for `engine.readonly`: URLs or connection fields; `user`,
   * `password`, `database` and `ssl` default to the primary's. Each replica gets a pool of its
   * own with this engine's settings (opened on demand; `onConnect` runs there too). Without
   * this option, a multi-host connection with `targetSessionAttrs` `read-write` or `primary`
   * reads from the standbys among its hosts (each host is a replica that only accepts a
   * standby); `replicas: []` turns that off.
   */
  replicas?: readonly ReplicaSource[] | undefined;
  /**
   * Skip a replica whose replay lag, measured on it, exceeds this many ms, until it catches up
   * (default: no limit).
   */
  maxLagMs?: number | undefined;
  /**
   * When no replica is usable, `'primary'` (default) sends `engine.readonly`'s reads to the
   * primary; `'fail'` rejects them with `ReplicaUnavailableError`.
   */
  replicaFallback?: ReplicaFallback | undefined;
  /** How often each replica's lag is measured, in ms (default 1000). */
  replicaCheckIntervalMs?: number | undefined;

  /**
   * Several servers, tried in turn for every new connection until one matches
   * `targetSessionAttrs` (libpq's multi-host connection strings; the same as
   * `postgres://h1:5432,h2:5433/db`). A host without `port` uses the `port` option, else 5432.
   * Replaces the hosts of `connectionString`; not together with `host`.
   */
  hosts?: readonly HostAddress[] | undefined;
  /**
   * Which server a connection may use (libpq's `target_session_attrs`, also read from the
   * connection string): `any` (default), `read-write`, `read-only`, `primary`, `standby` or
   * `prefer-standby`. Checked on every new connection; a pooled connection whose server stops
   * matching (demoted, promoted, lost) is discarded instead of being handed out again.
   */
  targetSessionAttrs?: TargetSessionAttrs | undefined;
  /** `random` tries the hosts in a random order for each new connection (libpq's `load_balance_hosts`; default `disable`). */
  loadBalanceHosts?: LoadBalanceHosts | undefined;
}

/**
 * Options after validation: every field present, frozen. Holds no secret: the connection
 * settings (password included) are resolved separately into a {@link ResolvedConnection}.
 */
export interface ResolvedEngineOptions extends ConnectionSettings {
  readonly minSize: number;
  readonly maxSize: number;
  readonly acquireTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly statementTimeoutMs: number | undefined;
  readonly idleTimeoutMs: number;
  readonly maxLifetimeMs: number | undefined;
  readonly maxUses: number | undefined;
  readonly onConnect: ((conn: SAConnection) => Promise<void> | void) | undefined;
  readonly echo: PgsaLogger | undefined;
  readonly echoParameters: boolean;
  readonly logger: PgsaLogger;
  readonly applicationName: string | undefined;
  readonly resetOnRelease: boolean;
  readonly statementCacheSize: number;
  readonly pipelineConnections: number;
  readonly listener: ResolvedListenerOptions;
  readonly pgbouncer: boolean;
  /** The engine's type choices and the codecs registered with `setTypeCodec`. */
  readonly types: TypeRegistry;
  readonly connectRetries: ResolvedConnectRetries;
  /** `maxLagMs`, `replicaFallback`, `replicaCheckIntervalMs` (the replicas' addresses are apart). */
  readonly replicas: ResolvedReplicaSettings;
}

const KNOWN_KEYS: ReadonlySet<string> = new Set([
  'connectionString',
  'host',
  'port',
  'user',
  'password',
  'database',
  'ssl',
  'minSize',
  'maxSize',
  'acquireTimeoutMs',
  'connectTimeoutMs',
  'statementTimeoutMs',
  'idleTimeoutMs',
  'maxLifetimeMs',
  'maxUses',
  'onConnect',
  'echo',
  'echoParameters',
  'logger',
  'applicationName',
  'resetOnRelease',
  'statementCacheSize',
  'pipelineConnections',
  'listener',
  'pgbouncer',
  'types',
  'connectRetries',
  'replicas',
  'maxLagMs',
  'replicaFallback',
  'replicaCheckIntervalMs',
  'hosts',
  'targetSessionAttrs',
  'loadBalanceHosts',
]);

const consoleLogger: PgsaLogger = {
  query: (event) => {
    const params = event.parameters ? ` ${JSON.stringify(event.parameters)}` : '';
    const outcome = event.error ? ` failed: ${event.error}` : '';
    console.log(`[pgsa] ${event.sql}${params} (${event.durationMs.toFixed(2)} ms)${outcome}`);
  },
  warn: (message) => console.warn(`[pgsa] ${message}`),
};

/**
 * Validates `createEngine`'s argument and fills in defaults: the engine's settings, and apart
 * from them the connection settings (which hold the password).
 *
 * @throws TypeError naming the option for unknown keys, wrong types, a port outside 1-65535,
 *   negative or non-integer sizes and timeouts, timeouts beyond what a timer can wait
 *   (2147483647 ms), `minSize > maxSize`, or a connection string that cannot be parsed.
 */
export function resolveEngineOptions<DB>(input: string | EngineOptions<DB>): {
  readonly options: ResolvedEngineOptions;
  readonly connection: ResolvedConnection;
  readonly replicas: readonly ResolvedConnection[];
} {
  if (typeof input !== 'string' && (input === null || typeof input !== 'object')) {
    throw new TypeError('createEngine expects a connection string or an options object');
  }
  const options: EngineOptions<DB> =
    typeof input === 'string' ? { connectionString: input } : { ...input };
  const unknown = Object.keys(options).filter((key) => !KNOWN_KEYS.has(key));
  if (unknown.length > 0) {
    throw new TypeError(`unknown engine option(s): ${unknown.join(', ')}`);
  }
  const pgbouncer = flag('pgbouncer', options.pgbouncer);
  if (pgbouncer) checkPgBouncerOptions(options);
  const minSize = count('minSize', options.minSize, 1);
  const maxSize = count('maxSize', options.maxSize, 10);
  if (maxSize < 1) throw new TypeError(`maxSize must be at least 1, got ${maxSize}`);
  if (minSize > maxSize) {
    throw new TypeError(`minSize (${minSize}) must not exceed maxSize (${maxSize})`);
  }
  if (options.onConnect !== undefined && typeof options.onConnect !== 'function') {
    throw new TypeError('onConnect must be a function');
  }
  const logger = options.logger ?? consoleLogger;
  const echo =
    options.echo === true ? (options.logger ?? consoleLogger) : options.echo || undefined;
  for (const key of ['host', 'user', 'password', 'database'] as const) {
    if (options[key] !== undefined && typeof options[key] !== 'string') {
      throw new TypeError(`${key} must be a string`);
    }
  }
  const connection = resolveConnection({
    connectionString: options.connectionString,
    host: options.host,
    port: options.port === undefined ? undefined : validPort('port', options.port),
    user: options.user,
    password: options.password,
    database: options.database,
    ssl: options.ssl,
    hosts: options.hosts,
    targetSessionAttrs: options.targetSessionAttrs,
    loadBalanceHosts: options.loadBalanceHosts,
  });
  const resolved: ResolvedEngineOptions = Object.freeze({
    minSize,
    maxSize,
    acquireTimeoutMs: count('acquireTimeoutMs', options.acquireTimeoutMs, 30_000, MAX_TIMER_MS),
    connectTimeoutMs: count('connectTimeoutMs', options.connectTimeoutMs, 10_000, MAX_TIMER_MS),
    statementTimeoutMs: optionalCount('statementTimeoutMs', options.statementTimeoutMs, MAX_TIMER_MS),
    idleTimeoutMs: count('idleTimeoutMs', options.idleTimeoutMs, 10_000, MAX_TIMER_MS),
    maxLifetimeMs: optionalCount('maxLifetimeMs', options.maxLifetimeMs, MAX_TIMER_MS),
    maxUses: optionalCount('maxUses', options.maxUses),
    // Called with this engine's connections, which are SAConnection<DB>.
    onConnect: options.onConnect as ResolvedEngineOptions['onConnect'],
    echo,
    echoParameters: options.echoParameters === true,
    logger,
    applicationName: options.applicationName,
    resetOnRelease: options.resetOnRelease === true,
    statementCacheSize: count(
      'statementCacheSize',
      options.statementCacheSize,
      pgbouncer ? PGBOUNCER_DEFAULTS.statementCacheSize : 100,
    ),
    pipelineConnections: count(
      'pipelineConnections',
      options.pipelineConnections,
      pgbouncer ? PGBOUNCER_DEFAULTS.pipelineConnections : 1,
    ),
    listener: resolveListenerOptions(options.listener),
    pgbouncer,
    types: new TypeRegistry(options.types),
    connectRetries: resolveConnectRetries(options.connectRetries),
    replicas: resolveReplicaSettings(options),
  });
  const replicas =
    options.replicas === undefined ? standbysOfHostList(connection) : resolveReplicaConnections(options.replicas, connection);
  return { options: resolved, connection, replicas };
}

/** The longest delay a Node.js timer honours; a longer one fires at once. */
const MAX_TIMER_MS = 2_147_483_647;

function count(
  name: string,
  value: number | undefined,
  fallback: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  return optionalCount(name, value, max) ?? fallback;
}

function optionalCount(
  name: string,
  value: number | undefined,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    const shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
    throw new TypeError(`${name} must be a non-negative integer, got ${shown}`);
  }
  if (value > max) throw new TypeError(`${name} must be at most ${max}, got ${value}`);
  return value;
}

function flag(name: string, value: boolean | undefined): boolean {
  if (value !== undefined && typeof value !== 'boolean') {
    throw new TypeError(`${name} must be a boolean, got ${String(value)}`);
  }
  return value === true;
}
