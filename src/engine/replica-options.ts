import type { ConnectionOptions } from 'node:tls';
import { type ConnectionFields, type ResolvedConnection, resolveConnection, validPort } from './dsn.js';

/**
 * One read replica: a `postgres://` URL, or the connection fields as `createEngine` takes them.
 * `user`, `password`, `database` and `ssl` it does not give are the primary's.
 */
export type ReplicaSource = string | ReplicaConnectionOptions;

/** A replica given by fields rather than a URL (see {@link ReplicaSource}). */
export interface ReplicaConnectionOptions {
  /** `postgres://user:password@host:port/database?…`; the fields below override it. */
  connectionString?: string | undefined;
  /** Host name, IP address or Unix-socket directory. */
  host?: string | undefined;
  /** TCP port, an integer from 1 to 65535. */
  port?: number | undefined;
  /** Login role (default: the primary's). */
  user?: string | undefined;
  /** Password (default: the primary's). */
  password?: string | undefined;
  /** Database name (default: the primary's). */
  database?: string | undefined;
  /** TLS, as the engine option (default: the primary's). */
  ssl?: boolean | ConnectionOptions | undefined;
}

/**
 * What `engine.readonly` does when no replica is usable: `'primary'` (default) sends the read
 * to the primary; `'fail'` rejects it with `ReplicaUnavailableError`.
 */
export type ReplicaFallback = 'primary' | 'fail';

/** How the engine treats its replicas (no secret: the replicas' connections are apart). */
export interface ResolvedReplicaSettings {
  /** Skip a replica whose measured replay lag exceeds this; `undefined`: never skip for lag. */
  readonly maxLagMs: number | undefined;
  readonly fallback: ReplicaFallback;
  /** How often each replica's lag is measured (and a down replica retried at the earliest). */
  readonly checkIntervalMs: number;
}

const SOURCE_KEYS: ReadonlySet<string> = new Set([
  'connectionString',
  'host',
  'port',
  'user',
  'password',
  'database',
  'ssl',
]);

/** Fields a replica takes from the primary when it does not give them. */
const INHERITED = ['user', 'password', 'database', 'ssl'] as const;

/** The longest delay a Node.js timer honours. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Validates the read-replica options of `createEngine`.
 *
 * @throws TypeError naming the option for a `replicas` that is not a list of URLs or field
 *   objects, a negative or non-integer `maxLagMs` / `replicaCheckIntervalMs`, or an unknown
 *   `replicaFallback`.
 * @internal
 */
export function resolveReplicaSettings(input: {
  readonly maxLagMs?: number | undefined;
  readonly replicaFallback?: ReplicaFallback | undefined;
  readonly replicaCheckIntervalMs?: number | undefined;
}): ResolvedReplicaSettings {
  const { maxLagMs, replicaFallback, replicaCheckIntervalMs } = input;
  if (replicaFallback !== undefined && replicaFallback !== 'primary' && replicaFallback !== 'fail') {
    throw new TypeError(
      `replicaFallback must be 'primary' or 'fail', got ${JSON.stringify(replicaFallback)}`,
    );
  }
  const interval = milliseconds('replicaCheckIntervalMs', replicaCheckIntervalMs) ?? 1_000;
  if (interval < 1) throw new TypeError('replicaCheckIntervalMs must be at least 1');
  return Object.freeze({
    maxLagMs: milliseconds('maxLagMs', maxLagMs),
    fallback: replicaFallback ?? 'primary',
    checkIntervalMs: interval,
  });
}

/**
 * Each replica's connection settings: its own URL or fields, with the primary's `user`,
 * `password`, `database` and `ssl` where it gives none.
 *
 * @throws TypeError for a `replicas` option that is not an array of URLs or field objects, an
 *   unknown field, or a URL that cannot be parsed (never repeating it: it may hold a password).
 * @internal
 */
export function resolveReplicaConnections(
  replicas: readonly ReplicaSource[] | undefined,
  primary: ResolvedConnection,
): readonly ResolvedConnection[] {
  if (replicas === undefined) return [];
  if (!Array.isArray(replicas)) {
    throw new TypeError('replicas must be an array of connection strings or option objects');
  }
  return Object.freeze(
    replicas.map((source: unknown, i) => {
      const fields = replicaFields(source, i);
      const own = resolveConnection(fields);
      const inherited: Record<string, unknown> = {};
      for (const key of INHERITED) {
        // pg-connection-string reads a URL without a password as the empty one.
        const missing = own.config[key] === undefined || (key === 'password' && own.config[key] === '');
        if (missing && primary.config[key] !== undefined) {
          inherited[key] = primary.config[key];
        }
      }
      return Object.keys(inherited).length === 0 ? own : resolveConnection({ ...fields, ...inherited });
    }),
  );
}

/**
 * The replicas of an engine given a multi-host DSN whose `target_session_attrs` asks for the
 * primary (`read-write` or `primary`) and no `replicas` option: every host of the list, each
 * with `target_session_attrs=standby`. The engine writes to whichever host is the primary;
 * `engine.readonly` reads from the others. A host that is not a standby (the primary itself, or
 * a standby just promoted) refuses the replica's connections and is skipped as down until it is
 * one again, so the split follows a failover. Empty for any other connection.
 *
 * @internal
 */
export function standbysOfHostList(primary: ResolvedConnection): readonly ResolvedConnection[] {
  const multiHost = primary.multiHost;
  if (multiHost === undefined || multiHost.hosts.length < 2) return [];
  if (multiHost.targetSessionAttrs !== 'read-write' && multiHost.targetSessionAttrs !== 'primary') return [];
  return Object.freeze(
    multiHost.hosts.map((host) =>
      Object.freeze({
        config: Object.freeze({ ...primary.config, host: host.host, port: host.port }),
        password: primary.password,
        target: host,
        multiHost: Object.freeze({
          hosts: Object.freeze([host]),
          targetSessionAttrs: 'standby' as const,
          loadBalanceHosts: 'disable' as const,
        }),
      }),
    ),
  );
}

function replicaFields(source: unknown, index: number): ConnectionFields {
  if (typeof source === 'string') return { connectionString: source };
  if (source === null || typeof source !== 'object' || Array.isArray(source)) {
    throw new TypeError(`replicas[${index}] must be a connection string or an options object`);
  }
  const unknown = Object.keys(source).filter((key) => !SOURCE_KEYS.has(key));
  if (unknown.length > 0) {
    throw new TypeError(`unknown option(s) in replicas[${index}]: ${unknown.join(', ')}`);
  }
  const fields = source as ConnectionFields;
  if (fields.port !== undefined) validPort(`replicas[${index}].port`, fields.port);
  return fields;
}

function milliseconds(name: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_TIMER_MS) {
    throw new TypeError(`${name} must be an integer from 0 to ${MAX_TIMER_MS}, got ${String(value)}`);
  }
  return value;
}
