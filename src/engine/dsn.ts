import type { ResolvedEngineOptions } from './engine-options.js';

/** Where an engine connects, without secrets. */
export interface ServerAddress {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
}

/**
 * Resolves host, port, database and user the way node-postgres does for the common cases: the
 * explicit options, then the connection string, then `PG*` environment variables, then defaults.
 */
export function serverAddress(pg: ResolvedEngineOptions['pg']): ServerAddress {
  let fromUrl: Partial<ServerAddress> = {};
  if (pg.connectionString) {
    try {
      const url = new URL(pg.connectionString);
      const port = url.port ? Number(url.port) : undefined;
      const query = url.searchParams;
      fromUrl = {
        host: query.get('host') ?? (url.hostname ? decodeURIComponent(url.hostname) : undefined),
        port,
        database: url.pathname.length > 1 ? decodeURIComponent(url.pathname.slice(1)) : undefined,
        user: url.username ? decodeURIComponent(url.username) : undefined,
      };
    } catch {
      // Not a URL (e.g. a libpq keyword string): fall back to options and environment.
    }
  }
  const env = process.env;
  const user = pg.user ?? fromUrl.user ?? env.PGUSER ?? env.USER ?? 'postgres';
  return {
    host: pg.host ?? fromUrl.host ?? env.PGHOST ?? 'localhost',
    port: pg.port ?? fromUrl.port ?? (env.PGPORT ? Number(env.PGPORT) : 5432),
    database: pg.database ?? fromUrl.database ?? env.PGDATABASE ?? user,
    user,
  };
}

/** The password the engine will send, so it can be masked out of every message. */
export function connectionPassword(pg: ResolvedEngineOptions['pg']): string | undefined {
  if (pg.password) return pg.password;
  if (!pg.connectionString) return process.env.PGPASSWORD || undefined;
  try {
    const password = new URL(pg.connectionString).password;
    return password ? decodeURIComponent(password) : undefined;
  } catch {
    return undefined;
  }
}

/** `postgresql://user:***@host:port/database`: a DSN safe to print. */
export function maskedDsn(pg: ResolvedEngineOptions['pg']): string {
  const target = serverAddress(pg);
  const secret = connectionPassword(pg) ? ':***' : '';
  const host = target.host.includes(':') ? `[${target.host}]` : target.host;
  return `postgresql://${encodeURIComponent(target.user)}${secret}@${host}:${target.port}/${encodeURIComponent(target.database)}`;
}

/** "host 127.0.0.1, port 5432, database app" for error messages. */
export function describeTarget(target: ServerAddress): string {
  return `host ${target.host}, port ${target.port}, database ${target.database}`;
}
