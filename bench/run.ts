/**
 * `npm run bench [-- --quick] [--runs N] [--seconds S] [--only W1,W2] [--c 1,16]
 * [--clients pg,pgsa-session,pgbench]` (PGSA_BENCH_SUBSCRIBE=1: every worker subscribes a no-op
 * listener to pgsa's diagnostics channels)
 *
 * pgsa is imported as `pgsa`, i.e. the built `dist/` (`npm run bench` builds it first).
 *
 * Starts its own PostgreSQL (or uses PGSA_BENCH_DATABASE_URL), seeds it, then measures every
 * client on every workload, each measurement in a fresh Node process, alternating clients round
 * after round. Prints one markdown table (median ops/s, spread, client CPU µs per operation,
 * ratio to raw pg in the same run), then the targets, each the median of its per-round ratios
 * (client and baseline measured in the same pass over the workload's clients, two minutes apart
 * at most, so a slow spell of the machine in another round does not decide a verdict) with their range, and writes
 * bench/results/latest.json and latest.md.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { adminQuery, provisionPostgres, withDatabase } from '../test/support/postgres-server.js';
import { findPgBouncer, type PgBouncer, startPgBouncer } from '../test/support/pgbouncer.js';
import { BULK_CLIENTS } from './bench-bulk.js';
import { CLIENTS } from './bench-clients.js';
import { SEED_SQL } from './bench-sql.js';
import { type Cell, type Measurement, median, renderReport } from './bench-report.js';
import { pgbenchApplies, runPgbench } from './pgbench.js';
import { HTTP_CLIENTS } from './bench-http.js';
import type { WorkerResult } from './worker.js';

const here = dirname(fileURLToPath(import.meta.url));
const run = promisify(execFile);

/** Every client of the reads (W1, W2): the four others and every pgsa path. */
const READ_CLIENTS = [
  'pg',
  'pg-named',
  'pg-session',
  'kysely',
  'postgresjs',
  'pgsa-builder',
  'pgsa-sql',
  'pgsa-conn-db',
  'pgsa-engine-db',
  'pgsa-engine-db-pool',
  'pgsa-engine-fetch',
  'pgsa-engine-fetchrow',
  'pgsa-session',
];

/** Every client of W3 (BEGIN / INSERT / COMMIT). */
const WRITE_CLIENTS = [
  'pg',
  'pg-named',
  'pg-session',
  'kysely',
  'postgresjs',
  'pgsa-sql',
  'pgsa-conn-begin',
  'pgsa-transaction',
  'pgsa-engine-db',
  'pgsa-session',
];

type WorkloadName = 'W1' | 'W2' | 'W3' | 'W4' | 'W5' | 'W6';

/** The matrix: workload, concurrency, and the clients measured on it (pgbench is added where it applies). */
const PLAN: readonly { workload: WorkloadName; concurrency: number; clients: string[] }[] = [
  { workload: 'W1', concurrency: 1, clients: READ_CLIENTS },
  {
    workload: 'W1',
    concurrency: 16,
    // Through PgBouncer in transaction mode (when installed), next to the direct rows.
    clients: [...READ_CLIENTS, 'pg-pgbouncer', 'pgsa-sql-pgbouncer', 'pgsa-engine-db-pgbouncer'],
  },
  { workload: 'W2', concurrency: 1, clients: READ_CLIENTS },
  { workload: 'W2', concurrency: 16, clients: READ_CLIENTS },
  { workload: 'W3', concurrency: 16, clients: WRITE_CLIENTS },
  { workload: 'W4', concurrency: 1, clients: ['pg', 'postgresjs', 'pgsa-stream'] },
  {
    workload: 'W5',
    concurrency: 1,
    clients: ['pg', 'pg-unnest', 'kysely', 'postgresjs', 'postgresjs-copy', 'pg-copy-streams', 'pgsa-execute-many', 'pgsa-copy'],
  },
  { workload: 'W6', concurrency: 16, clients: ['http-pg', 'http-pg-session', 'http-pgsa', 'http-pgsa-engine'] },
];

interface Options {
  quick: boolean;
  runs: number;
  seconds: number;
  warmupSeconds: number;
  streamRows: number;
  bulkRows: number;
  only: Set<string> | undefined;
  clients: Set<string> | undefined;
  concurrency: Set<number> | undefined;
}

function parseOptions(argv: string[]): Options {
  const quick = argv.includes('--quick');
  const value = (flag: string) => {
    const index = argv.indexOf(flag);
    return index >= 0 ? argv[index + 1] : undefined;
  };
  const only = value('--only');
  const clients = value('--clients');
  const concurrency = value('--c');
  return {
    quick,
    runs: Number(value('--runs') ?? (quick ? 1 : 3)),
    seconds: Number(value('--seconds') ?? (quick ? 1 : 4)),
    warmupSeconds: quick ? 0.4 : 1.5,
    streamRows: Number(value('--rows') ?? (quick ? 200_000 : 1_000_000)),
    bulkRows: Number(value('--bulk-rows') ?? (quick ? 20_000 : 100_000)),
    only: only ? new Set(only.split(',')) : undefined,
    clients: clients ? new Set(clients.split(',')) : undefined,
    concurrency: concurrency ? new Set(concurrency.split(',').map(Number)) : undefined,
  };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const started = Date.now();
  const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);
  const server = await provisionPostgres({ envUrl: process.env.PGSA_BENCH_DATABASE_URL, log });
  log(`PostgreSQL ${server.version} via ${server.provider}`);
  let bouncer: PgBouncer | undefined;
  try {
    await adminQuery(server.url, 'drop database if exists pgsa_bench with (force)');
    await adminQuery(server.url, 'create database pgsa_bench');
    const url = withDatabase(server.url, 'pgsa_bench');
    await adminQuery(url, SEED_SQL);
    await adminQuery(url, 'vacuum analyze bench_users');
    log('seeded 100,000 rows');
    const plan = PLAN.filter(
      (entry) =>
        (!options.only || options.only.has(entry.workload)) &&
        (!options.concurrency || options.concurrency.has(entry.concurrency)),
    ).map((entry) => ({ ...entry, clients: entry.clients.filter((client) => !options.clients || options.clients.has(client)) }));
    if (plan.some((entry) => entry.clients.some((client) => client.endsWith('-pgbouncer')))) {
      if (findPgBouncer() === undefined) {
        log('PgBouncer is not installed (apt-get install pgbouncer): its rows are left out');
      } else {
        bouncer = await startPgBouncer({ serverUrl: server.url, poolSize: 16 });
        process.env.PGSA_BENCH_PGBOUNCER_URL = bouncer.through(url);
        log(`${bouncer.version} in transaction mode, pool size 16`);
      }
    }
    const measurements: Measurement[] = [];
    for (let round = 0; round < options.runs; round++) {
      for (const entry of plan) {
        // Alternate the order between rounds so no client always runs first (or last).
        const clients = round % 2 === 0 ? entry.clients : [...entry.clients].reverse();
        for (const client of clients) {
          if (client.endsWith('-pgbouncer') && bouncer === undefined) continue;
          const result = await measure(url, client, entry.workload, entry.concurrency, options);
          if (result.error) log(`${entry.workload} c=${entry.concurrency} ${client}: ${result.error}`);
          measurements.push({ workload: entry.workload, concurrency: entry.concurrency, client, round, result });
          if (result.supported && result.units !== undefined && result.elapsedMs) {
            const rate = (result.units / result.elapsedMs) * 1000;
            log(`round ${round + 1} ${entry.workload} c=${entry.concurrency} ${client}: ${rate.toFixed(0)}/s`);
          }
        }
        const wantsPgbench = !options.clients || options.clients.has('pgbench');
        if (wantsPgbench && pgbenchApplies(entry.workload) && entry.concurrency === 16 && (await hasPgbench())) {
          const result = await runPgbench(url, entry.workload, 16, options.seconds + options.warmupSeconds);
          measurements.push({ workload: entry.workload, concurrency: 16, client: 'pgbench', round, result });
          log(`round ${round + 1} ${entry.workload} c=16 pgbench: ${result.units && result.elapsedMs ? ((result.units / result.elapsedMs) * 1000).toFixed(0) : result.error}/s`);
        }
      }
    }
    const cells = summarize(measurements);
    const machine = await describeMachine(server.version, server.provider);
    const report = renderReport(cells, measurements, machine, options, Date.now() - started);
    process.stdout.write(`${report.markdown}\n`);
    const results = join(here, 'results');
    await mkdir(results, { recursive: true });
    await writeFile(join(results, 'latest.md'), `${report.markdown}\n`);
    await writeFile(join(results, 'latest.json'), `${JSON.stringify(report.json, null, 2)}\n`);
    log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s; wrote bench/results/latest.{md,json}`);
  } finally {
    await bouncer?.stop();
    await server.stop();
  }
}

function measure(url: string, client: string, workload: string, concurrency: number, options: Options): Promise<WorkerResult> {
  const args = [
    '--expose-gc',
    '--import',
    'tsx',
    join(here, 'worker.ts'),
    client,
    workload,
    String(concurrency),
    String(Math.round(options.warmupSeconds * 1000)),
    String(Math.round(options.seconds * 1000)),
    String(options.streamRows),
    String(options.bulkRows),
  ];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, {
      env: { ...process.env, PGSA_BENCH_URL: url },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('close', () => {
      const line = output.trim().split('\n').at(-1) ?? '';
      try {
        resolve(JSON.parse(line) as WorkerResult);
      } catch {
        resolve({ supported: true, error: `worker printed no result: ${line.slice(0, 200)}` });
      }
    });
  });
}

function summarize(measurements: readonly Measurement[]): Cell[] {
  const groups = new Map<string, Measurement[]>();
  for (const measurement of measurements) {
    const key = `${measurement.workload}|${measurement.concurrency}|${measurement.client}`;
    groups.set(key, [...(groups.get(key) ?? []), measurement]);
  }
  const cells: Cell[] = [];
  for (const group of groups.values()) {
    const first = group[0] as Measurement;
    const ok = group.map((m) => m.result).filter((r) => r.supported && !r.error && r.units && r.elapsedMs);
    const supported = group.some((m) => m.result.supported);
    const rates = ok.map((r) => ((r.units as number) / (r.elapsedMs as number)) * 1000);
    const cpu = ok.filter((r) => r.cpuUs !== undefined).map((r) => (r.cpuUs as number) / (r.units as number));
    const rss = ok.filter((r) => r.rssGrowthBytes !== undefined).map((r) => r.rssGrowthBytes as number);
    cells.push({
      workload: first.workload,
      concurrency: first.concurrency,
      client: first.client,
      label: labelOf(first.client, first.workload),
      supported,
      runs: rates.length,
      opsPerSecond: median(rates),
      min: rates.length ? Math.min(...rates) : undefined,
      max: rates.length ? Math.max(...rates) : undefined,
      cpuUsPerOp: median(cpu),
      rssGrowthMb: rss.length ? Math.max(...rss) / 2 ** 20 : undefined,
      error: group.find((m) => m.result.error)?.result.error?.split('\n')[0],
    });
  }
  return cells;
}

function labelOf(client: string, workload: string): string {
  if (client === 'pgbench') return 'pgbench -M prepared (C)';
  if (client === 'pg' && workload === 'W4') return 'pg + pg-cursor';
  if (client === 'postgresjs' && workload === 'W4') return 'postgres.js cursor()';
  if (workload === 'W5') return BULK_CLIENTS[client]?.label ?? client;
  if (workload === 'W6') return HTTP_CLIENTS[client]?.label ?? client;
  if (client === 'pgsa-sql' && workload === 'W3') return "pgsa acquire + conn.execute('BEGIN') / sql / 'COMMIT'";
  return CLIENTS[client]?.label ?? client;
}

let pgbenchFound: boolean | undefined;
async function hasPgbench(): Promise<boolean> {
  pgbenchFound ??= await run('pgbench', ['--version']).then(
    () => true,
    () => false,
  );
  return pgbenchFound;
}

async function describeMachine(pgVersion: string, provider: string) {
  const cpuList = cpus();
  return {
    cpu: `${cpuList[0]?.model.trim() ?? 'unknown'} × ${cpuList.length}`,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    postgres: `${pgVersion} (${provider}, loopback)`,
    date: new Date().toISOString(),
  };
}

main().catch((error: unknown) => {
  process.stderr.write(`${String((error as Error)?.stack ?? error)}\n`);
  process.exitCode = 1;
});
