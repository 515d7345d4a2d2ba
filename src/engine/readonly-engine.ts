import type { Kysely } from 'kysely';
import type pg from 'pg';
import type { SAConnection } from '../connection/sa-connection.js';
import type { Executable, ResultRow } from '../connection/executable.js';
import {
  batchSizeOf,
  type ExecuteOptions,
  statementArguments,
  type StreamOptions,
} from '../connection/stream-options.js';
import {
  type Executor,
  type FetchedValue,
  type FetchValOptions,
  fetchAllOf,
  fetchRowOf,
  fetchValOf,
} from '../connection/fetch-calls.js';
import { compileStatement } from '../connection/compile-statement.js';
import { createKysely } from '../dialect/create-kysely.js';
import { PoolHost } from '../dialect/pool-host.js';
import { InterfaceError } from '../errors/pgsa-error.js';
import { OperationalError, PoolTimeoutError, QueryCanceledError } from '../errors/database-error.js';
import type { ResultProxy } from '../result/result-proxy.js';
import type { RowProxy } from '../result/row-shape.js';
import type { RowStream } from '../result/row-stream.js';
import type { ShapeCache } from '../result/shape-cache.js';
import { compiledRowStream } from '../result/compiled-row-stream.js';
import type { CursorBatch } from '../protocol/stream-cursor.js';
import { type ExecutingEngine, engineExecute } from './engine-execute.js';
import { type EngineTransactionOptions, runEngineTransaction } from '../transaction/run-engine-transaction.js';
import type { TransactionCallback } from '../transaction/run-in-transaction.js';
import type { ReadTarget, Replica, Replicas, ReplicaStats } from './replicas.js';

/** Where one read goes: a replica (counted on it) or the primary (counted as a fallback). */
type Route<DB> = { readonly target: ReadTarget<DB>; readonly replica: Replica<DB> | undefined };

/**
 * `engine.readonly`: the read side of an engine, on its replicas (the `replicas` option). Each
 * statement or `acquire()` goes to the least busy usable replica — reachable, and within
 * `maxLagMs` at its last check —; when none is usable it goes to the primary, or fails with
 * `ReplicaUnavailableError` under `replicaFallback: 'fail'`. A replica found unreachable on
 * the way (refused, reset, shut down) is skipped (back-off) and the statement or `acquire()`
 * runs on the next one.
 *
 * Replicas are hot standbys: a write sent here fails there with `ReadOnlySqlTransactionError`
 * (25006). When a read falls back to the primary nothing refuses a write: use
 * `dbSession(engine, { readOnly: true })` for reads enforced as `READ ONLY` everywhere.
 * Consecutive reads may hit different replicas, each with its own lag: read your own writes
 * through the engine itself.
 *
 * @example
 * ```ts
 * const engine = await createEngine<Database>({
 *   connectionString: 'postgres://app:secret@primary/app',
 *   replicas: ['postgres://replica-1/app', 'postgres://replica-2/app'],
 *   maxLagMs: 5000,
 * });
 * const users = await engine.readonly.db.selectFrom('users').selectAll().execute(); // a replica
 * await engine.db.insertInto('users').values({ name: 'ann' }).execute();           // the primary
 * ```
 */
export class ReadonlyEngine<DB = Record<string, never>> {
  readonly #primary: ReadTarget<DB>;
  readonly #replicas: Replicas<DB>;
  readonly #shapes: ShapeCache;
  #db: Kysely<DB> | undefined;

  /** @internal Use `engine.readonly`. */
  constructor(primary: ReadTarget<DB>, replicas: Replicas<DB>, shapes: ShapeCache) {
    this.#primary = primary;
    this.#replicas = replicas;
    this.#shapes = shapes;
  }

  /** The replicas' connection strings, passwords masked, in the order given. */
  get replicas(): readonly string[] {
    return this.#replicas.dsns;
  }

  /** True once the engine was closed. */
  get closed(): boolean {
    return this.#primary.closed;
  }

  /** @internal The result shapes of the engine, shared. */
  get shapes(): ShapeCache {
    return this.#shapes;
  }

  /**
   * A `Kysely<DB>` whose queries run on a replica: each query (or Kysely transaction) picks
   * one, as `execute` does.
   *
   * @example
   * ```ts
   * const n = await engine.readonly.db.selectFrom('users').select((eb) => eb.fn.countAll().as('n')).executeTakeFirst();
   * ```
   */
  get db(): Kysely<DB> {
    this.#db ??= createKysely<DB>(
      new PoolHost<DB>(
        () => this.acquire(),
        (sql, parameters) => this.queryAutocommit(sql, parameters, 'object'),
      ),
    );
    return this.#db;
  }

  /** Per-replica figures: status, measured lag, reads served, pool. */
  stats(): ReplicaStats[] {
    return this.#replicas.stats();
  }

  /**
   * Takes a connection from a usable replica's pool (the least busy one), trying the next
   * replica when one cannot be reached, then the primary unless `replicaFallback` is
   * `'fail'`. Release it as any connection (`conn.close()`, `await using`).
   *
   * @throws InterfaceError when the engine is closed; ReplicaUnavailableError when no replica
   *   is usable and falling back is off; PoolTimeoutError when the chosen pool stays full for
   *   `acquireTimeoutMs`; OperationalError when the primary cannot be reached either.
   * @example
   * ```ts
   * await using conn = await engine.readonly.acquire();
   * await conn.scalar('select pg_is_in_recovery()'); // true on a replica
   * ```
   */
  acquire(): Promise<SAConnection<DB>> {
    return this.#read((route) => this.#acquireOn(route));
  }

  /**
   * Runs `fn(conn)` in a `READ ONLY` transaction on a connection from `acquire()` (a replica
   * when one is usable), as `engine.transaction`: several reads see one snapshot of one server
   * (`isolationLevel: 'repeatable read'`). `retries` re-runs `fn` after a 40001 — on a hot
   * standby also a query cancelled by a conflict with recovery.
   *
   * @throws InterfaceError for `readOnly: false`; as `engine.transaction` and `acquire()`.
   * @example
   * ```ts
   * const [users, orders] = await engine.readonly.transaction(
   *   async (conn) => [await conn.scalar('select count(*) from users'), await conn.scalar('select count(*) from orders')],
   *   { isolationLevel: 'repeatable read', retries: 2 },
   * );
   * ```
   */
  async transaction<T>(fn: TransactionCallback<DB, T>, options?: EngineTransactionOptions): Promise<T> {
    if (options?.readOnly === false) {
      throw new InterfaceError('cannot run a read-write transaction on engine.readonly');
    }
    return runEngineTransaction(this, fn, { ...options, readOnly: true });
  }

  /**
   * Returns a connection from `acquire()` (same as `conn.close()`).
   *
   * @throws InterfaceError when it was already released.
   */
  async release(conn: SAConnection<DB>): Promise<void> {
    if (conn.closed) throw new InterfaceError('cannot release: the connection was already released');
    await conn.close();
  }

  /**
   * Runs one statement outside any transaction on the pipelined path of the replica it picks,
   * or returns `undefined` (nothing sent) when that path cannot take it. When the replica turns
   * out unreachable, it is marked down and the statement runs on a connection from `acquire()`
   * (the next replica, or the primary).
   *
   * @internal
   */
  queryAutocommit(
    sql: string,
    parameters: readonly unknown[],
    rowMode: 'array' | 'object',
  ): Promise<pg.QueryResult> | undefined {
    const route = this.#route();
    const piped = route.target.queryAutocommit(sql, parameters, rowMode);
    if (piped === undefined) return undefined;
    this.#count(route);
    const replica = route.replica;
    if (replica === undefined) return piped;
    return piped.catch(async (error: unknown) => {
      if (route.target.closed || !isConnectionLoss(error)) throw error;
      this.#replicas.markDown(replica, error);
      await using conn = await this.acquire();
      return await conn.query(sql, parameters, rowMode);
    });
  }

  /**
   * Executes one statement on a replica and returns its result, as `engine.execute`.
   *
   * @throws ReadOnlySqlTransactionError for a write on a replica; as `acquire()` and
   *   `engine.execute`.
   * @example
   * ```ts
   * const result = await engine.readonly.execute('select id, name from users where id = $1', [1]);
   * ```
   */
  execute<Row>(query: Executable<Row>, options?: ExecuteOptions): Promise<ResultProxy<ResultRow<Row>>>;
  execute<Row = Record<string, unknown>>(query: string, params?: readonly unknown[], options?: ExecuteOptions): Promise<ResultProxy<Row>>;
  execute<Row = Record<string, unknown>>(query: string, options: ExecuteOptions): Promise<ResultProxy<Row>>;
  execute(query: Executable<unknown> | string, second?: readonly unknown[] | ExecuteOptions, third?: ExecuteOptions): Promise<ResultProxy<unknown>> {
    return this.#read((route) => engineExecute(this.#executingOn(route), query, second, third));
  }

  /**
   * Every row of a statement run on a replica, as `engine.fetch`.
   *
   * @throws as `execute`.
   * @example
   * ```ts
   * const users = await engine.readonly.fetch(engine.readonly.db.selectFrom('users').select(['id', 'name']));
   * ```
   */
  fetch<Row>(query: Executable<Row>, options?: ExecuteOptions): Promise<RowProxy<ResultRow<Row>>[]>;
  fetch<Row = Record<string, unknown>>(query: string, params?: readonly unknown[], options?: ExecuteOptions): Promise<RowProxy<Row>[]>;
  fetch<Row = Record<string, unknown>>(query: string, options: ExecuteOptions): Promise<RowProxy<Row>[]>;
  fetch(query: Executable<unknown> | string, second?: readonly unknown[] | ExecuteOptions, third?: ExecuteOptions): Promise<unknown> {
    return fetchAllOf(this as Executor, query, second, third);
  }

  /**
   * The first row of a statement run on a replica, or `null`, as `engine.fetchRow`.
   *
   * @throws as `execute`.
   * @example
   * ```ts
   * const user = await engine.readonly.fetchRow('select id, name from users where id = $1', [1]);
   * ```
   */
  fetchRow<Row>(query: Executable<Row>, options?: ExecuteOptions): Promise<RowProxy<ResultRow<Row>> | null>;
  fetchRow<Row = Record<string, unknown>>(query: string, params?: readonly unknown[], options?: ExecuteOptions): Promise<RowProxy<Row> | null>;
  fetchRow<Row = Record<string, unknown>>(query: string, options: ExecuteOptions): Promise<RowProxy<Row> | null>;
  fetchRow(query: Executable<unknown> | string, second?: readonly unknown[] | ExecuteOptions, third?: ExecuteOptions): Promise<unknown> {
    return fetchRowOf(this as Executor, query, second, third);
  }

  /**
   * One value of the first row of a statement run on a replica, or `null`, as
   * `engine.fetchVal`.
   *
   * @throws InterfaceError when the result has no such column; otherwise as `execute`.
   * @example
   * ```ts
   * const n = await engine.readonly.fetchVal('select count(*)::int from users');
   * ```
   */
  fetchVal<Row, Column extends keyof ResultRow<Row> & string = never>(query: Executable<Row>, options?: FetchValOptions<Column>): Promise<FetchedValue<ResultRow<Row>, Column>>;
  fetchVal(query: string, params?: readonly unknown[], options?: FetchValOptions): Promise<unknown>;
  fetchVal(query: string, options: FetchValOptions): Promise<unknown>;
  fetchVal(query: Executable<unknown> | string, second?: readonly unknown[] | FetchValOptions, third?: FetchValOptions): Promise<unknown> {
    return fetchValOf(this as Executor, query, second, third);
  }

  /**
   * Streams the rows of a statement from a replica through a server-side cursor, as
   * `conn.stream`, on a connection acquired when iteration starts and released when it ends
   * (also when the loop is left early).
   *
   * @throws InterfaceError (at once) for arguments of the wrong shape; from the loop, as
   *   `conn.stream` and `acquire()`.
   * @example
   * ```ts
   * for await (const row of engine.readonly.stream('select * from events', { batchSize: 500 })) console.log(row);
   * ```
   */
  stream<Row>(query: Executable<Row>, options?: StreamOptions): RowStream<ResultRow<Row>>;
  stream<Row = Record<string, unknown>>(query: string, params?: readonly unknown[], options?: StreamOptions): RowStream<Row>;
  stream<Row = Record<string, unknown>>(query: string, options: StreamOptions): RowStream<Row>;
  stream<Row>(query: Executable<Row> | string, paramsOrOptions?: readonly unknown[] | StreamOptions, options?: StreamOptions): RowStream<Row> {
    const args = statementArguments(paramsOrOptions, options);
    const batchSize = batchSizeOf(args.options);
    const compiled = compileStatement(query, args.params, this.db);
    return compiledRowStream<Row>(
      compiled,
      () => this.#cursorBatches(compiled.sql, compiled.parameters, batchSize),
      this.#shapes,
    );
  }

  async *#cursorBatches(
    sql: string,
    parameters: readonly unknown[],
    batchSize: number,
  ): AsyncGenerator<CursorBatch, void, undefined> {
    await using conn = await this.acquire();
    yield* conn.cursorBatches(sql, parameters, 'array', batchSize);
  }

  /**
   * Runs `run` on a route; when a replica turns out unreachable (refused, reset, shut down —
   * nothing ran there, or a read-only statement was cut), it is marked down and `run` goes to
   * the next usable replica, then to the primary (or the fallback error).
   */
  async #read<T>(run: (route: Route<DB>) => Promise<T>): Promise<T> {
    const tried = new Set<Replica<DB>>();
    for (;;) {
      const route = this.#route(tried);
      try {
        return await run(route);
      } catch (error) {
        if (route.replica === undefined || route.target.closed || !isConnectionLoss(error)) throw error;
        this.#replicas.markDown(route.replica, error);
        tried.add(route.replica);
      }
    }
  }

  async #acquireOn(route: Route<DB>): Promise<SAConnection<DB>> {
    const conn = await route.target.acquire();
    this.#count(route);
    return conn;
  }

  /** What `engineExecute` needs, bound to one route. */
  #executingOn(route: Route<DB>): ExecutingEngine {
    return {
      db: this.db as Kysely<unknown>,
      shapes: this.#shapes,
      queryAutocommit: (sql, parameters, rowMode) => {
        const piped = route.target.queryAutocommit(sql, parameters, rowMode);
        if (piped !== undefined) this.#count(route);
        return piped;
      },
      acquire: () => this.#acquireOn(route) as unknown as ReturnType<ExecutingEngine['acquire']>,
    };
  }

  /** A usable replica not in `tried`, else the primary (or the fallback error). */
  #route(tried?: ReadonlySet<Replica<DB>>): Route<DB> {
    if (this.#primary.closed) throw new InterfaceError('cannot read: the engine is closed');
    const replica = this.#replicas.pick(tried);
    if (replica !== undefined) return { target: replica.target, replica };
    if (this.#replicas.fallback === 'fail') throw this.#replicas.unavailable();
    return { target: this.#primary, replica: undefined };
  }

  /** Counts a read on the replica that served it, or as a fallback. */
  #count(route: Route<DB>): void {
    if (route.replica === undefined) this.#replicas.fellBack();
    else this.#replicas.served(route.replica);
  }
}

/**
 * The server could not be reached or dropped the connection: refused, reset, timed out (no
 * SQLSTATE), a connection-class (08) error, or the server shutting down or starting up (57P01,
 * 57P02, 57P03). Not a full pool, a cancelled statement or anything the statement itself caused.
 */
function isConnectionLoss(error: unknown): boolean {
  if (!(error instanceof OperationalError)) return false;
  if (error instanceof PoolTimeoutError || error instanceof QueryCanceledError) return false;
  const code = error.sqlstate;
  return code === undefined || code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03';
}
