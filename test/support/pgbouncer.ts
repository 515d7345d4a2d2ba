/**
 * A real PgBouncer in transaction mode, on a free loopback port, in front of a PostgreSQL server:
 * the suite's (global-setup.ts starts one for the whole run) or a test file's own.
 *
 * Authentication goes the whole way: PgBouncer checks the client's password with SCRAM against
 * the role's SCRAM secret, copied from `pg_authid` into its `auth_file` (no plain-text password
 * on disk), and logs into the server with the keys that exchange gave it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { delimiter, join } from 'node:path';
import pg from 'pg';
import { freePort } from './fault-server.js';

/** What to say when PgBouncer is not installed. */
export const INSTALL_PGBOUNCER =
  'PgBouncer is not installed: install it (Debian/Ubuntu: `sudo apt-get install -y pgbouncer`, ' +
  'macOS: `brew install pgbouncer`) to run the tests through PgBouncer';

/** A running PgBouncer. */
export interface PgBouncer {
  /** PgBouncer's `host:port` on loopback. */
  readonly host: string;
  readonly port: number;
  /** `PgBouncer x.y.z`. */
  readonly version: string;
  /** `url` (any PostgreSQL URL of the same server) redirected through PgBouncer. */
  through(url: string): string;
  /** Stops PgBouncer (SIGTERM, then SIGKILL after 5 s) and deletes its folder. Idempotent. */
  stop(): Promise<void>;
}

/**
 * The `pgbouncer` executable: `PGSA_PGBOUNCER` when set (a path; missing means "not installed"),
 * else on PATH or in /usr/sbin (where Debian puts it); undefined when there is none.
 */
export function findPgBouncer(): string | undefined {
  const configured = process.env.PGSA_PGBOUNCER;
  if (configured !== undefined && configured !== '') {
    return existsSync(configured) ? configured : undefined;
  }
  const folders = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin'];
  for (const folder of folders) {
    if (folder === '') continue;
    const candidate = join(folder, 'pgbouncer');
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** How to start a {@link PgBouncer}. */
export interface PgBouncerOptions {
  /** A superuser URL of the server; its user is the one PgBouncer lets in. */
  readonly serverUrl: string;
  /** Server connections per database/user pair (default 20). */
  readonly poolSize?: number | undefined;
  /** Called with what PgBouncer writes (its log). */
  readonly log?: ((line: string) => void) | undefined;
}

/**
 * Starts PgBouncer 1.x in transaction mode in front of `serverUrl`'s server, every database
 * passed through (`* =` fallback). Resolves once it accepts connections.
 *
 * @throws Error with {@link INSTALL_PGBOUNCER} when it is not installed, or with its log when it
 *   does not come up within 10 s.
 */
export async function startPgBouncer(options: PgBouncerOptions): Promise<PgBouncer> {
  const executable = findPgBouncer();
  if (executable === undefined) throw new Error(INSTALL_PGBOUNCER);
  const server = new URL(options.serverUrl);
  const user = decodeURIComponent(server.username);
  const secret = await scramSecret(options.serverUrl, user);
  const folder = await mkdtemp(join(tmpdir(), 'pgsa-pgbouncer-'));
  // PgBouncer refuses to run as root: it then runs as the `postgres` OS user (the embedded
  // server's), which must be able to read its folder.
  const asRoot = userInfo().uid === 0;
  const port = await freePort();
  const config = join(folder, 'pgbouncer.ini');
  await writeFile(join(folder, 'userlist.txt'), `"${user.replaceAll('"', '""')}" "${secret}"\n`);
  await writeFile(
    config,
    [
      '[databases]',
      `* = host=${server.hostname} port=${server.port || 5432}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = scram-sha-256',
      `auth_file = ${join(folder, 'userlist.txt')}`,
      'pool_mode = transaction',
      'max_client_conn = 1000',
      `default_pool_size = ${options.poolSize ?? 20}`,
      // Many test databases come and go: drop their server connections soon after.
      'server_idle_timeout = 5',
      'server_lifetime = 600',
      'ignore_startup_parameters = extra_float_digits',
      '',
    ].join('\n'),
  );
  if (asRoot) {
    await chmod(folder, 0o755);
    const owner = await postgresOsUser();
    for (const file of [folder, config, join(folder, 'userlist.txt')]) {
      await chown(file, owner.uid, owner.gid);
    }
  }
  const args = asRoot ? ['-u', 'postgres', config] : [config];
  const child = spawn(executable, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const collect = (chunk: Buffer): void => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      if (output.length < 200) output.push(line);
      options.log?.(line);
    }
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const stop = stopper(child, folder);
  try {
    await waitForPort(child, port, output);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    host: '127.0.0.1',
    port,
    version: await pgBouncerVersion(executable),
    through(url: string): string {
      const redirected = new URL(url);
      redirected.hostname = '127.0.0.1';
      redirected.port = String(port);
      return redirected.toString();
    },
    stop,
  };
}

/** The role's SCRAM secret as the server stores it (`SCRAM-SHA-256$…`). */
async function scramSecret(url: string, user: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query<{ rolpassword: string | null }>(
      'select rolpassword from pg_authid where rolname = $1',
      [user],
    );
    const secret = result.rows[0]?.rolpassword;
    if (!secret?.startsWith('SCRAM-SHA-256$')) {
      throw new Error(`role ${user} has no SCRAM password: PgBouncer could not log in as it`);
    }
    return secret;
  } finally {
    await client.end();
  }
}

async function postgresOsUser(): Promise<{ uid: number; gid: number }> {
  const { execFileSync } = await import('node:child_process');
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

async function pgBouncerVersion(executable: string): Promise<string> {
  const { execFileSync } = await import('node:child_process');
  const text = execFileSync(executable, ['--version'], { encoding: 'utf8' });
  return text.split('\n')[0]?.trim() ?? 'PgBouncer';
}

/** Resolves when `port` accepts a connection; rejects when the child exits or after 10 s. */
async function waitForPort(child: ChildProcess, port: number, output: readonly string[]): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`PgBouncer exited (${child.exitCode ?? child.signalCode}):\n${output.join('\n')}`);
    }
    if (await accepts(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`PgBouncer did not listen on 127.0.0.1:${port} within 10 s:\n${output.join('\n')}`);
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function stopper(child: ChildProcess, folder: string): () => Promise<void> {
  let stopping: Promise<void> | undefined;
  return () => {
    stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
      await rm(folder, { recursive: true, force: true });
    })();
    return stopping;
  };
}

/**
 * The suite's PgBouncer, in front of the suite's server (global-setup.ts): `undefined` with a
 * note when PgBouncer is not installed or cannot start, unless `PGSA_REQUIRE_PGBOUNCER=1` (CI),
 * which makes that an error so the PgBouncer tests cannot be skipped unnoticed.
 */
export async function startSuitePgBouncer(
  serverUrl: string,
  log: (message: string) => void,
): Promise<{ readonly bouncer: PgBouncer | undefined; readonly note: string }> {
  if (findPgBouncer() === undefined) {
    if (process.env.PGSA_REQUIRE_PGBOUNCER === '1') {
      throw new Error(`${INSTALL_PGBOUNCER} (PGSA_REQUIRE_PGBOUNCER=1: they must not be skipped)`);
    }
    log(`${INSTALL_PGBOUNCER}; the PgBouncer tests are skipped`);
    return { bouncer: undefined, note: INSTALL_PGBOUNCER };
  }
  try {
    const bouncer = await startPgBouncer({ serverUrl });
    log(`${bouncer.version} in transaction mode on 127.0.0.1:${bouncer.port}`);
    return { bouncer, note: '' };
  } catch (error) {
    // E.g. PGSA_TEST_DATABASE_URL names a role without a SCRAM password.
    if (process.env.PGSA_REQUIRE_PGBOUNCER === '1') throw error;
    const note = `PgBouncer could not start: ${(error as Error).message}`;
    log(`${note}; the PgBouncer tests are skipped`);
    return { bouncer: undefined, note };
  }
}
