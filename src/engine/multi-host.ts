/**
 * Which servers a session may use, as libpq's `target_session_attrs`:
 * - `any` (default): the first server that accepts the connection;
 * - `read-write`: one that accepts writes by default (not in hot standby, and
 *   `default_transaction_read_only` off);
 * - `read-only`: one that does not (a hot standby, or `default_transaction_read_only` on);
 * - `primary`: one not in hot standby; `standby`: one in hot standby;
 * - `prefer-standby`: a standby when one is reachable, else any server.
 */
export type TargetSessionAttrs = 'any' | 'read-write' | 'read-only' | 'primary' | 'standby' | 'prefer-standby';

/** libpq's `load_balance_hosts`: `disable` tries hosts in the order given, `random` shuffles them. */
export type LoadBalanceHosts = 'disable' | 'random';

/** One server of a multi-host engine (engine option `hosts`). */
export interface HostAddress {
  /** Host name, IP address or Unix-socket directory (default `localhost`, or `PGHOST`). */
  readonly host?: string | undefined;
  /** TCP port (default: the engine's `port`, else 5432 or `PGPORT`). */
  readonly port?: number | undefined;
}

/** A host list taken out of a connection string, before defaults. Not part of the public API. */
export interface ParsedHostList {
  /** The connection string with one host and without the multi-host parameters. */
  readonly url: string;
  /** Hosts as written (`undefined` host or port: the default). */
  readonly hosts: readonly HostAddress[];
  readonly targetSessionAttrs: TargetSessionAttrs | undefined;
  readonly loadBalanceHosts: LoadBalanceHosts | undefined;
}

const TARGET_SESSION_ATTRS: ReadonlySet<string> = new Set([
  'any',
  'read-write',
  'read-only',
  'primary',
  'standby',
  'prefer-standby',
]);

const URL_START = /^(postgres(?:ql)?:\/\/)([^/?#]*)(.*)$/s;

/**
 * Takes libpq's multi-host parts out of a `postgres://` URL, which pg-connection-string cannot
 * read: the comma-separated host list (`h1:5432,[::1]:5433,%2Ftmp`), `host=`/`port=` query
 * parameters holding lists (they replace the URL's hosts and ports, as in libpq),
 * `target_session_attrs` and `load_balance_hosts`. Returns `undefined` when the string has none
 * of them (a plain single-host URL, left to pg-connection-string alone).
 *
 * @throws TypeError for an invalid port, a port list whose length is neither 1 nor the number of
 *   hosts, or an unknown `target_session_attrs` / `load_balance_hosts` value; the message never
 *   repeats the string (it may hold the password).
 */
export function parseHostList(connectionString: string): ParsedHostList | undefined {
  const match = URL_START.exec(connectionString);
  if (match === null) return undefined;
  const [, scheme = '', authority = '', rest = ''] = match;
  const at = authority.lastIndexOf('@');
  const userinfo = at >= 0 ? authority.slice(0, at + 1) : '';
  const hostPart = authority.slice(at + 1);
  const queryStart = rest.indexOf('?');
  const hashStart = rest.indexOf('#');
  const queryEnd = hashStart >= 0 ? hashStart : rest.length;
  const path = queryStart >= 0 && queryStart < queryEnd ? rest.slice(0, queryStart) : rest.slice(0, queryEnd);
  const query = queryStart >= 0 && queryStart < queryEnd ? rest.slice(queryStart + 1, queryEnd) : '';
  const parameters = new URLSearchParams(query);
  const hostParameter = parameters.get('host');
  const portParameter = parameters.get('port');
  const attrs = parameters.get('target_session_attrs');
  const balance = parameters.get('load_balance_hosts');
  const listed =
    hostPart.includes(',') || hostParameter?.includes(',') === true || portParameter?.includes(',') === true;
  if (!listed && attrs === null && balance === null) return undefined;

  let entries = hostPart.split(',').map(splitHostPort);
  if (hostParameter !== null) {
    entries = hostParameter.split(',').map((host) => ({ host: host === '' ? undefined : host, port: undefined }));
  }
  let ports = entries.map((entry) => entry.port);
  if (portParameter !== null) ports = portParameter.split(',').map((port) => (port === '' ? undefined : port));
  if (ports.length !== 1 && ports.length !== entries.length) {
    throw new TypeError(
      `connectionString has ${ports.length} ports for ${entries.length} hosts (give one port for all, or one per host)`,
    );
  }
  const hosts = entries.map((entry, i) => {
    const port = ports.length === 1 ? ports[0] : ports[i];
    return Object.freeze({ host: entry.host, port: port === undefined ? undefined : portNumber(port) });
  });
  for (const name of ['host', 'port', 'target_session_attrs', 'load_balance_hosts']) parameters.delete(name);
  const remaining = parameters.toString();
  const url = `${scheme}${userinfo}localhost${path}${remaining === '' ? '' : `?${remaining}`}`;
  return Object.freeze({
    url,
    hosts: Object.freeze(hosts),
    targetSessionAttrs: attrs === null ? undefined : checkTargetSessionAttrs('target_session_attrs', attrs, false),
    loadBalanceHosts: balance === null ? undefined : checkLoadBalanceHosts('load_balance_hosts', balance, false),
  });
}

/**
 * `value` as a {@link TargetSessionAttrs}.
 *
 * @throws TypeError naming `name` otherwise; the value is shown only when `show` (a value from a
 *   connection string is not: it could be a misplaced password).
 */
export function checkTargetSessionAttrs(name: string, value: unknown, show = true): TargetSessionAttrs {
  if (typeof value === 'string' && TARGET_SESSION_ATTRS.has(value)) return value as TargetSessionAttrs;
  throw new TypeError(`${name} must be one of ${[...TARGET_SESSION_ATTRS].join(', ')}${shown(value, show)}`);
}

/** `value` as a {@link LoadBalanceHosts}. @throws TypeError naming `name` otherwise (see checkTargetSessionAttrs). */
export function checkLoadBalanceHosts(name: string, value: unknown, show = true): LoadBalanceHosts {
  if (value === 'disable' || value === 'random') return value;
  throw new TypeError(`${name} must be disable or random${shown(value, show)}`);
}

function shown(value: unknown, show: boolean): string {
  return show ? `, got ${JSON.stringify(String(value))}` : '';
}

/** `h`, `h:5432`, `[::1]:5432`, `%2Ftmp` (a socket directory), or empty (the default host). */
function splitHostPort(entry: string): { host: string | undefined; port: string | undefined } {
  let host = entry;
  let port: string | undefined;
  if (entry.startsWith('[')) {
    const close = entry.indexOf(']');
    if (close < 0) throw new TypeError('connectionString has an IPv6 host without its closing bracket');
    host = entry.slice(1, close);
    const after = entry.slice(close + 1);
    if (after.startsWith(':')) port = after.slice(1);
    else if (after !== '') throw new TypeError('connectionString has characters after an IPv6 host');
  } else {
    const colon = entry.lastIndexOf(':');
    if (colon >= 0) {
      host = entry.slice(0, colon);
      port = entry.slice(colon + 1);
    }
  }
  let decoded: string;
  try {
    decoded = decodeURIComponent(host);
  } catch {
    throw new TypeError('connectionString has a host that is not valid percent-encoding');
  }
  return { host: decoded === '' ? undefined : decoded, port: port === '' ? undefined : port };
}

function portNumber(text: string): number {
  const value = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    // The port is not secret, but keep it short: it might be a mangled password.
    throw new TypeError(`port in connectionString must be an integer from 1 to 65535, got ${JSON.stringify(text.slice(0, 12))}`);
  }
  return value;
}

/** A lone UTF-16 surrogate (encodeURIComponent throws URIError on one). */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** `encodeURIComponent` that never throws (for DSNs shown in messages): a lone surrogate becomes U+FFFD. */
export function encodeShown(text: string): string {
  return encodeURIComponent(text.replace(LONE_SURROGATE, '\ufffd'));
}

/** `h:5432`, `[::1]:5432` or `%2Ftmp:5432`: one host of a multi-host DSN, as libpq writes it. */
export function formatHost(host: string, port: number): string {
  if (host.startsWith('/')) return `${encodeShown(host)}:${port}`;
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}
