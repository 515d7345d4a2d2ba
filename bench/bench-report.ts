import type { WorkerResult } from './worker.js';

/** One process' measurement. */
export interface Measurement {
  readonly workload: string;
  readonly concurrency: number;
  readonly client: string;
  /** The round (0-based) it was measured in: every client of a workload runs once per round. */
  readonly round: number;
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
export function renderReport(
  cells: readonly Cell[],
  measurements: readonly Measurement[],
  machine: Machine,
  options: RunOptions,
  durationMs: number,
) {
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
  lines.push(
    '',
    '### Targets (issues 6 and 18)',
    '',
    'Each ratio is the median of the per-round ratios (client and baseline measured in the same round), ' +
      'with their range; CPU targets compare the medians of client CPU per operation.',
    '',
    '| Target | Measured (per-round range) | Met? |',
    '|---|---:|---|',
  );
  const rate = rateByRound(measurements);
  /** `client` over `base` (both `[workload, concurrency, client]`), round by round. */
  const paired = (client: Key, base: Key) => pairedRatio(rate(...client), rate(...base));
  /** A ratio printed without a goal. */
  const reported = (name: string, client: Key, base: Key) => ({ name: `${name} (reported)`, value: paired(client, base), goal: undefined });
  const cpu = (w: string, c: number, client: string) => find(w, c, client)?.cpuUsPerOp;
  const cpuRatio = (a: number | undefined, b: number | undefined): Ratio | undefined =>
    a !== undefined && b ? { median: a / b, min: a / b, max: a / b } : undefined;
  const w2Paths: [string, string][] = [
    ['pgsa-builder', 'acquire + conn.execute(builder)'],
    ['pgsa-sql', 'acquire + conn.execute(sql)'],
    ['pgsa-conn-db', 'acquire + conn.db'],
    ['pgsa-engine-db-pool', 'engine.db (pipeline off)'],
    ['pgsa-engine-fetch', 'engine.fetch(builder)'],
    ['pgsa-engine-fetchrow', 'engine.fetch(sql)'],
    ['pgsa-session', 'request session'],
  ];
  const targets: { name: string; value: Ratio | undefined; goal: number | undefined; atMost?: boolean; mb?: boolean }[] = [
    { name: 'Issue 18: W1 c=16 request session ≥ 0.85× raw pg', value: paired(['W1', 16, 'pgsa-session'], ['W1', 16, 'pg']), goal: 0.85 },
    reported('Issue 18: W1 c=16 the same two round trips by hand on raw pg / raw pg, the ceiling of the target above', ['W1', 16, 'pg-session'], ['W1', 16, 'pg']),
    reported('Issue 18: W1 c=16 request session / the same two round trips by hand on raw pg', ['W1', 16, 'pgsa-session'], ['W1', 16, 'pg-session']),
    { name: 'Issue 18: W3 c=16 request session ≥ 1.1× raw pg', value: paired(['W3', 16, 'pgsa-session'], ['W3', 16, 'pg']), goal: 1.1 },
    { name: 'Issue 18: W3 c=16 engine.transaction ≥ 1.3× raw pg', value: paired(['W3', 16, 'pgsa-transaction'], ['W3', 16, 'pg']), goal: 1.3 },
    ...w2Paths.map(([client, label]) => ({
      name: `Issue 18: W2 c=16 ${label} ≥ 1.0× raw pg`,
      value: paired(['W2', 16, client], ['W2', 16, 'pg']),
      goal: 1.0,
    })),
    { name: 'Issue 18: W2 c=16 engine.db (pipelined) ≥ 1.4× raw pg', value: paired(['W2', 16, 'pgsa-engine-db'], ['W2', 16, 'pg']), goal: 1.4 },
    { name: 'Issue 18: W1 c=16 acquire + execute(builder) ≥ 1.0× postgres.js', value: paired(['W1', 16, 'pgsa-builder'], ['W1', 16, 'postgresjs']), goal: 1.0 },
    { name: 'Issue 18: W1 c=16 acquire + execute(builder) ≥ 1.8× Kysely', value: paired(['W1', 16, 'pgsa-builder'], ['W1', 16, 'kysely']), goal: 1.8 },
    { name: 'Issue 18 moonshot: W1 c=16 engine.db (pipelined) ≥ 1.0× pgbench -M prepared', value: paired(['W1', 16, 'pgsa-engine-db'], ['W1', 16, 'pgbench']), goal: 1.0 },
    { name: 'Issue 18: W5 pgsa copyFrom ≥ 0.9× pg-copy-streams fed hand-encoded lines', value: paired(['W5', 1, 'pgsa-copy'], ['W5', 1, 'pg-copy-streams']), goal: 0.9 },
    reported('Issue 18: W5 pgsa executeMany / pg unnest batching', ['W5', 1, 'pgsa-execute-many'], ['W5', 1, 'pg-unnest']),
    reported('Issue 18: W6 HTTP pgsa middleware / same handler on raw pg', ['W6', 16, 'http-pgsa'], ['W6', 16, 'http-pg']),
    reported(
      'Issue 18: W6 HTTP pgsa middleware / same handler with the same two round trips by hand on raw pg',
      ['W6', 16, 'http-pgsa'],
      ['W6', 16, 'http-pg-session'],
    ),
    reported('Issue 18: W6 HTTP pgsa engine.fetchRow without a session / same handler on raw pg', ['W6', 16, 'http-pgsa-engine'], ['W6', 16, 'http-pg']),
    { name: 'W1 c=16 pgsa execute(builder) ≥ 0.95× postgres.js', value: paired(['W1', 16, 'pgsa-builder'], ['W1', 16, 'postgresjs']), goal: 0.95 },
    { name: 'W1 c=16 pgsa raw string ≥ 1.0× pg named prepared', value: paired(['W1', 16, 'pgsa-sql'], ['W1', 16, 'pg-named']), goal: 1.0 },
    { name: 'W1 c=1 CPU/query pgsa raw string ≤ 1.15× pg named', value: cpuRatio(cpu('W1', 1, 'pgsa-sql'), cpu('W1', 1, 'pg-named')), goal: 1.15, atMost: true },
    { name: 'W1 c=1 CPU/query pgsa builder ≤ 1.0× Kysely', value: cpuRatio(cpu('W1', 1, 'pgsa-builder'), cpu('W1', 1, 'kysely')), goal: 1.0, atMost: true },
    { name: 'W2 c=16 pgsa (RowProxy) ≥ 0.9× raw pg', value: paired(['W2', 16, 'pgsa-sql'], ['W2', 16, 'pg']), goal: 0.9 },
    { name: 'W3 c=16 pgsa ≥ 1.0× raw pg', value: paired(['W3', 16, 'pgsa-sql'], ['W3', 16, 'pg']), goal: 1.0 },
    { name: 'W3 c=16 pgsa engine.transaction ≥ 1.0× raw pg', value: paired(['W3', 16, 'pgsa-transaction'], ['W3', 16, 'pg']), goal: 1.0 },
    { name: 'W4 pgsa stream ≥ 0.95× pg-cursor rows/s', value: paired(['W4', 1, 'pgsa-stream'], ['W4', 1, 'pg']), goal: 0.95 },
    { name: 'W4 pgsa stream peak RSS growth ≤ 32 MB', value: single(find('W4', 1, 'pgsa-stream')?.rssGrowthMb), goal: 32, atMost: true, mb: true },
    { name: 'Moonshot: W1 c=16 engine.db (pipelined) ≥ 0.8× pgbench -M prepared', value: paired(['W1', 16, 'pgsa-engine-db'], ['W1', 16, 'pgbench']), goal: 0.8 },
  ];
  const targetRows = targets.map((target) => {
    const { goal, value } = target;
    const met = value === undefined || goal === undefined ? undefined : target.atMost ? value.median <= goal : value.median >= goal;
    let shown = 'n/a';
    if (value !== undefined && target.mb) shown = `${value.median.toFixed(1)} MB`;
    else if (value !== undefined) {
      const range = value.min === value.max ? '' : ` (${value.min.toFixed(2)}–${value.max.toFixed(2)})`;
      shown = `${value.median.toFixed(3)}×${range}`;
    }
    const verdict = met === undefined ? (goal === undefined && value !== undefined ? '—' : 'not measurable') : met ? 'met' : 'missed';
    lines.push(`| ${target.name} | ${shown} | ${verdict} |`);
    return { name: target.name, goal, atMost: target.atMost, value: value?.median, perRound: value, met };
  });
  lines.push('', `Run took ${(durationMs / 1000).toFixed(0)} s.`);
  return {
    markdown: lines.join('\n'),
    json: { machine, options, durationMs, cells: rows, targets: targetRows },
  };
}

type Key = [workload: string, concurrency: number, client: string];

/** A ratio: the median of its per-round values, and their range. */
interface Ratio {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

/** A rate lookup: operations per second of a client, by round. */
function rateByRound(measurements: readonly Measurement[]) {
  const rates = new Map<string, Map<number, number>>();
  for (const { workload, concurrency, client, round, result } of measurements) {
    if (!result.supported || result.error || !result.units || !result.elapsedMs) continue;
    const key = `${workload}|${concurrency}|${client}`;
    const byRound = rates.get(key) ?? new Map<number, number>();
    byRound.set(round, (result.units / result.elapsedMs) * 1000);
    rates.set(key, byRound);
  }
  return (workload: string, concurrency: number, client: string) => rates.get(`${workload}|${concurrency}|${client}`);
}

/** `a / b` in each round both were measured in; `undefined` when there is none. */
export function pairedRatio(a: ReadonlyMap<number, number> | undefined, b: ReadonlyMap<number, number> | undefined): Ratio | undefined {
  if (a === undefined || b === undefined) return undefined;
  const ratios: number[] = [];
  for (const [round, value] of a) {
    const base = b.get(round);
    if (base) ratios.push(value / base);
  }
  const middle = median(ratios);
  return middle === undefined ? undefined : { median: middle, min: Math.min(...ratios), max: Math.max(...ratios) };
}

function single(value: number | undefined): Ratio | undefined {
  return value === undefined ? undefined : { median: value, min: value, max: value };
}

/** The median of `values`; `undefined` for none. */
export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

function fmt(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}
