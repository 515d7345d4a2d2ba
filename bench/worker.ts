/**
 * One measurement in a fresh process (W6: the HTTP service and its load in this process):
 * `worker.ts <client> <workload> <concurrency> <warmupMs>
 * <measureMs> <streamRows> <bulkRows>` with the database URL in PGSA_BENCH_URL. Prints one JSON line:
 * units done in the measured window, its wall time and this process' CPU time (user + system).
 * With PGSA_BENCH_SUBSCRIBE=1 a no-op listener subscribes to pgsa's diagnostics channels
 * (`pgsa:query`, `pgsa:pool`, `pgsa:transaction`): the cost of an APM tool listening.
 */
import diagnostics from 'node:diagnostics_channel';
import { BULK_CLIENTS, bulkRows } from './bench-bulk.js';
import { type BenchClient, CLIENTS, consumed, type Workload } from './bench-clients.js';
import { serveHttp } from './bench-http.js';

export interface WorkerResult {
  readonly supported: boolean;
  readonly units?: number;
  readonly elapsedMs?: number;
  readonly cpuUs?: number;
  /** The user-mode part of `cpuUs` (JavaScript and libuv, without the kernel's syscall work). */
  readonly userUs?: number;
  readonly rssGrowthBytes?: number;
  readonly error?: string;
}

async function main(): Promise<WorkerResult> {
  if (process.env.PGSA_BENCH_SUBSCRIBE === '1') {
    for (const name of ['pgsa:query', 'pgsa:pool', 'pgsa:transaction']) diagnostics.subscribe(name, () => {});
  }
  const [
    clientName = '',
    workload = 'W1',
    concurrencyText = '1',
    warmupText = '1000',
    measureText = '3000',
    rowsText = '1000000',
    bulkText = '100000',
  ] = process.argv.slice(2);
  const url = process.env.PGSA_BENCH_URL;
  if (!url) throw new Error('PGSA_BENCH_URL is not set');
  if (workload === 'W5') return measureBulk(clientName, url, Number(bulkText), Number(measureText));
  if (workload === 'W6') {
    const http = await serveHttp(clientName, url, Number(concurrencyText));
    if (http === undefined) return { supported: false };
    try {
      return await measureLoop({ op: () => http.op(), close: async () => {} }, Number(concurrencyText), Number(warmupText), Number(measureText));
    } finally {
      await http.close();
    }
  }
  const spec = CLIENTS[clientName];
  if (!spec) throw new Error(`unknown client ${clientName}`);
  const concurrency = Number(concurrencyText);
  const client = await spec.factory(workload as Workload, { url, concurrency, streamRows: Number(rowsText) });
  if (client === undefined) return { supported: false };
  try {
    return workload === 'W4'
      ? await measureOnce(client)
      : await measureLoop(client, concurrency, Number(warmupText), Number(measureText));
  } finally {
    await client.close();
  }
}

/** `concurrency` async workers run `op` back to back; only the window after warm-up counts. */
async function measureLoop(client: BenchClient, concurrency: number, warmupMs: number, measureMs: number): Promise<WorkerResult> {
  let phase: 'warmup' | 'measure' | 'stop' = 'warmup';
  let units = 0;
  const worker = async (index: number) => {
    while (phase !== 'stop') {
      const done = await client.op(index);
      if (phase === 'measure' && done >= 0) units++;
    }
  };
  const workers = Array.from({ length: concurrency }, (_, index) => worker(index));
  await sleep(warmupMs);
  units = 0;
  const cpuStart = process.cpuUsage();
  const started = performance.now();
  phase = 'measure';
  await sleep(measureMs);
  phase = 'stop';
  const elapsedMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuStart);
  const measured = units;
  await Promise.all(workers);
  return { supported: true, units: measured, elapsedMs, cpuUs: cpu.user + cpu.system, userUs: cpu.user };
}

/** Rows of W5's unmeasured warm-up insert (so the JIT has compiled each client's bulk path). */
const BULK_WARMUP_ROWS = 50_000;

/**
 * W5: a warm-up bulk insert of up to {@link BULK_WARMUP_ROWS} rows by the same client (not
 * measured), then bulk inserts of all rows, the table emptied before each (not measured),
 * until the inserts alone took `measureMs` (at least one): one insert of 100,000 rows takes
 * about 50 ms on the fast paths, too short a window to time alone.
 */
async function measureBulk(clientName: string, url: string, rows: number, measureMs: number): Promise<WorkerResult> {
  const spec = BULK_CLIENTS[clientName];
  if (!spec) return { supported: false };
  const warmUp = await spec.make(url, bulkRows(Math.min(rows, BULK_WARMUP_ROWS)));
  try {
    await warmUp.prepare();
    await warmUp.op();
  } finally {
    await warmUp.close();
  }
  const client = await spec.make(url, bulkRows(rows));
  try {
    let units = 0;
    let elapsedMs = 0;
    let cpuUs = 0;
    let rssGrowthBytes = 0;
    do {
      await client.prepare();
      const one = await measureOnce({ op: () => client.op(), close: async () => {} });
      units += one.units ?? 0;
      elapsedMs += one.elapsedMs ?? 0;
      cpuUs += one.cpuUs ?? 0;
      rssGrowthBytes = Math.max(rssGrowthBytes, one.rssGrowthBytes ?? 0);
    } while (elapsedMs < measureMs);
    return { supported: true, units, elapsedMs, cpuUs, rssGrowthBytes };
  } finally {
    await client.close();
  }
}

/** One operation (all rows of a stream, or a bulk insert); peak RSS is sampled while it runs. */
async function measureOnce(client: BenchClient): Promise<WorkerResult> {
  (globalThis as { gc?: () => void }).gc?.();
  const baseline = process.memoryUsage.rss();
  let peak = baseline;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 10);
  const cpuStart = process.cpuUsage();
  const started = performance.now();
  const units = await client.op(0);
  const elapsedMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuStart);
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage.rss());
  return { supported: true, units, elapsedMs, cpuUs: cpu.user + cpu.system, rssGrowthBytes: peak - baseline };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

main().then(
  (result) => {
    process.stdout.write(`${JSON.stringify({ ...result, sink: consumed() > -1 })}\n`);
    process.exit(0);
  },
  (error: unknown) => {
    process.stdout.write(`${JSON.stringify({ supported: true, error: String((error as Error)?.stack ?? error) })}\n`);
    process.exit(1);
  },
);
