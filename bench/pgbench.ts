import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ITEMS } from './bench-sql.js';
import type { WorkerResult } from './worker.js';

/**
 * W1 through pgbench -M prepared (libpq, C): the practical ceiling of the server on this
 * machine. CPU comes from `/usr/bin/time` around pgbench (user + system of the client).
 */
export async function runPgbench(url: string, clients: number, seconds: number): Promise<WorkerResult> {
  const script = join(tmpdir(), 'pgsa-bench-w1.sql');
  await writeFile(script, `\\set id random(1, ${ITEMS})\nselect id, name, value from bench_items where id = :id;\n`);
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
