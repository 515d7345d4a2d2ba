import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ITEMS } from './bench-sql.js';
import type { WorkerResult } from './worker.js';

/** pgbench's script of each workload it applies to: the same SQL as the Node clients. */
const SCRIPTS: Record<string, string> = {
  W1: `\\set id random(1, ${ITEMS})\nselect id, name, email, created_at, balance from bench_users where id = :id;\n`,
  W2: `\\set id random(1, ${ITEMS - 99})\nselect id, name, email, created_at, balance from bench_users where id >= :id and id < :id + 100;\n`,
  W3:
    `\\set id random(1, ${ITEMS})\nBEGIN;\n` +
    "insert into bench_log (user_id, name, email, created_at, amount) values (:id, 'user ' || :id, 'user' || :id || '@example.com', now(), 12.34);\n" +
    'COMMIT;\n',
};

/** True when pgbench has a script for `workload`. */
export function pgbenchApplies(workload: string): boolean {
  return SCRIPTS[workload] !== undefined;
}

/**
 * A workload through pgbench -M prepared (libpq, C): the practical ceiling of the server on this
 * machine. CPU comes from `/usr/bin/time` around pgbench (user + system of the client).
 */
export async function runPgbench(url: string, workload: string, clients: number, seconds: number): Promise<WorkerResult> {
  const script = join(tmpdir(), `pgsa-bench-${workload.toLowerCase()}.sql`);
  await writeFile(script, SCRIPTS[workload] as string);
  const duration = Math.max(1, Math.round(seconds));
  const args = ['-f', '%U %S', 'pgbench', '-n', '-M', 'prepared', '-c', String(clients), '-j', '2', '-T', String(duration), '-f', script, url];
  return new Promise((resolve) => {
    execFile('/usr/bin/time', args, (error, stdout, stderr) => {
      const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(stdout);
      const processed = /number of transactions actually processed: (\d+)/.exec(stdout);
      const times = /([\d.]+) ([\d.]+)\s*$/.exec(stderr.trim());
      if (error || !tps || !processed) {
        resolve({ supported: true, error: `pgbench failed: ${(stderr || String(error)).split('\n')[0]}` });
        return;
      }
      const units = Number(processed[1]);
      const rate = Number(tps[1]);
      resolve({
        supported: true,
        units,
        elapsedMs: (units / rate) * 1000,
        ...(times ? { cpuUs: (Number(times[1]) + Number(times[2])) * 1e6 } : {}),
      });
    });
  });
}
