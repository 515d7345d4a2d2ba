/**
 * One implementation of each workload per client. A client's `op(worker)` runs one operation
 * and returns how many units it completed (1 statement/transaction, or rows for W4). Every
 * client selects and touches all five columns of `bench_users` (see bench-sql.ts).
 */
import { Kysely, PostgresDialect, sql as kyselySql } from 'kysely';
import pg from 'pg';
import Cursor from 'pg-cursor';
import postgres from 'postgres';
import { createEngine, dbSession, runInNewContext } from 'pgsa';
import {
  type BenchDatabase,
  COLUMNS,
  logValues,
  randomId,
  touchRows,
  type UserRow,
  W1_SQL,
  W2_SQL,
  W3_SQL,
  W4_SQL,
} from './bench-sql.js';

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

let sink = 0;
/** Keeps results alive so the engine cannot skip materializing them. */
export function consumed(): number {
  return sink;
}

const touch = (rows: readonly unknown[]): number => touchRows(rows as readonly UserRow[]);

/** Raw node-postgres through a Pool (`pool.query`), unnamed statements (or named: `pg-named`). */
function pgPool(named: boolean): Factory {
  return async (workload, { url, concurrency, streamRows }) => {
    const pool = new pg.Pool({ connectionString: url, max: concurrency });
    const close = () => pool.end();
    const w1 = (id: number) => (named ? { name: 'w1', text: W1_SQL, values: [id] } : { text: W1_SQL, values: [id] });
    switch (workload) {
      case 'W1':
        return { op: async () => ((sink += touch((await pool.query(w1(randomId()))).rows)), 1), close };
      case 'W2':
        return {
          op: async () => {
            const start = randomId(100);
            const values = [start, start + 100];
            sink += touch((await pool.query(named ? { name: 'w2', text: W2_SQL, values } : { text: W2_SQL, values })).rows);
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
              const values = logValues();
              await client.query(named ? { name: 'w3', text: W3_SQL, values } : { text: W3_SQL, values });
              await client.query('COMMIT');
            } finally {
              client.release();
            }
            return 1;
          },
          close,
        };
      case 'W4':
        if (named) return undefined;
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
}

/** `sql` with its `$n` placeholders replaced by `values` as literals (what pg's simple protocol needs). */
export function inlineValues(sql: string, values: readonly (number | string | Date)[], client: pg.PoolClient): string {
  return sql.replace(/\$(\d+)/g, (_, n: string) => {
    const value = values[Number(n) - 1] as number | string | Date;
    return typeof value === 'number' ? String(value) : client.escapeLiteral(value instanceof Date ? value.toISOString() : value);
  });
}

/**
 * The round trips of a request session written by hand on raw pg: a pooled client, `BEGIN` in
 * the same write as the statement (one simple-protocol string, values as literals: pg's API
 * cannot send a BEGIN with a parameterized statement), `COMMIT`, release. Two round trips per
 * request against `pool.query`'s one: the ceiling for any client that runs each request in its
 * own transaction and commits before answering (what pgsa's session does).
 *
 * @returns the rows of `statement(client)`.
 */
export async function handSession(pool: pg.Pool, statement: (client: pg.PoolClient) => string): Promise<UserRow[]> {
  const client = await pool.connect();
  try {
    const results = (await client.query(`BEGIN; ${statement(client)}`)) as unknown as pg.QueryResult<UserRow>[];
    await client.query('COMMIT');
    return (results[1] as pg.QueryResult<UserRow>).rows;
  } finally {
    client.release();
  }
}

const pgHandSession: Factory = async (workload, { url, concurrency }) => {
  const pool = new pg.Pool({ connectionString: url, max: concurrency });
  const close = () => pool.end();
  const session = async (statement: (client: pg.PoolClient) => string) => touch(await handSession(pool, statement));
  switch (workload) {
    case 'W1':
      return { op: async () => ((sink += await session((client) => inlineValues(W1_SQL, [randomId()], client))), 1), close };
    case 'W2':
      return {
        op: async () => {
          const start = randomId(100);
          sink += await session((client) => inlineValues(W2_SQL, [start, start + 100], client));
          return 1;
        },
        close,
      };
    case 'W3':
      return { op: async () => (await session((client) => inlineValues(W3_SQL, logValues(), client)), 1), close };
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
        op: async () => (
          (sink += touch(await db.selectFrom('bench_users').select(COLUMNS).where('id', '=', randomId()).execute())), 1
        ),
        close,
      };
    case 'W2':
      return {
        op: async () => {
          const start = randomId(100);
          sink += touch(
            await db.selectFrom('bench_users').select(COLUMNS).where('id', '>=', start).where('id', '<', start + 100).execute(),
          );
          return 1;
        },
        close,
      };
    case 'W3':
      return {
        op: async () => {
          await db.transaction().execute((trx) => trx.insertInto('bench_log').values(logRow()).execute());
          return 1;
        },
        close,
      };
    default:
      return undefined;
  }
};

function logRow() {
  const [user_id, name, email, created_at, amount] = logValues();
  return { user_id, name, email, created_at, amount };
}

/** postgres.js (prepares statements automatically). */
const postgresJs: Factory = async (workload, { url, concurrency, streamRows }) => {
  const sql = postgres(url, { max: concurrency, onnotice: () => {} });
  const close = () => sql.end();
  switch (workload) {
    case 'W1':
      return {
        op: async () => (
          (sink += touch(await sql`select id, name, email, created_at, balance from bench_users where id = ${randomId()}`)), 1
        ),
        close,
      };
    case 'W2':
      return {
        op: async () => {
          const start = randomId(100);
          sink += touch(await sql`
            select id, name, email, created_at, balance from bench_users where id >= ${start} and id < ${start + 100}`);
          return 1;
        },
        close,
      };
    case 'W3':
      return {
        op: async () => {
          const [userId, name, email, createdAt, amount] = logValues();
          await sql.begin(
            (tx) => tx`insert into bench_log (user_id, name, email, created_at, amount)
              values (${userId}, ${name}, ${email}, ${createdAt}, ${amount})`,
          );
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
  | 'conn-begin'
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
    if (workload === 'W1' || workload === 'W2') {
      // W1: one row by id; W2: 100 rows by range. Same query shapes on every path.
      const range = (): [number, number] => {
        const start = workload === 'W1' ? randomId() : randomId(100);
        return [start, workload === 'W1' ? start + 1 : start + 100];
      };
      const text = W2_SQL;
      const builder = ([from, to]: [number, number]) =>
        workload === 'W1'
          ? db.selectFrom('bench_users').select(COLUMNS).where('id', '=', from)
          : db.selectFrom('bench_users').select(COLUMNS).where('id', '>=', from).where('id', '<', to);
      const sqlOf = workload === 'W1' ? W1_SQL : text;
      const paramsOf = ([from, to]: [number, number]) => (workload === 'W1' ? [from] : [from, to]);
      const run = {
        builder: async () => {
          await using conn = await engine.acquire();
          return touch((await conn.execute(builder(range()))).fetchAll());
        },
        sql: async () => {
          await using conn = await engine.acquire();
          return touch((await conn.execute(sqlOf, paramsOf(range()))).fetchAll());
        },
        'conn-db': async () => {
          await using conn = await engine.acquire();
          const [from, to] = range();
          const query =
            workload === 'W1'
              ? conn.db.selectFrom('bench_users').select(COLUMNS).where('id', '=', from)
              : conn.db.selectFrom('bench_users').select(COLUMNS).where('id', '>=', from).where('id', '<', to);
          return touch(await query.execute());
        },
        'engine-db': async () => touch(await builder(range()).execute()),
        // asyncpg's pool.fetch / pool.fetchrow (issue 12): the same builder as engine-db, and raw SQL.
        'engine-fetch': async () => touch(await engine.fetch(builder(range()))),
        'engine-fetchrow': async () => {
          if (workload !== 'W1') return touch(await engine.fetch(sqlOf, paramsOf(range())));
          const row = await engine.fetchRow(W1_SQL, paramsOf(range()));
          return row === null ? 0 : touch([row]);
        },
        // What the request middleware does per request: a context, its session (BEGIN with the
        // first query), COMMIT at the end, the connection released. Raw SQL, as pgsa-sql.
        session: () =>
          runInNewContext(async () => {
            const session = await dbSession(engine);
            return touch((await session.execute(sqlOf, paramsOf(range()))).fetchAll());
          }),
      } as Partial<Record<PgsaPath, () => Promise<number>>>;
      const op = run[path === 'engine-db-pool' ? 'engine-db' : path];
      return op && { op: async () => ((sink += await op()), 1), close };
    }
    if (workload === 'W3') {
      const run = {
        sql: async () => {
          await using conn = await engine.acquire();
          await conn.execute('BEGIN');
          await conn.execute(W3_SQL, logValues());
          await conn.execute('COMMIT');
        },
        'conn-begin': async () => {
          await using conn = await engine.acquire();
          const tx = await conn.begin();
          await conn.execute(W3_SQL, logValues());
          await tx.commit();
        },
        'engine-db': async () => {
          await db.transaction().execute((trx) => trx.insertInto('bench_log').values(logRow()).execute());
        },
        session: () =>
          runInNewContext(async () => {
            const session = await dbSession(engine);
            await session.execute(W3_SQL, logValues());
          }),
        transaction: async () => {
          await engine.transaction(async (conn) => {
            await conn.execute(W3_SQL, logValues());
          });
        },
      } as Partial<Record<PgsaPath, () => Promise<void>>>;
      const op = run[path];
      return op && { op: async () => (await op(), 1), close };
    }
    if (workload === 'W4' && path === 'stream') {
      return {
        op: async () => {
          await using conn = await engine.acquire();
          const stream = conn.stream(
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
  pg: { label: 'pg Pool (unnamed)', factory: pgPool(false) },
  'pg-named': { label: 'pg Pool (named prepared)', factory: pgPool(true) },
  'pg-session': {
    label: "pg Pool by hand: connect + 'BEGIN; …' (one write) + COMMIT + release (2 round trips)",
    factory: pgHandSession,
  },
  kysely: { label: 'Kysely + PostgresDialect', factory: kysely },
  postgresjs: { label: 'postgres.js', factory: postgresJs },
  'pgsa-builder': { label: 'pgsa acquire + conn.execute(builder)', factory: pgsa('builder') },
  'pgsa-sql': { label: 'pgsa acquire + conn.execute(sql, params)', factory: pgsa('sql') },
  'pgsa-conn-db': { label: 'pgsa acquire + conn.db…execute()', factory: pgsa('conn-db') },
  'pgsa-engine-db': { label: 'pgsa engine.db (pipelined)', factory: pgsa('engine-db') },
  'pgsa-engine-db-pool': { label: 'pgsa engine.db (pipeline off)', factory: pgsa('engine-db-pool') },
  'pgsa-engine-fetch': { label: 'pgsa engine.fetch(builder) (pipelined)', factory: pgsa('engine-fetch') },
  'pgsa-engine-fetchrow': { label: 'pgsa engine.fetchRow/fetch(sql) (pipelined)', factory: pgsa('engine-fetchrow') },
  'pgsa-conn-begin': { label: 'pgsa acquire + conn.begin() + commit()', factory: pgsa('conn-begin') },
  'pgsa-transaction': { label: 'pgsa engine.transaction', factory: pgsa('transaction') },
  'pgsa-session': { label: 'pgsa request session (runInNewContext + dbSession)', factory: pgsa('session') },
  'pgsa-stream': { label: 'pgsa conn.stream', factory: pgsa('stream') },
  'pg-pgbouncer': { label: 'pg Pool (unnamed) through PgBouncer', factory: throughPgBouncer(pgPool(false)) },
  'pgsa-sql-pgbouncer': {
    label: 'pgsa conn.execute(sql, params) through PgBouncer (pgbouncer: true)',
    factory: throughPgBouncer(pgsa('sql')),
  },
  'pgsa-engine-db-pgbouncer': {
    label: 'pgsa engine.db through PgBouncer (pgbouncer: true)',
    factory: throughPgBouncer(pgsa('engine-db')),
  },
};
