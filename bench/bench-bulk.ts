/**
 * W5: bulk insert of `rows` rows into `bench_bulk`, one transaction per operation, by each
 * client's natural bulk path. Every operation first empties the table (outside the measured
 * operation: the worker measures `op` only).
 */
import type { Writable } from 'node:stream';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { from as copyFromStdin } from 'pg-copy-streams';
import postgres from 'postgres';
import { createEngine } from 'pgsa';
import { type BenchDatabase, W5_SQL } from './bench-sql.js';

export interface BulkClient {
  /** Empties the table; not measured. */
  prepare(): Promise<void>;
  /** Inserts the rows; returns how many. */
  op(): Promise<number>;
  close(): Promise<void>;
}

/** The rows every client inserts: `[n, payload]`. */
export function bulkRows(count: number): [number, string][] {
  return Array.from({ length: count }, (_, i) => [i, `payload ${i}`]);
}

const TRUNCATE = 'truncate bench_bulk';

/** Kysely and postgres.js bind every value as a parameter: at most 65,535 per statement. */
const ROWS_PER_STATEMENT = 10_000;

function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let i = 0; i < items.length; i += size) result.push(items.slice(i, i + size));
  return result;
}

/** node-postgres: one named INSERT per row, awaited in turn, in one transaction. */
export async function pgPerRow(url: string, rows: [number, string][]): Promise<BulkClient> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return {
    prepare: async () => void (await client.query(TRUNCATE)),
    op: async () => {
      await client.query('BEGIN');
      for (const values of rows) await client.query({ name: 'w5', text: W5_SQL, values });
      await client.query('COMMIT');
      return rows.length;
    },
    close: () => client.end(),
  };
}

/** node-postgres: one INSERT … SELECT FROM unnest($1::int[], $2::text[]) with every row. */
export async function pgUnnest(url: string, rows: [number, string][]): Promise<BulkClient> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const ns = rows.map((row) => row[0]);
  const payloads = rows.map((row) => row[1]);
  return {
    prepare: async () => void (await client.query(TRUNCATE)),
    op: async () => {
      const result = await client.query(
        'insert into bench_bulk (n, payload) select * from unnest($1::int[], $2::text[])',
        [ns, payloads],
      );
      return result.rowCount ?? 0;
    },
    close: () => client.end(),
  };
}

/** Kysely: multi-row INSERTs of 10,000 rows in one transaction. */
export async function kyselyBulk(url: string, rows: [number, string][]): Promise<BulkClient> {
  const db = new Kysely<BenchDatabase>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 1 }) }) });
  const values = rows.map(([n, payload]) => ({ n, payload }));
  return {
    prepare: async () => void (await db.deleteFrom('bench_bulk').execute()),
    op: async () => {
      await db.transaction().execute(async (trx) => {
        for (const chunk of chunks(values, ROWS_PER_STATEMENT)) await trx.insertInto('bench_bulk').values(chunk).execute();
      });
      return rows.length;
    },
    close: () => db.destroy(),
  };
}

/** postgres.js: its multi-row insert helper, 10,000 rows per statement, in one transaction. */
export async function postgresJsBulk(url: string, rows: [number, string][]): Promise<BulkClient> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  const values = rows.map(([n, payload]) => ({ n, payload }));
  return {
    prepare: async () => void (await sql.unsafe(TRUNCATE)),
    op: async () => {
      await sql.begin(async (tx) => {
        for (const chunk of chunks(values, ROWS_PER_STATEMENT)) await tx`insert into bench_bulk ${tx(chunk, 'n', 'payload')}`;
      });
      return rows.length;
    },
    close: () => sql.end(),
  };
}

/** Writes `rows` as hand-encoded COPY text lines in 64 kB chunks, then ends `writable` and waits for it. */
async function writeCopyText(writable: Writable, rows: [number, string][]): Promise<void> {
  const done = new Promise<void>((resolve, reject) => {
    writable.on('finish', resolve);
    writable.on('error', reject);
  });
  let text = '';
  for (const [n, payload] of rows) {
    text += `${n}\t${payload}\n`;
    if (text.length > 64 * 1024) {
      if (!writable.write(text)) await new Promise((resolve) => writable.once('drain', resolve));
      text = '';
    }
  }
  writable.end(text);
  await done;
}

/** postgres.js: COPY … FROM STDIN through its writable stream. */
export async function postgresJsCopy(url: string, rows: [number, string][]): Promise<BulkClient> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  return {
    prepare: async () => void (await sql.unsafe(TRUNCATE)),
    op: async () => {
      const writable = await sql`copy bench_bulk (n, payload) from stdin`.writable();
      await writeCopyText(writable, rows);
      return rows.length;
    },
    close: () => sql.end(),
  };
}

/** node-postgres + pg-copy-streams: COPY … FROM STDIN fed hand-encoded text lines, in one transaction. */
export async function pgCopyStreams(url: string, rows: [number, string][]): Promise<BulkClient> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return {
    prepare: async () => void (await client.query(TRUNCATE)),
    op: async () => {
      await client.query('BEGIN');
      const writable = client.query(copyFromStdin('copy bench_bulk (n, payload) from stdin'));
      await writeCopyText(writable, rows);
      await client.query('COMMIT');
      return rows.length;
    },
    close: () => client.end(),
  };
}

/** pgsa: `executeMany` (one exchange, one transaction) or `copyFrom` (COPY in text format). */
export async function pgsaBulk(url: string, rows: [number, string][], path: 'executeMany' | 'copyFrom'): Promise<BulkClient> {
  const engine = await createEngine<BenchDatabase>({ connectionString: url, minSize: 1, maxSize: 1 });
  return {
    prepare: async () => {
      await using conn = await engine.acquire();
      await conn.execute(TRUNCATE);
    },
    op: () =>
      path === 'executeMany'
        ? engine.executeMany(W5_SQL, rows)
        : engine.copyFrom('bench_bulk', rows, { columns: ['n', 'payload'] }),
    close: async () => {
      await engine.close();
      await engine.waitClosed();
    },
  };
}

/** The W5 clients, by the name used on the command line and in the table. */
export const BULK_CLIENTS: Record<string, { label: string; make: (url: string, rows: [number, string][]) => Promise<BulkClient> }> = {
  pg: { label: 'pg: INSERT per row (named), one transaction', make: pgPerRow },
  'pg-unnest': { label: 'pg: one INSERT … SELECT FROM unnest(arrays)', make: pgUnnest },
  kysely: { label: 'Kysely: multi-row INSERTs of 10,000', make: kyselyBulk },
  postgresjs: { label: 'postgres.js: multi-row INSERTs of 10,000', make: postgresJsBulk },
  'postgresjs-copy': { label: 'postgres.js: COPY writable()', make: postgresJsCopy },
  'pg-copy-streams': { label: 'pg + pg-copy-streams: COPY from hand-encoded text lines', make: pgCopyStreams },
  'pgsa-execute-many': { label: 'pgsa engine.executeMany', make: (url, rows) => pgsaBulk(url, rows, 'executeMany') },
  'pgsa-copy': { label: 'pgsa engine.copyFrom (rows)', make: (url, rows) => pgsaBulk(url, rows, 'copyFrom') },
};
