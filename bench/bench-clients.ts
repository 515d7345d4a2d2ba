/**
 * One implementation of each workload per client. A client's `op(worker)` runs one operation
 * and returns how many units it completed (1 statement/transaction, or rows for W4).
 */
import { Kysely, PostgresDialect, sql as kyselySql } from 'kysely';
import pg from 'pg';
import Cursor from 'pg-cursor';
import postgres from 'postgres';
import { createEngine, dbSession, runInNewContext } from '../src/index.js';
import { type BenchDatabase, randomId, W1_SQL, W2_SQL, W3_SQL, W4_SQL } from './bench-sql.js';

export type Workload = 'W1' | 'W2' | 'W3' | 'W4';

export interface BenchClient {
  op(worker: number): Promise<number>;
  close(): Promise<void>;
}

interface Context {
  readonly url: string;
  readonly concurrency: number;
  readonly streamRows: number;
  /** The URL leads to PgBouncer in transaction mode (pgsa gets `pgbouncer: true`). */
  readonly pgbouncer?: boolean | undefined;
}

type Factory = (workload: Workload, context: Context) => Promise<BenchClient | undefined>;

const sumValues = (rows: readonly { value: number }[]): number => {
  let total = 0;
  for (const row of rows) total += row.value;
  return total;
};

let sink = 0;
/** Keeps results alive so the engine cannot skip materializing them. */
export function consumed(): number {
  return sink;
}

/** Raw node-postgres through a Pool (`pool.query`), unnamed statements. */
const pgPlain: Factory = async (workload, { url, concurrency, streamRows }) => {
  const pool = new pg.Pool({ connectionString: url, max: concurrency });
  const close = () => pool.end();
  switch (workload) {
    case 'W1':
      return { op: async () => (sink += (await pool.query(W1_SQL, [randomId()])).rows.length), close };
    case 'W2':
      return {
        op: async () => {
          const start = randomId(100);
          sink += sumValues((await pool.query(W2_SQL, [start, start + 100])).rows);
          return 1;
        },
        close,
      };
    case 'W3':
      return {
        op: async () => {
          const client = await pool.connect();
          try {
            await client.query('BEGIN');
            await client.query(W3_SQL, ['payload']);
            await client.query('COMMIT');
          } finally {
            client.release();
          }
          return 1;
        },
        close,
      };
    case 'W4':
      return {
        op: async () => {
          const client = await pool.connect();
          try {
            const cursor = client.query(new Cursor(W4_SQL, [streamRows]));
            let rows = 0;
            for (let batch = await cursor.read(1000); batch.length > 0; batch = await cursor.read(1000)) {
              rows += batch.length;
              sink += batch.length;
            }
            await cursor.close();
            return rows;
          } finally {
            client.release();
          }
        },
        close,
      };
  }
};

/** Raw node-postgres with named (server-side prepared) statements. */
const pgNamed: Factory = async (workload, { url, concurrency }) => {
  const pool = new pg.Pool({ connectionString: url, max: concurrency });
  const close = () => pool.end();
  switch (workload) {
    case 'W1':
      return {
        op: async () =>
          (sink += (await pool.query({ name: 'w1', text: W1_SQL, values: [randomId()] })).rows.length),
        close,
      };
    case 'W2':
      return {
        op: async () => {
          const start = randomId(100);
          const result = await pool.query({ name: 'w2', text: W2_SQL, values: [start, start + 100] });
          sink += sumValues(result.rows);
          return 1;
        },
        close,
      };
    default:
      return undefined;
  }
};

/** Kysely with its own PostgresDialect over a pg Pool. */
const kysely: Factory = async (workload, { url, concurrency }) => {
  const pool = new pg.Pool({ connectionString: url, max: concurrency });
  const db = new Kysely<BenchDatabase>({ dialect: new PostgresDialect({ pool }) });
  const close = () => db.destroy();
  switch (workload) {
    case 'W1':
      return {
        op: async () =>
          (sink += (
            await db.selectFrom('bench_items').select(['id', 'name', 'value']).where('id', '=', randomId()).execute()
          ).length),
        close,
      };
    case 'W2':
      return {
        op: async () => {
          const start = randomId(100);
          const rows = await db
            .selectFrom('bench_items')
            .select(['id', 'name', 'value', 'created'])
            .where('id', '>=', start)
            .where('id', '<', start + 100)
            .execute();
          sink += sumValues(rows);
          return 1;
        },
        close,
      };
    case 'W3':
      return {
        op: async () => {
          await db.transaction().execute((trx) => trx.insertInto('bench_log').values({ payload: 'payload' }).execute());
          return 1;
        },
        close,
      };
    default:
      return undefined;
  }
};

/** postgres.js (prepares statements automatically). */
const postgresJs: Factory = async (workload, { url, concurrency, streamRows }) => {
  const sql = postgres(url, { max: concurrency, onnotice: () => {} });
  const close = () => sql.end();
  switch (workload) {
    case 'W1':
      return {
        op: async () =>
          (sink += (await sql`select id, name, value from bench_items where id = ${randomId()}`).length),
        close,
      };
    case 'W2':
      return {
        op: async () => {
          const start = randomId(100);
          const rows = await sql<{ value: number }[]>`
            select id, name, value, created from bench_items where id >= ${start} and id < ${start + 100}`;
          sink += sumValues(rows);
          return 1;
        },
        close,
      };
    case 'W3':
      return {
        op: async () => {
          await sql.begin((tx) => tx`insert into bench_log (payload) values (${'payload'})`);
          return 1;
        },
        close,
      };
    case 'W4':
      return {
        op: async () => {
          let rows = 0;
          for await (const batch of sql.unsafe(W4_SQL, [streamRows]).cursor(1000)) {
            rows += batch.length;
            sink += batch.length;
          }
          return rows;
        },
        close,
      };
  }
};

type PgsaPath =
  | 'builder'
  | 'sql'
  | 'conn-db'
  | 'engine-db'
  | 'engine-db-pool'
  | 'engine-fetch'
  | 'engine-fetchrow'
  | 'transaction'
  | 'session'
  | 'stream';

function pgsa(path: PgsaPath): Factory {
  return async (workload, { url, concurrency, streamRows, pgbouncer }) => {
    const engine = await createEngine<BenchDatabase>({
      connectionString: url,
      minSize: Math.min(concurrency, 16),
      maxSize: concurrency,
      // Through PgBouncer: its defaults (no statement cache, no pipelined path).
      ...(pgbouncer ? { pgbouncer: true } : { pipelineConnections: path === 'engine-db-pool' ? 0 : 1 }),
    });
    const close = async () => {
      await engine.close();
      await engine.waitClosed();
    };
    const db = engine.db;
    if (workload === 'W1') {
      const run = {
        builder: async () => {
          await using conn = await engine.acquire();
          const query = db.selectFrom('bench_items').select(['id', 'name', 'value']).where('id', '=', randomId());
          return (await conn.execute(query)).fetchAll().length;
        },
        sql: async () => {
          await using conn = await engine.acquire();
          return (await conn.execute(W1_SQL, [randomId()])).fetchAll().length;
        },
        'conn-db': async () => {
          await using conn = await engine.acquire();
          return (
            await conn.db.selectFrom('bench_items').select(['id', 'name', 'value']).where('id', '=', randomId()).execute()
          ).length;
        },
        'engine-db': async () =>
          (await db.selectFrom('bench_items').select(['id', 'name', 'value']).where('id', '=', randomId()).execute())
            .length,
        // asyncpg's pool.fetch / pool.fetchrow (issue 12): the same builder as engine-db, and raw SQL.
        'engine-fetch': async () =>
          (await engine.fetch(db.selectFrom('bench_items').select(['id', 'name', 'value']).where('id', '=', randomId())))
            .length,
        'engine-fetchrow': async () => ((await engine.fetchRow(W1_SQL, [randomId()])) === null ? 0 : 1),
        // What the request middleware does per request: a context, its session (BEGIN on the
        // first query), COMMIT at the end, the connection released. Raw SQL, as pgsa-sql.
        session: () =>
          runInNewContext(async () => {
            const session = await dbSession(engine);
            return (await session.execute(W1_SQL, [randomId()])).fetchAll().length;
          }),
      } as Partial<Record<PgsaPath, () => Promise<number>>>;
      const op = run[path === 'engine-db-pool' ? 'engine-db' : path];
      return op && { op: async () => (sink += await op()), close };
    }
    if (workload === 'W2') {
      const run = {
        builder: async () => {
          await using conn = await engine.acquire();
          const start = randomId(100);
          const query = db
            .selectFrom('bench_items')
            .select(['id', 'name', 'value', 'created'])
            .where('id', '>=', start)
            .where('id', '<', start + 100);
          return sumValues((await conn.execute(query)).fetchAll());
        },
        sql: async () => {
          await using conn = await engine.acquire();
          const start = randomId(100);
          const rows = (await conn.execute<{ value: number }>(W2_SQL, [start, start + 100])).fetchAll();
          return sumValues(rows);
        },
        'engine-db': async () => {
          const start = randomId(100);
          const rows = await db
            .selectFrom('bench_items')
            .select(['id', 'name', 'value', 'created'])
            .where('id', '>=', start)
            .where('id', '<', start + 100)
            .execute();
          return sumValues(rows);
        },
      } as Partial<Record<PgsaPath, () => Promise<number>>>;
      const op = run[path];
      return op && { op: async () => ((sink += await op()), 1), close };
    }
    if (workload === 'W3') {
      const run = {
        sql: async () => {
          await using conn = await engine.acquire();
          await conn.execute('BEGIN');
          await conn.execute(W3_SQL, ['payload']);
          await conn.execute('COMMIT');
        },
        'engine-db': async () => {
          await db.transaction().execute((trx) => trx.insertInto('bench_log').values({ payload: 'payload' }).execute());
        },
        session: () =>
          runInNewContext(async () => {
            const session = await dbSession(engine);
            await session.execute(W3_SQL, ['payload']);
          }),
        transaction: async () => {
          await engine.transaction(async (conn) => {
            await conn.execute(W3_SQL, ['payload']);
          });
        },
      } as Partial<Record<PgsaPath, () => Promise<void>>>;
      const op = run[path];
      return op && { op: async () => (await op(), 1), close };
    }
    if (workload === 'W4' && path === 'stream') {
      const probe = await engine.acquire();
      const streamable = typeof (probe as unknown as { stream?: unknown }).stream === 'function';
      await probe.close();
      if (!streamable) return undefined;
      return {
        op: async () => {
          await using conn = await engine.acquire();
          const stream = (conn as unknown as { stream: StreamFn }).stream(
            kyselySql`select i as id, 'row ' || i as name from generate_series(1, ${streamRows}::int) as i`,
            { batchSize: 1000 },
          );
          let rows = 0;
          for await (const _row of stream) rows++;
          sink += rows;
          return rows;
        },
        close,
      };
    }
    await close();
    return undefined;
  };
}

type StreamFn = (query: unknown, options: { batchSize: number }) => AsyncIterable<unknown>;

/**
 * `factory` through the bench's PgBouncer in transaction mode (`PGSA_BENCH_PGBOUNCER_URL`, set by
 * run.ts when PgBouncer is installed); unsupported without one.
 */
function throughPgBouncer(factory: Factory): Factory {
  return async (workload, context) => {
    const url = process.env.PGSA_BENCH_PGBOUNCER_URL;
    return url ? factory(workload, { ...context, url, pgbouncer: true }) : undefined;
  };
}

/** Every client the bench knows, by the name used on the command line and in the table. */
export const CLIENTS: Record<string, { label: string; factory: Factory }> = {
  pg: { label: 'pg Pool (unnamed)', factory: pgPlain },
  'pg-named': { label: 'pg Pool (named prepared)', factory: pgNamed },
  kysely: { label: 'Kysely + PostgresDialect', factory: kysely },
  postgresjs: { label: 'postgres.js', factory: postgresJs },
  'pgsa-builder': { label: 'pgsa conn.execute(builder)', factory: pgsa('builder') },
  'pgsa-sql': { label: 'pgsa conn.execute(sql, params)', factory: pgsa('sql') },
  'pgsa-conn-db': { label: 'pgsa conn.db…execute()', factory: pgsa('conn-db') },
  'pgsa-engine-db': { label: 'pgsa engine.db (pipelined)', factory: pgsa('engine-db') },
  'pgsa-engine-db-pool': { label: 'pgsa engine.db (pipeline off)', factory: pgsa('engine-db-pool') },
  'pgsa-engine-fetch': { label: 'pgsa engine.fetch(builder) (pipelined)', factory: pgsa('engine-fetch') },
  'pgsa-engine-fetchrow': { label: 'pgsa engine.fetchRow(sql) (pipelined)', factory: pgsa('engine-fetchrow') },
  'pgsa-transaction': { label: 'pgsa engine.transaction', factory: pgsa('transaction') },
  'pgsa-session': { label: 'pgsa request session (runInNewContext + dbSession)', factory: pgsa('session') },
  'pgsa-stream': { label: 'pgsa conn.stream', factory: pgsa('stream') },
  'pg-pgbouncer': { label: 'pg Pool (unnamed) through PgBouncer', factory: throughPgBouncer(pgPlain) },
  'pgsa-sql-pgbouncer': {
    label: 'pgsa conn.execute(sql, params) through PgBouncer (pgbouncer: true)',
    factory: throughPgBouncer(pgsa('sql')),
  },
  'pgsa-engine-db-pgbouncer': {
    label: 'pgsa engine.db through PgBouncer (pgbouncer: true)',
    factory: throughPgBouncer(pgsa('engine-db')),
  },
};
