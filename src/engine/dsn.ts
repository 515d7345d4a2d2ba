import type { ConnectionOptions } from 'node:tls';
import { parse } from 'pg-connection-string';
import {
  checkLoadBalanceHosts,
  checkTargetSessionAttrs,
  encodeShown,
  formatHost,
  type HostAddress,
  type LoadBalanceHosts,
  type ParsedHostList,
  parseHostList,
  type TargetSessionAttrs,
} from './multi-host.js';

/** Where an engine connects, without secrets. */
export interface ServerAddress {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
}

/** The connection fields of `createEngine`'s options (the secrets among them). */
export interface ConnectionFields {
  readonly connectionString?: string | undefined;
  readonly host?: string | undefined;
  readonly port?: number | undefined;
  readonly user?: string | undefined;
  readonly password?: string | undefined;
  readonly database?: string | undefined;
  readonly ssl?: boolean | ConnectionOptions | undefined;
  /** Several servers, tried as libpq tries a multi-host connection string. */
  readonly hosts?: readonly HostAddress[] | undefined;
  readonly targetSessionAttrs?: TargetSessionAttrs | undefined;
  readonly loadBalanceHosts?: LoadBalanceHosts | undefined;
}

/**
 * The servers of a multi-host engine and how one is chosen. Not part of the public API: kept
 * in the declarations because public ones refer to it.
 */
export interface MultiHostTargets {
  /** Every server, in the order given, defaults filled in. */
  readonly hosts: readonly ServerAddress[];
  readonly targetSessionAttrs: TargetSessionAttrs;
  readonly loadBalanceHosts: LoadBalanceHosts;
}

/**
 * What every connection of an engine is opened with. `config` goes to node-postgres as is
 * (it holds the password: keep it in a `#private` field, never on a public property).
 */
export interface ResolvedConnection {
  /** node-postgres client settings, the connection string already merged in. */
  readonly config: Readonly<Record<string, unknown>>;
  /** The password sent, so it can be masked out of every message. */
  readonly password: string | undefined;
  /** Host, port, database and user that node-postgres will try (the first host of several). */
  readonly target: ServerAddress;
  /**
   * Set when the engine has several hosts or a `targetSessionAttrs` other than `any`: each
   * connection then picks its server (see host-selection.ts).
   */
  readonly multiHost?: MultiHostTargets | undefined;
}

/** The start of a libpq keyword/value string: `host=… dbname=…`. */
const KEYWORD_FORM = /^\s*[A-Za-z_]+\s*=/;

/**
 * Merges the connection string and the explicit fields into one node-postgres config. The
 * string is parsed with pg-connection-string, the parser node-postgres itself uses, so the
 * address reported in errors is the one actually tried; explicit fields override the string
 * (node-postgres on its own lets the string win, so pgsa never hands it the string).
 *
 * @throws TypeError when the connection string cannot be parsed, is in libpq's keyword=value
 *   form, or holds an invalid port; the message never includes the string (it may hold the
 *   password).
 */
export function resolveConnection(fields: ConnectionFields): ResolvedConnection {
  let parsed: Record<string, unknown> = {};
  let list: ParsedHostList | undefined;
  if (fields.connectionString !== undefined) {
    if (typeof fields.connectionString !== 'string') {
      throw new TypeError('connectionString must be a string');
    }
    if (KEYWORD_FORM.test(fields.connectionString)) {
      // pg-connection-string would read the whole string as a database name (password and all)
      // on the host "base"; refused without repeating it, as it may hold the password.
      throw new TypeError(
        'connectionString in keyword=value form is not supported (node-postgres reads only ' +
          'postgres:// URLs): give a URL or the host, port, user, password, database options',
      );
    }
    list = parseHostList(fields.connectionString);
    try {
      parsed = { ...parse(list?.url ?? fields.connectionString) };
    } catch (error) {
      // The parser's message is generic ("Invalid URL"); the string itself may hold a password.
      const reason = error instanceof Error ? error.message : String(error);
      throw new TypeError(`connectionString is not a valid connection string: ${reason}`);
    }
    if (parsed.port) parsed.port = validPort('port in connectionString', Number(parsed.port));
    if (list !== undefined) {
      // The URL was rewritten with a placeholder host: the list says where to connect.
      parsed.host = list.hosts[0]?.host;
      parsed.port = list.hosts[0]?.port;
    }
  }
  const explicit = Object.fromEntries(
    Object.entries({
      host: fields.host,
      port: fields.port,
      user: fields.user,
      password: fields.password,
      database: fields.database,
      ssl: fields.ssl,
    }).filter(([, value]) => value !== undefined),
  );
  const config: Record<string, unknown> = Object.fromEntries(
    Object.entries({ ...parsed, ...explicit }).filter(
      ([, value]) => value !== undefined && value !== null,
    ),
  );
  const password = pgValue(config.password, 'PGPASSWORD');
  const user = pgValue(config.user, 'PGUSER') ?? process.env.USER ?? 'postgres';
  const database = pgValue(config.database, 'PGDATABASE') ?? user;
  const address = (host: unknown, port: unknown): ServerAddress =>
    Object.freeze({
      host: pgValue(host, 'PGHOST') ?? 'localhost',
      port: Number.parseInt(pgValue(port, 'PGPORT') ?? '5432', 10),
      database,
      user,
    });
  const multiHost = resolveMultiHost(fields, list, (host, port) => address(host, port ?? fields.port));
  const target = multiHost?.hosts[0] ?? address(config.host, config.port);
  if (multiHost !== undefined) {
    config.host = target.host;
    config.port = target.port;
  }
  return Object.freeze({ config: Object.freeze(config), password, target, multiHost });
}

/** The host list of `hosts` or of a multi-host connection string, or `undefined` for one server and `any`. */
function resolveMultiHost(
  fields: ConnectionFields,
  list: ParsedHostList | undefined,
  address: (host: string | undefined, port: number | undefined) => ServerAddress,
): MultiHostTargets | undefined {
  if (fields.hosts !== undefined) {
    if (!Array.isArray(fields.hosts) || fields.hosts.length === 0) {
      throw new TypeError('hosts must be a non-empty array of { host, port }');
    }
    if (fields.host !== undefined) throw new TypeError('give either host or hosts, not both');
  }
  if (list !== undefined && list.hosts.length > 1 && fields.host !== undefined) {
    throw new TypeError('the host option cannot replace the host list of a multi-host connectionString: use hosts');
  }
  const attrs =
    fields.targetSessionAttrs === undefined
      ? (list?.targetSessionAttrs ?? 'any')
      : checkTargetSessionAttrs('targetSessionAttrs', fields.targetSessionAttrs);
  const balance =
    fields.loadBalanceHosts === undefined
      ? (list?.loadBalanceHosts ?? 'disable')
      : checkLoadBalanceHosts('loadBalanceHosts', fields.loadBalanceHosts);
  const given = fields.hosts ?? (fields.host === undefined ? list?.hosts : undefined);
  // One server from the URL and nothing to check: node-postgres connects as usual.
  if (fields.hosts === undefined && (given === undefined || given.length === 1) && attrs === 'any') return undefined;
  const hosts = (given ?? [{ host: fields.host, port: undefined }]).map((entry, i) => {
    if (entry === null || typeof entry !== 'object') throw new TypeError(`hosts[${i}] must be an object: { host, port }`);
    if (entry.host !== undefined && typeof entry.host !== 'string') throw new TypeError(`hosts[${i}].host must be a string`);
    const port = entry.port === undefined ? fields.port : validPort(`hosts[${i}].port`, entry.port);
    return address(entry.host, port);
  });
  return Object.freeze({ hosts: Object.freeze(hosts), targetSessionAttrs: attrs, loadBalanceHosts: balance });
}

/**
 * `port` as a TCP port number.
 *
 * @throws TypeError naming `name` unless it is an integer from 1 to 65535.
 */
export function validPort(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 65535) {
    const shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
    throw new TypeError(`${name} must be an integer from 1 to 65535, got ${shown}`);
  }
  return value;
}

/** As node-postgres reads a setting: the value if truthy, else the environment variable. */
function pgValue(value: unknown, environment: string): string | undefined {
  if (value) return String(value);
  return process.env[environment] || undefined;
}

/**
 * `postgresql://user:***@host:port/database`: a DSN safe to print (a Unix-socket directory goes
 * into `?host=`, as libpq writes it).
 */
export function maskedDsn(connection: ResolvedConnection): string {
  const { host, port, database, user } = connection.target;
  const secret = connection.password ? ':***' : '';
  const multiHost = connection.multiHost;
  if (multiHost !== undefined) {
    const hosts = multiHost.hosts.map((one) => formatHost(one.host, one.port)).join(',');
    const query = [
      multiHost.targetSessionAttrs === 'any' ? '' : `target_session_attrs=${multiHost.targetSessionAttrs}`,
      multiHost.loadBalanceHosts === 'random' ? 'load_balance_hosts=random' : '',
    ].filter(Boolean);
    const tail = query.length > 0 ? `?${query.join('&')}` : '';
    return `postgresql://${encodeShown(user)}${secret}@${hosts}/${encodeShown(database)}${tail}`;
  }
  const path = `:${port}/${encodeShown(database)}`;
  if (host.startsWith('/')) {
    return `postgresql://${encodeShown(user)}${secret}@${path}?host=${encodeShown(host)}`;
  }
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return `postgresql://${encodeShown(user)}${secret}@${shownHost}${path}`;
}

/**
 * "host 127.0.0.1, port 5432, database app" for error messages; with several hosts
 * "hosts 10.0.0.1:5432, 10.0.0.2:5432, database app".
 */
export function describeTarget(target: ServerAddress, multiHost?: MultiHostTargets): string {
  if (multiHost !== undefined && multiHost.hosts.length > 1) {
    const hosts = multiHost.hosts.map((one) => formatHost(one.host, one.port)).join(', ');
    return `hosts ${hosts}, database ${target.database}`;
  }
  return `host ${target.host}, port ${target.port}, database ${target.database}`;
}
