import type { WorkerResult } from './worker.js';

/** One process' measurement. */
export interface Measurement {
  readonly workload: string;
  readonly concurrency: number;
  readonly client: string;
  readonly result: WorkerResult;
}

/** All runs of one client on one workload, summarized. */
export interface Cell {
  readonly workload: string;
  readonly concurrency: number;
  readonly client: string;
  readonly label: string;
  readonly supported: boolean;
  readonly runs: number;
  readonly opsPerSecond: number | undefined;
  readonly min: number | undefined;
  readonly max: number | undefined;
  readonly cpuUsPerOp: number | undefined;
  readonly rssGrowthMb: number | undefined;
  readonly error: string | undefined;
}

interface Machine {
  readonly cpu: string;
  readonly memoryGb: number;
  readonly node: string;
  readonly postgres: string;
  readonly date: string;
}

interface RunOptions {
  readonly quick: boolean;
  readonly runs: number;
  readonly seconds: number;
  readonly streamRows: number;
  readonly bulkRows: number;
}

const UNITS: Record<string, string> = {
  W1: 'queries/s',
  W2: 'queries/s (100 rows each)',
  W3: 'transactions/s',
  W4: 'rows/s',
  W5: 'rows/s',
  W6: 'requests/s',
};

const TITLES: Record<string, string> = {
  W1: 'W1 point select by pk (5 columns)',
  W2: 'W2 100-row range scan (5 columns), rows touched',
  W3: 'W3 BEGIN / INSERT (5 columns) / COMMIT',
  W4: 'W4 stream rows through a cursor',
  W5: 'W5 bulk insert, one transaction',
  W6: 'W6 HTTP GET on loopback (Fastify, keep-alive)',
};

/** The markdown table (plus targets) and the JSON document of one bench run. */
export function renderReport(cells: readonly Cell[], machine: Machine, options: RunOptions, durationMs: number) {
  const find = (workload: string, concurrency: number, client: string) =>
    cells.find((cell) => cell.workload === workload && cell.concurrency === concurrency && cell.client === client);
  const lines: string[] = [];
  lines.push(
    `Machine: ${machine.cpu}, ${machine.memoryGb} GB RAM; Node ${machine.node}; PostgreSQL ${machine.postgres}. ` +
      `${options.runs} run(s) × ${options.seconds} s per cell${options.quick ? ' (--quick)' : ''}; ` +
      `W4 streams ${options.streamRows.toLocaleString('en-US')} rows; ` +
      `W5 inserts ${options.bulkRows.toLocaleString('en-US')} rows. ${machine.date}.`,
    '',
    '| Workload | c | Client | ops/s (median) | spread (min–max) | client CPU µs/op | × raw pg |',
    '|---|---:|---|---:|---:|---:|---:|',
  );
  const rows: Record<string, unknown>[] = [];
  for (const cell of cells) {
    // W6's raw-pg baseline is the same HTTP service on pg.
    const baseline = find(cell.workload, cell.concurrency, cell.workload === 'W6' ? 'http-pg' : 'pg')?.opsPerSecond;
    const ratio = cell.opsPerSecond && baseline ? cell.opsPerSecond / baseline : undefined;
    const unit = UNITS[cell.workload] ?? 'ops/s';
    let ops: string;
    if (!cell.supported) ops = 'not yet measurable (feature not on main)';
    else if (cell.opsPerSecond === undefined) ops = `failed: ${cell.error ?? 'no result'}`;
    else ops = `${fmt(cell.opsPerSecond)} ${unit}`;
    const spread =
      cell.min !== undefined && cell.max !== undefined && cell.opsPerSecond
        ? `${fmt(cell.min)}–${fmt(cell.max)} (±${(((cell.max - cell.min) / 2 / cell.opsPerSecond) * 100).toFixed(0)} %)`
        : '';
    const cpu = cell.cpuUsPerOp === undefined ? '' : cell.cpuUsPerOp.toFixed(cell.workload === 'W4' || cell.workload === 'W5' ? 2 : 1);
    const rss = cell.rssGrowthMb === undefined ? '' : `, peak RSS +${cell.rssGrowthMb.toFixed(1)} MB`;
    lines.push(
      `| ${TITLES[cell.workload] ?? cell.workload} | ${cell.concurrency} | ${cell.label} | ${ops}${rss} | ${spread} | ${cpu} | ${ratio === undefined ? '' : `${ratio.toFixed(2)}×`} |`,
    );
    rows.push({ ...cell, ratioToPg: ratio });
  }
  lines.push('', '### Targets (issues 6 and 18)', '', '| Target | Measured | Met? |', '|---|---:|---|');
  const ops = (w: string, c: number, client: string) => find(w, c, client)?.opsPerSecond;
  const cpu = (w: string, c: number, client: string) => find(w, c, client)?.cpuUsPerOp;
  const targets: { name: string; value: number | undefined; goal: number | undefined; atMost?: boolean }[] = [
    { name: 'Issue 18: W1 c=16 request session ≥ 0.85× raw pg', value: div(ops('W1', 16, 'pgsa-session'), ops('W1', 16, 'pg')), goal: 0.85 },
    { name: 'Issue 18: W3 c=16 request session ≥ 1.1× raw pg', value: div(ops('W3', 16, 'pgsa-session'), ops('W3', 16, 'pg')), goal: 1.1 },
    { name: 'Issue 18: W3 c=16 engine.transaction ≥ 1.3× raw pg', value: div(ops('W3', 16, 'pgsa-transaction'), ops('W3', 16, 'pg')), goal: 1.3 },
    { name: 'Issue 18: W2 c=16 acquired conn.execute(sql) ≥ 1.0× raw pg', value: div(ops('W2', 16, 'pgsa-sql'), ops('W2', 16, 'pg')), goal: 1.0 },
    { name: 'Issue 18: W1 c=16 acquire + execute(builder) ≥ 1.0× postgres.js', value: div(ops('W1', 16, 'pgsa-builder'), ops('W1', 16, 'postgresjs')), goal: 1.0 },
    { name: 'Issue 18: W5 pgsa copyFrom ≥ 0.9× pg-copy-streams fed hand-encoded lines', value: div(ops('W5', 1, 'pgsa-copy'), ops('W5', 1, 'pg-copy-streams')), goal: 0.9 },
    { name: 'Issue 18: W5 pgsa executeMany / pg unnest batching (reported)', value: div(ops('W5', 1, 'pgsa-execute-many'), ops('W5', 1, 'pg-unnest')), goal: undefined },
    { name: 'Issue 18: W6 HTTP pgsa middleware / same handler on raw pg (no target)', value: div(ops('W6', 16, 'http-pgsa'), ops('W6', 16, 'http-pg')), goal: undefined },
    { name: 'Issue 18: W6 HTTP pgsa engine.fetchRow without a session / same handler on raw pg (no target)', value: div(ops('W6', 16, 'http-pgsa-engine'), ops('W6', 16, 'http-pg')), goal: undefined },
    { name: 'W1 c=16 pgsa execute(builder) ≥ 1.8× Kysely', value: div(ops('W1', 16, 'pgsa-builder'), ops('W1', 16, 'kysely')), goal: 1.8 },
    { name: 'W1 c=16 pgsa execute(builder) ≥ 0.95× postgres.js', value: div(ops('W1', 16, 'pgsa-builder'), ops('W1', 16, 'postgresjs')), goal: 0.95 },
    { name: 'W1 c=16 pgsa raw string ≥ 1.0× pg named prepared', value: div(ops('W1', 16, 'pgsa-sql'), ops('W1', 16, 'pg-named')), goal: 1.0 },
    { name: 'W1 c=1 CPU/query pgsa raw string ≤ 1.15× pg named', value: div(cpu('W1', 1, 'pgsa-sql'), cpu('W1', 1, 'pg-named')), goal: 1.15, atMost: true },
    { name: 'W1 c=1 CPU/query pgsa builder ≤ 1.0× Kysely', value: div(cpu('W1', 1, 'pgsa-builder'), cpu('W1', 1, 'kysely')), goal: 1.0, atMost: true },
    { name: 'W2 c=16 pgsa (RowProxy) ≥ 0.9× raw pg', value: div(ops('W2', 16, 'pgsa-sql'), ops('W2', 16, 'pg')), goal: 0.9 },
    { name: 'W3 c=16 pgsa ≥ 1.0× raw pg', value: div(ops('W3', 16, 'pgsa-sql'), ops('W3', 16, 'pg')), goal: 1.0 },
    { name: 'W3 c=16 pgsa engine.transaction ≥ 1.0× raw pg', value: div(ops('W3', 16, 'pgsa-transaction'), ops('W3', 16, 'pg')), goal: 1.0 },
    { name: 'W4 pgsa stream ≥ 0.95× pg-cursor rows/s', value: div(ops('W4', 1, 'pgsa-stream'), ops('W4', 1, 'pg')), goal: 0.95 },
    { name: 'W4 pgsa stream peak RSS growth ≤ 32 MB', value: find('W4', 1, 'pgsa-stream')?.rssGrowthMb, goal: 32, atMost: true },
    { name: 'Moonshot: W1 c=16 engine.db (pipelined) ≥ 0.8× pgbench -M prepared', value: div(ops('W1', 16, 'pgsa-engine-db'), ops('W1', 16, 'pgbench')), goal: 0.8 },
  ];
  const targetRows = targets.map((target) => {
    const goal = target.goal;
    const met =
      target.value === undefined || goal === undefined ? undefined : target.atMost ? target.value <= goal : target.value >= goal;
    const shown = target.value === undefined ? 'n/a' : target.name.includes('MB') ? `${target.value.toFixed(1)} MB` : `${target.value.toFixed(3)}×`;
    const verdict = met === undefined ? (goal === undefined && target.value !== undefined ? '—' : 'not measurable') : met ? 'met' : 'missed';
    lines.push(`| ${target.name} | ${shown} | ${verdict} |`);
    return { ...target, met };
  });
  lines.push('', `Run took ${(durationMs / 1000).toFixed(0)} s.`);
  return {
    markdown: lines.join('\n'),
    json: { machine, options, durationMs, cells: rows, targets: targetRows },
  };
}

function div(a: number | undefined, b: number | undefined): number | undefined {
  return a !== undefined && b ? a / b : undefined;
}

function fmt(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}
