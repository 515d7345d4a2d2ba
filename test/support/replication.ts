import { execFile } from 'node:child_process';
import { appendFile, chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { controlServer, type FaultServer, startFaultServer } from './fault-server.js';

const run = promisify(execFile);

/**
 * A primary and its streaming-replication standbys, each an embedded server of the test file's
 * own on loopback (the embedded package ships no pg_basebackup: a standby starts from a copy of
 * the primary's data folder taken while the primary is stopped). `close()` stops and deletes all.
 */
export interface ReplicaSet {
  readonly primary: FaultServer;
  readonly standbys: readonly Standby[];
  /** Waits (bounded) until every running standby has replayed the primary's current WAL. */
  waitForReplay(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** A hot standby of a {@link ReplicaSet}'s primary. */
export interface Standby extends FaultServer {
  /** `pg_promote()`: the standby becomes a primary (waits until it accepts writes). */
  promote(): Promise<void>;
  /** `pg_wal_replay_pause()`: the standby keeps receiving WAL but stops applying it. */
  pauseReplay(): Promise<void>;
  /** `pg_wal_replay_resume()`. */
  resumeReplay(): Promise<void>;
  /** True while the server is in recovery (a standby, not promoted). */
  inRecovery(): Promise<boolean>;
}

/** Settings every member of a replica set runs with. */
const REPLICATION_SETTINGS = {
  wal_level: 'replica',
  max_wal_senders: '10',
  hot_standby: 'on',
  wal_keep_size: '256MB',
  // Standbys report replay progress often, so lag measured on them is fresh.
  wal_receiver_status_interval: '1s',
  hot_standby_feedback: 'on',
};

/** Starts a primary and `standbys` standbys (default 1), all streaming from the primary. */
export async function startReplicaSet(options: { standbys?: number | undefined } = {}): Promise<ReplicaSet> {
  const primary = await startFaultServer({ settings: REPLICATION_SETTINGS });
  const standbys: Standby[] = [];
  try {
    await primary.stop('fast');
    const copies: string[] = [];
    for (let i = 0; i < (options.standbys ?? 1); i++) copies.push(await copyDataDir(primary.dataDir));
    await primary.start();
    for (const [i, copy] of copies.entries()) {
      standbys.push(await startStandby(primary, copy, `standby${i + 1}`));
    }
  } catch (error) {
    await Promise.allSettled([...standbys.map((s) => s.close()), primary.close()]);
    throw error;
  }

  return {
    primary,
    standbys,
    async waitForReplay(timeoutMs = 10_000) {
      const [current] = await query<{ lsn: string }>(primary.url, 'select pg_current_wal_lsn()::text as lsn');
      const lsn = current?.lsn;
      const deadline = Date.now() + timeoutMs;
      for (const standby of standbys) {
        if (!standby.running) continue;
        for (;;) {
          const [row] = await query<{ caught: boolean }>(
            standby.url,
            'select coalesce(pg_last_wal_replay_lsn() >= $1::pg_lsn, true) as caught',
            [lsn],
          );
          if (row?.caught) break;
          if (Date.now() > deadline) throw new Error(`standby on port ${standby.port} did not replay ${lsn}`);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
    },
    async close() {
      await Promise.allSettled(standbys.map((s) => s.close()));
      await primary.close();
    },
  };
}

/** Copies a stopped server's data folder into a fresh temporary folder (ownership kept). */
async function copyDataDir(dataDir: string): Promise<string> {
  const parent = await mkdtemp(join(tmpdir(), 'pgsa-standby-'));
  await chmod(parent, 0o755);
  await run('cp', ['-a', dataDir, join(parent, 'data')]);
  return parent;
}

async function startStandby(primary: FaultServer, parent: string, name: string): Promise<Standby> {
  const dataDir = join(parent, 'data');
  await writeFile(join(dataDir, 'standby.signal'), '');
  const conninfo = `host=127.0.0.1 port=${primary.port} user=postgres password=${primary.password} application_name=${name}`;
  await appendFile(join(dataDir, 'postgresql.auto.conf'), `\nprimary_conninfo = '${conninfo}'\n`);
  if (process.getuid?.() === 0) await run('chown', ['-R', 'postgres:postgres', dataDir]);
  const server = await controlServer({
    parent,
    dataDir,
    password: primary.password,
    flags: primary.flags,
    initialise: false,
  });
  const inRecovery = async (): Promise<boolean> =>
    (await query<{ r: boolean }>(server.url, 'select pg_is_in_recovery() as r'))[0]?.r ?? false;
  return {
    url: server.url,
    port: server.port,
    password: server.password,
    dataDir: server.dataDir,
    flags: server.flags,
    get running() {
      return server.running;
    },
    stop: server.stop,
    start: server.start,
    restart: server.restart,
    close: server.close,
    inRecovery,
    async promote() {
      await query(server.url, 'select pg_promote(true, 30)');
      if (await inRecovery()) throw new Error(`standby on port ${server.port} did not leave recovery`);
    },
    async pauseReplay() {
      await query(server.url, 'select pg_wal_replay_pause()');
    },
    async resumeReplay() {
      await query(server.url, 'select pg_wal_replay_resume()');
    },
  };
}

/** One statement on a short-lived client of its own. */
export async function query<Row>(url: string, text: string, values: unknown[] = []): Promise<Row[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, values)).rows as Row[];
  } finally {
    await client.end();
  }
}
