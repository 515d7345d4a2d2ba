import type { ConnectionOptions } from 'node:tls';
import { parse } from 'pg-connection-string';

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
  /** Host, port, database and user that node-postgres will try. */
  readonly target: ServerAddress;
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
    try {
      parsed = { ...parse(fields.connectionString) };
    } catch (error) {
      // The parser's message is generic ("Invalid URL"); the string itself may hold a password.
      const reason = error instanceof Error ? error.message : String(error);
      throw new TypeError(`connectionString is not a valid connection string: ${reason}`);
    }
    if (parsed.port) parsed.port = validPort('port in connectionString', Number(parsed.port));
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
  const target: ServerAddress = Object.freeze({
    host: pgValue(config.host, 'PGHOST') ?? 'localhost',
    port: Number.parseInt(pgValue(config.port, 'PGPORT') ?? '5432', 10),
    database: pgValue(config.database, 'PGDATABASE') ?? user,
    user,
  });
  return Object.freeze({ config: Object.freeze(config), password, target });
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
  const path = `:${port}/${encodeURIComponent(database)}`;
  if (host.startsWith('/')) {
    return `postgresql://${encodeURIComponent(user)}${secret}@${path}?host=${encodeURIComponent(host)}`;
  }
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return `postgresql://${encodeURIComponent(user)}${secret}@${shownHost}${path}`;
}

/** "host 127.0.0.1, port 5432, database app" for error messages. */
export function describeTarget(target: ServerAddress): string {
  return `host ${target.host}, port ${target.port}, database ${target.database}`;
}
