import type { NoSchema } from '../sql/no-schema.js';
import { inspect } from 'node:util';
import type { Kysely } from 'kysely';
import pg from 'pg';
import { SAConnection } from '../connection/sa-connection.js';
import type { ExecuteOptions } from '../connection/stream-options.js';
import { type CopyFromOptions, type CopyToOptions, copyFrom } from '../connection/bulk-writes.js';
import type { CopyData, CopyRecords } from '../protocol/copy-in-query.js';
import { copyStatement } from '../sql/copy-sql.js';
import { NoSuitableHostError } from '../errors/no-suitable-host-error.js';
import { HostSelector, withNote } from './host-selection.js';
import { type ClientClass, withHostSelection } from './host-client.js';
import { ConnectionTarget } from '../dialect/connection-target.js';
import { createKysely } from '../dialect/create-kysely.js';
import { PgsaDialect } from '../dialect/pgsa-dialect.js';
import { PgsaDriver } from '../dialect/pgsa-driver.js';
import { PoolHost } from '../dialect/pool-host.js';
import { OperationalError, PoolTimeoutError } from '../errors/database-error.js';
import { InterfaceError } from '../errors/pgsa-error.js';
import { mask, translateError } from '../errors/translate-error.js';
import { ShapeCache } from '../result/shape-cache.js';
import { type EngineTransactionOptions, runEngineTransaction } from '../transaction/run-engine-transaction.js';
import type { TransactionCallback } from '../transaction/run-in-transaction.js';
import { describeTarget, maskedDsn, type ResolvedConnection } from './dsn.js';
import type { ResolvedEngineOptions } from './engine-options.js';
import { PipelinePool } from './pipeline-pool.js';
import { ConnectionTypes } from '../codecs/connection-types.js';
import { parseRowsRaw } from '../protocol/pg-internals.js';
import { OpenClients } from './open-clients.js';
import { type CheckHost, health, type HealthReport, ping, type PingOptions } from './health.js';
import { connectWithRetries, retriesNote } from './connect-retries.js';
import { QueryMetrics } from '../connection/query-metrics.js';
import { PoolEvents } from './pool-events.js';
import { HeldConnections } from './held-connections.js';
import { AcquireDeadlines } from './acquire-deadlines.js';
import { isPipelineSafe } from './is-pipeline-safe.js';
import { ListenerConnection } from '../notify/listener-connection.js';
import type { NotificationsOptions } from '../notify/listener-options.js';
import { resolveNotificationsOptions } from '../notify/listener-options.js';
import {
  checkChannel,
  checkNotifyArguments,
  type Notification,
  refuseBehindPgBouncer,
} from '../notify/notification.js';
import { pump, Subscription } from '../notify/subscription.js';
import { NOTIFY_SQL } from '../sql/notify-sql.js';
import type { RowProxy } from '../result/row-shape.js';
import {
  type Executor,
  type FetchedValue,
  type FetchValOptions,
  fetchAllOf,
  fetchRowOf,
  fetchValOf,
} from '../connection/fetch-calls.js';
import type { Executable, ResultRow } from '../connection/executable.js';
import type { ResultProxy } from '../result/result-proxy.js';
import { type ExecutingEngine, engineExecute } from './engine-execute.js';
import { registerTypeCodec } from '../codecs/register-type-codec.js';
import type { TypeCodec } from '../codecs/type-codec.js';
import { ReadonlyEngine } from './readonly-engine.js';
import { type ReadTarget, type ReplicaPoolStats, replicaEngineOptions, Replicas, type ReplicaStats } from './replicas.js';

/** Live pool figures from {@link Engine.stats}. */
export interface EngineStats extends ReplicaPoolStats {
  /** Each read replica (the `replicas` option): status, measured lag, reads served, pool. */
  readonly replicas: readonly ReplicaStats[];
  /** Reads of `engine.readonly` the primary served because no replica was usable. */
  readonly replicaFallbacks: number;
}

/** What `JSON.stringify(engine)` shows: never the password. */
export interface EngineDescription {
  /** Always `'postgresql'` (aiopg.sa's `engine.name`). */
  readonly name: string;
  /** Always `'pg'` (node-postgres; aiopg.sa's `engine.driver`). */
  readonly driver: string;
  /** The connection string with the password masked. */
  readonly dsn: string;
  /** The `minSize` option. */
  readonly minSize: number;
  /** The `maxSize` option. */
  readonly maxSize: number;
}

type Status = 'open' | 'closed' | 'terminated';

/** First delay before a failed refill is retried; it doubles with every failure in a row. */
const REFILL_FIRST_DELAY_MS = 100;
/** Longest delay between refill attempts while the server stays unreachable. */
const REFILL_MAX_DELAY_MS = 5_000;


/**
 * A pool of connections to one PostgreSQL database plus a Kysely dialect (aiopg.sa's
 * `Engine`). Create it with {@link createEngine}; acquire connections, or build and run queries
 * on the pool through `engine.db`.
 *
 * @example
 * ```ts
 * const engine = await createEngine<Database>(process.env.DATABASE_URL!);
 * await using conn = await engine.acquire();
 * const rows = (await conn.execute(engine.db.selectFrom('users').selectAll())).fetchAll();
 * await engine.close(); await engine.waitClosed();
 * ```
 */
export class Engine<DB = NoSchema> {
  /** Always `'postgresql'`. */
  readonly name = 'postgresql';
  /** Always `'pg'` (node-postgres). */
  readonly driver = 'pg';
  /** The connection string with the password masked: `postgresql://user:***@host:5432/db`. */
  readonly dsn: string;
  /** The Kysely dialect running queries on this engine's pool. */
  readonly dialect: PgsaDialect;
  /** @internal Holds no secret. */
  readonly options: ResolvedEngineOptions;
  /** @internal */
  readonly shapes = new ShapeCache();
  /** What connections are opened with, the password included: never on a public property. */
  readonly #connection: ResolvedConnection;
  readonly #pool: pg.Pool;
  readonly #pipeline: PipelinePool | undefined;
  readonly #target: string;
  readonly #inUse = new HeldConnections<SAConnection<DB>>();
  /** The pool's connected clients, until their sockets close (see `waitClosed`). */
  readonly #openClients = new OpenClients();
  #status: Status = 'open';
  #ended: Promise<void> | undefined;
  #db: Kysely<DB> | undefined;
  #acquires = 0;
  #timeouts = 0;
  /** `acquire()` calls waiting for a client from the pool. */
  #waiting = 0;
  /** Times the waits of `acquire()` (`acquireTimeoutMs`; none when 0). */
  readonly #deadlines: AcquireDeadlines | undefined;
  /** A refill (see #refill) is under way. */
  #refilling = false;
  /** Refills that failed in a row, for the backoff. */
  #refillFailures = 0;
  #refillTimer: ReturnType<typeof setTimeout> | undefined;

  /** @internal Use {@link createEngine}. */
  constructor(
    options: ResolvedEngineOptions,
    connection: ResolvedConnection,
    replicas: readonly ResolvedConnection[] = [],
  ) {
    this.options = options;
    this.#deadlines = options.acquireTimeoutMs > 0 ? new AcquireDeadlines(options.acquireTimeoutMs) : undefined;
    this.#connection = connection;
    this.dsn = maskedDsn(connection);
    this.#target = describeTarget(connection.target, connection.multiHost);
    this.dialect = new PgsaDialect(() => new PgsaDriver(new PoolHost(() => this.acquire())));
    this.#pool = this.#createPool();
    this.#pipeline =
      options.pipelineConnections > 0
        ? new PipelinePool(
            {
              options,
              secret: this.secret,
              metrics: this.metrics,
              createPipelineClient: () => this.#createPipelineClient(),
              prepareClient: (client) => this.#onConnect(client as pg.PoolClient),
              connectError: (error) => this.#acquireError(error),
              hostSelector: this.#hostSelector,
            },
            options.pipelineConnections,
          )
        : undefined;
    this.#poolEvents = new PoolEvents(this.#pool, this.dsn, () => this.#status !== 'open');
    this.#replicas = this.#createReplicas(replicas);
  }

  /**
   * The password, for masking it out of messages. An accessor (not an own property) so that
   * `util.inspect`, `JSON.stringify` and object spreads never see it.
   *
   * @internal
   */
  get secret(): string | undefined {
    return this.#connection.password;
  }

  /** `JSON.stringify(engine)`: what the engine is, the DSN masked; never the password. */
  toJSON(): EngineDescription {
    return {
      name: this.name,
      driver: this.driver,
      dsn: this.dsn,
      minSize: this.minSize,
      maxSize: this.maxSize,
    };
  }

  /** `util.inspect(engine)` / `console.log(engine)`: the masked DSN and the pool figures. */
  [inspect.custom](): string {
    const { size, free, inUse, waiting } = this.stats();
    return (
      `Engine { dsn: '${this.dsn}', status: '${this.#status}', ` +
      `size: ${size}, free: ${free}, inUse: ${inUse}, waiting: ${waiting} }`
    );
  }

  /** Connections opened up front and kept open. */
  get minSize(): number {
    return this.options.minSize;
  }

  /** Most connections open at once. */
  get maxSize(): number {
    return this.options.maxSize;
  }

  /** Open connections, used and free. */
  get size(): number {
    return this.#pool.totalCount;
  }

  /** Open connections nobody holds. */
  get freeSize(): number {
    return this.#pool.idleCount;
  }

  /** True once `close()` or `terminate()` was called. */
  get closed(): boolean {
    return this.#status !== 'open';
  }

  /**
   * A `Kysely<DB>` for building queries; executing through it runs each query (or Kysely
   * transaction) on a connection from the pool.
   *
   * @example
   * ```ts
   * const users = await engine.db.selectFrom('users').selectAll().execute();
   * ```
   */
  get db(): Kysely<DB> {
    this.#db ??= this.#createDb();
    return this.#db;
  }

  /**
   * Runs one statement outside any transaction on the pipelined connections, or returns
   * `undefined` (nothing sent) when the pipeline is off, closed, busy with a slow statement, or
   * the statement could change session state (then the caller uses a pooled connection).
   *
   * @internal
   */
  queryAutocommit(
    sql: string,
    parameters: readonly unknown[],
    rowMode: 'array' | 'object',
  ): Promise<pg.QueryResult> | undefined {
    if (this.#pipeline === undefined || this.#status !== 'open') return undefined;
    if (!isPipelineSafe(sql, parameters.length)) return undefined;
    return this.#pipeline.tryQuery(sql, parameters, rowMode);
  }

  /** Live pool figures. */
  stats(): EngineStats {
    return {
      size: this.#pool.totalCount,
      free: this.#pool.idleCount,
      inUse: this.#inUse.size,
      waiting: this.#waiting,
      minSize: this.options.minSize,
      maxSize: this.options.maxSize,
      acquires: this.#acquires,
      timeouts: this.#timeouts,
      queries: this.metrics.queries,
      errors: this.metrics.errors,
      latency: this.metrics.latency(),
      replicas: this.#replicas.stats(),
      replicaFallbacks: this.#replicas.fallbacks,
    };
  }

  /**
   * Takes a connection from the pool, opening one when none is free and the pool is below
   * `maxSize`; otherwise waits (first come, first served) at most `acquireTimeoutMs`.
   *
   * @throws InterfaceError when the engine is closed; PoolTimeoutError when the wait times out;
   *   OperationalError when a new connection cannot be opened.
   * @example
   * ```ts
   * await using conn = await engine.acquire(); // released at the end of the scope
   * ```
   */
  acquire(): Promise<SAConnection<DB>> {
    try {
      this.#guardOpen('acquire');
    } catch (error) {
      return Promise.reject(error);
    }
    this.#acquires++;
    const started = performance.now();
    this.#poolEvents.acquire(this.#waiting);
    return this.#checkout(started);
  }

  /**
   * Acquires a connection, runs `fn(conn)` in a transaction, commits on success or rolls back
   * and rethrows on error, and releases the connection. With `retries`, a
   * `SerializationFailureError` (40001) or `DeadlockDetectedError` (40P01) re-runs the whole
   * `fn` in a new transaction on a fresh connection, after an exponential, jittered backoff;
   * nothing else is retried, and a nested unit is never retried alone. The error finally
   * thrown carries `attempts`, the number of times `fn` ran.
   *
   * @throws TypeError for invalid options, before anything is acquired; whatever `fn` throws;
   *   the commit's error.
   * @example
   * ```ts
   * const total = await engine.transaction(async (conn) => {
   *   await conn.execute('update users set name = name || $1 where id = 1', ['!']);
   *   return conn.scalar('select count(*)::int from users');
   * }, { isolationLevel: 'serializable', retries: 3, backoff: { initialMs: 10, maxMs: 200 } });
   * ```
   */
  transaction<T>(fn: TransactionCallback<DB, T>, options?: EngineTransactionOptions): Promise<T> {
    return runEngineTransaction(this, fn, options);
  }

  /**
   * `conn.executeMany` on a connection of the pool, released afterwards: one statement run
   * once per parameter set in a single exchange, atomically (all sets or none). Resolves with
   * the total number of rows affected.
   *
   * @throws as {@link SAConnection.executeMany}, and as `acquire()`.
   * @example
   * ```ts
   * await engine.executeMany('insert into users (name) values ($1)', [['ann'], ['bob']]); // 2
   * ```
   */
  async executeMany(
    sql: string,
    parameterSets: readonly (readonly unknown[])[],
    options?: ExecuteOptions,
  ): Promise<number> {
    await using conn = await this.acquire();
    return await conn.executeMany(sql, parameterSets, options);
  }

  /**
   * `conn.copyFrom` on a connection of the pool, released afterwards: bulk-loads rows (or raw
   * COPY data) with `COPY … FROM STDIN`. Resolves with the number of rows copied.
   *
   * @throws as {@link SAConnection.copyFrom}, and as `acquire()`.
   * @example
   * ```ts
   * await engine.copyFrom('users', [['ann'], ['bob']], { columns: ['name'] }); // 2
   * ```
   */
  copyFrom<T extends keyof DB & string>(
    table: T,
    rows: CopyRecords,
    options?: CopyFromOptions<keyof DB[T] & string>,
  ): Promise<number>;
  copyFrom(statement: string, data: CopyData, options?: ExecuteOptions): Promise<number>;
  async copyFrom(
    target: string,
    source: CopyRecords | CopyData,
    options?: CopyFromOptions,
  ): Promise<number> {
    await using conn = await this.acquire();
    return await copyFrom(conn as SAConnection<unknown>, target, source, options);
  }

  /**
   * `conn.copyTo` on a connection of the pool, released when the loop ends (also when it is
   * left early): reads a table or query out with `COPY … TO STDOUT` as Buffers.
   *
   * @throws TypeError (at once) as {@link SAConnection.copyTo}; from the loop, as it and as
   *   `acquire()`.
   * @example
   * ```ts
   * for await (const chunk of engine.copyTo('COPY users TO STDOUT (FORMAT csv)')) out.write(chunk);
   * ```
   */
  copyTo<T extends keyof DB & string>(
    table: T,
    options?: CopyToOptions<keyof DB[T] & string>,
  ): AsyncIterable<Buffer>;
  copyTo(statement: string): AsyncIterable<Buffer>;
  copyTo(target: string, options?: CopyToOptions): AsyncIterable<Buffer> {
    const { sql } = copyStatement('to', target, options?.columns);
    return this.#copyOut(sql);
  }

  async *#copyOut(sql: string): AsyncGenerator<Buffer, void, undefined> {
    await using conn = await this.acquire();
    yield* conn.copyTo(sql);
  }

  /**
   * Returns a connection to the pool (same as `conn.close()`): an open transaction is rolled
   * back first; a connection busy with a statement is discarded.
   *
   * @throws InterfaceError when `conn` belongs to another engine or was already released.
   */
  async release(conn: SAConnection<DB>): Promise<void> {
    if (!conn.ownedBy(this)) {
      throw new InterfaceError('cannot release: the connection belongs to another engine');
    }
    if (conn.closed) {
      if (this.#status === 'terminated') return;
      throw new InterfaceError('cannot release: the connection was already released');
    }
    await conn.close();
  }

  /**
   * Stops new acquires and closes the free connections; connections in use close when they are
   * released. Harmless when repeated. Pair it with `waitClosed()`.
   */
  async close(): Promise<void> {
    if (this.#status === 'open') this.#status = 'closed';
    this.#stopRefill();
    this.#ended ??= this.#endAll();
  }

  /**
   * Closes every connection now, including those in use: their running statements fail with
   * `OperationalError`.
   */
  async terminate(): Promise<void> {
    this.#status = 'terminated';
    this.#stopRefill();
    await Promise.all([...this.#inUse].map((conn) => conn.terminate()));
    await this.#pipeline?.terminate();
    await this.#replicas.terminate();
    this.#ended ??= this.#endAll();
    await this.#ended;
  }

  /**
   * Resolves when every connection is closed, i.e. after `close()` once all acquired
   * connections were released, or after `terminate()` — their sockets included, so no session of
   * the engine is left on the server (a peer that does not answer is cut after
   * `connectTimeoutMs`). When connections are still acquired
   * 5 s after the first call, it logs once through the engine's `logger.warn` which ones (backend
   * pid, when acquired, in a transaction or running a statement) and keeps waiting.
   *
   * @throws InterfaceError when neither `close()` nor `terminate()` was called.
   */
  async waitClosed(): Promise<void> {
    if (this.#ended === undefined) {
      throw new InterfaceError('cannot waitClosed: call close() or terminate() first');
    }
    this.#inUse.watch(this.#ended, this.options.logger);
    await this.#ended;
  }

  /** `await using engine = await createEngine(…)`: `close()` then `waitClosed()`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
    await this.waitClosed();
  }

  /** Opens `minSize` connections; called once by `createEngine`. @internal */
  async open(): Promise<void> {
    const clients: pg.PoolClient[] = [];
    try {
      const opened = await Promise.allSettled(
        Array.from({ length: this.options.minSize }, () => this.#connectRetrying(() => this.#poolConnect())),
      );
      for (const result of opened) {
        if (result.status === 'fulfilled') clients.push(result.value);
      }
      const failure = opened.find((result) => result.status === 'rejected');
      if (failure) throw this.#acquireError(failure.reason);
    } catch (error) {
      for (const client of clients) client.release(true);
      this.#status = 'closed';
      await Promise.all([this.#pool.end().catch(() => {}), this.#replicas.close()]);
      throw error;
    }
    for (const client of clients) client.release();
    await this.#replicas.start();
  }

  /** @internal */
  releaseClient(conn: SAConnection<DB>, client: pg.PoolClient, destroy: boolean): void {
    this.#inUse.delete(conn);
    const discard = destroy || this.#hostSelector?.isStale(client) === true;
    this.#poolEvents.release(client, discard);
    client.release(discard ? new Error('connection discarded by pgsa') : undefined);
  }

  /** @internal */
  bindKysely(conn: SAConnection<DB>): Kysely<DB> {
    // The connection is its own host: every query runs on it, releasing does nothing.
    return createKysely<DB>(new ConnectionTarget(conn));
  }

  #createDb(): Kysely<DB> {
    const host = new PoolHost<DB>(
      () => this.acquire(),
      this.#pipeline === undefined
        ? undefined
        : (sql, parameters) => this.queryAutocommit(sql, parameters, 'object'),
    );
    return createKysely<DB>(host, this.dialect);
  }

  async #endAll(): Promise<void> {
    await Promise.all([
      this.#pool.end(),
      this.#pipeline?.close(),
      this.#listenerConnection?.close(),
      this.#replicas.close(),
    ]);
    // pool.end() does not wait for the sockets; a peer that never answers is cut after the
    // connect timeout.
    await this.#openClients.closed(this.options.connectTimeoutMs);
  }

  /** A client for the pipelined path, configured like the pool's. */
  #createPipelineClient(): pg.Client {
    const options = this.options;
    const types = new ConnectionTypes(options.types);
    const client = new (this.#clientClass(pg.Client))({
      ...this.#connection.config,
      connectionTimeoutMillis: options.connectTimeoutMs,
      ...(options.statementTimeoutMs !== undefined
        ? { statement_timeout: options.statementTimeoutMs }
        : {}),
      ...(options.applicationName ? { application_name: options.applicationName } : {}),
      pipeline: true,
      types,
    } as pg.ClientConfig);
    parseRowsRaw(client);
    types.bind(client);
    return client;
  }

  #guardOpen(operation: string): void {
    if (this.#status !== 'open') {
      throw new InterfaceError(`cannot ${operation}: the engine is ${this.#status}`);
    }
  }

  /**
   * A client from the pool within `acquireTimeoutMs` (0: no bound). pgsa times the wait itself
   * rather than through pg-pool's `connectionTimeoutMillis`, whose timeout is only recognisable
   * by its message: when the timer wins, the caller gets a `PoolTimeoutError` and the client
   * that arrives later goes straight back to the pool (pg-pool cannot withdraw a waiter).
   */
  #checkout(started: number): Promise<SAConnection<DB>> {
    this.#waiting++;
    return new Promise((resolve, reject) => {
      let timedOut = false;
      const wait = this.#deadlines?.start(() => {
        timedOut = true;
        // Described while this caller still counts as waiting.
        reject(this.#poolTimeout());
        this.#waiting--;
      });
      const checkedOut = (client: pg.PoolClient): void => {
        if (timedOut) {
          client.release();
          return;
        }
        if (wait !== undefined) this.#deadlines?.settle(wait);
        this.#waiting--;
        try {
          resolve(this.#handOut(client, started));
        } catch (error) {
          reject(error);
        }
      };
      const failed = (error: unknown): void => {
        // After the timeout nobody waits for this attempt: its caller has its error.
        if (timedOut) return;
        if (wait !== undefined) this.#deadlines?.settle(wait);
        this.#waiting--;
        reject(this.#acquireError(error));
      };
      const abandoned = () => timedOut || this.#status !== 'open';
      if (this.#hostSelector !== undefined) {
        this.#connectRetrying(() => this.#poolConnect(), abandoned).then(checkedOut, failed);
        return;
      }
      // The first attempt through pg-pool's callback form: no promises of its own or of the
      // retry loop on the common path (each costs more while an AsyncLocalStorage is active,
      // as under the request middleware). A failure goes to the retry policy as attempt 1.
      this.#pool.connect((error: Error | undefined, client: pg.PoolClient | undefined) => {
        if (client !== undefined && !error) checkedOut(client);
        else this.#connectRetrying(() => this.#poolConnect(), abandoned, { error }).then(checkedOut, failed);
      });
    });
  }

  /** The connection that holds `client`, checked out for `acquire()` (`started` then). */
  #handOut(client: pg.PoolClient, started: number): SAConnection<DB> {
    this.#poolEvents.acquired(client, started);
    const conn = new SAConnection<DB>(this, client);
    if (this.#status !== 'open') {
      conn.detach(true);
      this.#guardOpen('acquire');
    }
    this.#inUse.add(conn);
    return conn;
  }

  #poolTimeout(): PoolTimeoutError {
    this.#timeouts++;
    this.#poolEvents.timeout(this.options.acquireTimeoutMs);
    const { size, inUse, waiting } = this.stats();
    return new PoolTimeoutError(
      `acquire timed out after ${this.options.acquireTimeoutMs} ms ` +
        `(size ${size}, in use ${inUse}, waiting ${waiting})`,
    );
  }

  #acquireError(error: unknown): Error {
    const message = error instanceof Error ? error.message : String(error);
    if (this.#status !== 'open') {
      return new InterfaceError(`cannot acquire: the engine is ${this.#status}`, { cause: error });
    }
    if (error instanceof NoSuitableHostError) {
      return withNote(error, retriesNote(error, this.options.connectRetries.attempts));
    }
    const translated = translateError(error, this.secret);
    const fields = translated instanceof OperationalError ? translated : {};
    const wrapped = new OperationalError(
      `could not connect to PostgreSQL (${this.#target}): ${mask(message, this.secret)}` +
        retriesNote(error, this.options.connectRetries.attempts),
      fields,
      { cause: translated },
    );
    return wrapped;
  }

  #createPool(): pg.Pool {
    const options = this.options;
    const connectTimeoutMs = options.connectTimeoutMs;
    // node-postgres uses one `connectionTimeoutMillis` for queueing and connecting. The pool's
    // is left at 0 (no bound): acquire() times the wait itself (see #checkout); this subclass
    // gives each connection attempt its own bound. pg-pool keeps the password as a
    // non-enumerable property of the config it passes here, so a spread would drop it: it is
    // set again explicitly.
    const password = this.#connection.password;
    const registry = options.types;
    const openClients = this.#openClients;
    class PgsaClient extends pg.Client {
      constructor(config?: pg.ClientConfig) {
        const types = new ConnectionTypes(registry);
        super({
          ...config,
          ...(password === undefined ? {} : { password }),
          connectionTimeoutMillis: connectTimeoutMs,
          types,
        });
        types.bind(this);
        parseRowsRaw(this);
        openClients.track(this);
      }
    }
    const pool = new pg.Pool({
      ...this.#connection.config,
      max: options.maxSize,
      min: options.minSize,
      idleTimeoutMillis: options.idleTimeoutMs,
      connectionTimeoutMillis: 0,
      ...(options.maxUses ? { maxUses: options.maxUses } : {}),
      ...(options.maxLifetimeMs ? { maxLifetimeSeconds: options.maxLifetimeMs / 1000 } : {}),
      ...(options.statementTimeoutMs !== undefined
        ? { statement_timeout: options.statementTimeoutMs }
        : {}),
      ...(options.applicationName ? { application_name: options.applicationName } : {}),
      Client: this.#clientClass(PgsaClient),
      onConnect: (client: pg.ClientBase) => this.#onConnect(client as pg.PoolClient),
    } as pg.PoolConfig);
    pool.on('error', (error) => {
      // An idle connection died (server restart, network): pg already dropped it from the pool.
      options.logger.warn?.(`idle connection lost: ${mask(error.message, this.secret)}`);
    });
    pool.on('remove', () => this.#refill());
    return pool;
  }

  async #onConnect(client: pg.PoolClient): Promise<void> {
    // The database's own types (enums, domains, their arrays) and the registered codecs' oids.
    await ConnectionTypes.of(client)?.load(client);
    if (this.options.onConnect === undefined) return;
    const conn = new SAConnection<DB>(this, client);
    try {
      await this.options.onConnect?.(conn as unknown as SAConnection);
    } finally {
      conn.detach(false);
    }
  }

  /**
   * Keeps `minSize` connections open after one was discarded. pg-pool hands out free clients
   * before it opens new ones, so the free clients are taken together with the missing ones (and
   * all given back at once): only then does pg-pool open connections. A refill that fails (the
   * server is down) is retried with a growing delay, up to {@link REFILL_MAX_DELAY_MS}, until
   * `minSize` is reached or the engine is closed.
   */
  #refill(): void {
    if (this.#status !== 'open' || this.#refilling || this.#refillTimer !== undefined) return;
    const pool = this.#pool;
    const missing = this.options.minSize - pool.totalCount;
    if (missing <= 0) return;
    this.#refilling = true;
    // Each client goes back as soon as it arrives: a checked-out client has no error listener,
    // so a free one held until the new ones connect would crash the process if it died.
    const taken = Array.from({ length: pool.idleCount + missing }, () =>
      pool.connect().then((client) => client.release()),
    );
    void Promise.allSettled(taken).then((outcomes) => {
      this.#refilling = false;
      let failure: unknown;
      for (const outcome of outcomes) {
        if (outcome.status === 'rejected') failure ??= outcome.reason;
      }
      if (failure === undefined) {
        this.#refillFailures = 0;
        this.#refill();
        return;
      }
      if (this.#status !== 'open') return;
      const message = failure instanceof Error ? failure.message : String(failure);
      const delayMs = Math.min(REFILL_FIRST_DELAY_MS * 2 ** this.#refillFailures, REFILL_MAX_DELAY_MS);
      this.#refillFailures++;
      this.options.logger.warn?.(
        `could not reopen a connection (retrying in ${delayMs} ms): ${mask(message, this.secret)}`,
      );
      this.#refillTimer = setTimeout(() => {
        this.#refillTimer = undefined;
        this.#refill();
      }, delayMs);
      // A pending retry does not keep the process alive.
      this.#refillTimer.unref();
    });
  }

  #stopRefill(): void {
    clearTimeout(this.#refillTimer);
    this.#refillTimer = undefined;
  }

  // --- LISTEN / NOTIFY (issue 14) ---

  /** The dedicated LISTEN connection, made on first use. */
  #listenerConnection: ListenerConnection | undefined;

  /**
   * Subscribes `handler` to `channel` on the engine's dedicated listener connection (one
   * connection outside the pool for all of the engine's channels, opened on first use, closed
   * with the engine) and resolves once LISTEN is in effect. `handler` is called once per
   * notification, in order, one at a time per subscription (an async handler is awaited); a
   * slow handler only fills its own buffer (`bufferSize`, oldest dropped and reported through
   * `onGap`), never delays other channels. A handler that throws is logged as a warning.
   *
   * When the listener connection is lost, pgsa reconnects (backoff and jitter; engine option
   * `listener`), LISTENs again and calls `onGap({ reason: 'reconnect' })`: PostgreSQL keeps no
   * notification for an absent listener, so resync then. Not through PgBouncer in transaction
   * mode (see the `pgbouncer` option).
   *
   * @throws TypeError for an invalid channel name, handler or option; InterfaceError when the
   *   engine is closed; NotSupportedError when the engine is configured for PgBouncer;
   *   OperationalError when the listener connection cannot be opened.
   * @example
   * ```ts
   * const sub = await engine.listen('orders', async ({ payload }) => handleOrder(payload), {
   *   onGap: () => reloadOrders(),
   * });
   * await engine.notify('orders', '42');
   * await sub.unlisten();
   * ```
   */
  async listen(
    channel: string,
    handler: (notification: Notification) => unknown,
    options?: NotificationsOptions,
  ): Promise<Subscription> {
    if (typeof handler !== 'function') throw new TypeError('listen(channel, handler) expects a function');
    const subscription = this.notifications(channel, options);
    void pump(subscription, handler, this.#warn);
    await subscription.ready;
    return subscription;
  }

  /**
   * Subscribes to `channel` on the engine's dedicated listener connection (see `listen`) and
   * returns the subscription, an `AsyncIterable<Notification>` buffering at most `bufferSize`
   * notifications (oldest dropped on overflow and reported through `onGap`). LISTEN is sent at
   * once; `await sub.ready` to know it is in effect. Leaving a `for await` loop over it
   * unlistens (UNLISTEN is sent when it was the channel's last subscriber).
   *
   * @throws TypeError (at once) for an invalid channel name or option; InterfaceError when the
   *   engine is closed; NotSupportedError when the engine is configured for PgBouncer. From
   *   `ready` and the loop: OperationalError when the listener connection cannot be opened or
   *   reconnection was given up (`listener.maxReconnectAttempts`).
   * @example
   * ```ts
   * const orders = engine.notifications('orders', { bufferSize: 100 });
   * await orders.ready;
   * for await (const { payload } of orders) if (payload === 'finish') break;
   * ```
   */
  notifications(channel: string, options?: NotificationsOptions): Subscription {
    checkChannel(channel);
    const resolved = resolveNotificationsOptions(options, this.options.listener);
    this.#guardOpen('listen');
    refuseBehindPgBouncer(this.options.pgbouncer);
    const listener = (this.#listenerConnection ??= this.#createListener());
    return new Subscription(channel, {
      subscribe: (name, subscriber) => listener.subscribe(name, subscriber),
      unsubscribe: (name, subscriber) => listener.unsubscribe(name, subscriber),
      onGap: this.options.listener.onGap,
      warn: this.#warn,
      secret: this.secret,
    }, resolved);
  }

  /**
   * Sends a notification: `select pg_notify($1, $2)` on the pipelined connection or a pooled
   * one (autocommit: delivered at once). Inside a transaction use `conn.notify` or
   * `session.notify`, delivered at COMMIT.
   *
   * @throws TypeError for an invalid channel name or a payload that is not a string;
   *   DataError for a payload over 7999 bytes (UTF-8), before anything is sent; as `acquire()`.
   * @example
   * ```ts
   * await engine.notify('orders', JSON.stringify({ id: 42 }));
   * ```
   */
  async notify(channel: string, payload = ''): Promise<void> {
    checkNotifyArguments(channel, payload);
    this.#guardOpen('notify');
    const pipelined = this.queryAutocommit(NOTIFY_SQL, [channel, payload], 'array');
    if (pipelined !== undefined) {
      await pipelined;
      return;
    }
    await using conn = await this.acquire();
    await conn.notify(channel, payload);
  }

  #warn = (message: string): void => {
    this.options.logger.warn?.(mask(message, this.secret));
  };

  #createListener(): ListenerConnection {
    const options = this.options;
    return new ListenerConnection({
      createClient: () =>
        new (this.#clientClass(pg.Client))({
          ...this.#connection.config,
          connectionTimeoutMillis: options.connectTimeoutMs,
          ...(options.applicationName ? { application_name: options.applicationName } : {}),
          keepAlive: true,
          types: new ConnectionTypes(options.types),
        } as pg.ClientConfig),
      secret: this.secret,
      warn: this.#warn,
      settings: options.listener,
    });
  }

  // --- asyncpg conveniences (issue 12) ---

  /**
   * Executes one statement outside any transaction and returns its result, as
   * `SAConnection.execute`: on the pipelined autocommit connections when the engine has them
   * and the statement is safe there (as `engine.db`), else on a pooled connection, released
   * before this resolves. A per-call `statementTimeoutMs` always takes a pooled connection.
   *
   * @throws as `SAConnection.execute`, and as `acquire()`.
   * @example
   * ```ts
   * const result = await engine.execute('select id, name from users where id = $1', [1]);
   * const rows = (await engine.execute(engine.db.selectFrom('users').selectAll())).fetchAll();
   * ```
   */
  execute<Row>(query: Executable<Row>, options?: ExecuteOptions): Promise<ResultProxy<ResultRow<Row>>>;
  execute<Row = Record<string, unknown>>(query: string, params?: readonly unknown[], options?: ExecuteOptions): Promise<ResultProxy<Row>>;
  execute<Row = Record<string, unknown>>(query: string, options: ExecuteOptions): Promise<ResultProxy<Row>>;
  execute(query: Executable<unknown> | string, second?: readonly unknown[] | ExecuteOptions, third?: ExecuteOptions): Promise<ResultProxy<unknown>> {
    return engineExecute(this as unknown as ExecutingEngine, query, second, third);
  }

  /**
   * Every row of a statement, as `RowProxy` objects (asyncpg's `fetch`). Takes what
   * {@link Engine.execute} takes; the row type is inferred from builders.
   *
   * @throws as `execute`.
   * @example
   * ```ts
   * const users = await engine.fetch(engine.db.selectFrom('users').select(['id', 'name']));
   * const rows = await engine.fetch('select * from users where id > $1', [10]);
   * ```
   */
  fetch<Row>(query: Executable<Row>, options?: ExecuteOptions): Promise<RowProxy<ResultRow<Row>>[]>;
  fetch<Row = Record<string, unknown>>(query: string, params?: readonly unknown[], options?: ExecuteOptions): Promise<RowProxy<Row>[]>;
  fetch<Row = Record<string, unknown>>(query: string, options: ExecuteOptions): Promise<RowProxy<Row>[]>;
  fetch(query: Executable<unknown> | string, second?: readonly unknown[] | ExecuteOptions, third?: ExecuteOptions): Promise<unknown> {
    return fetchAllOf(this as Executor, query, second, third);
  }

  /**
   * The first row of a statement, or `null` when it returns none (asyncpg's `fetchrow`).
   *
   * @throws as `execute`.
   * @example
   * ```ts
   * const user = await engine.fetchRow('select id, name from users where id = $1', [1]);
   * user?.name;
   * ```
   */
  fetchRow<Row>(query: Executable<Row>, options?: ExecuteOptions): Promise<RowProxy<ResultRow<Row>> | null>;
  fetchRow<Row = Record<string, unknown>>(query: string, params?: readonly unknown[], options?: ExecuteOptions): Promise<RowProxy<Row> | null>;
  fetchRow<Row = Record<string, unknown>>(query: string, options: ExecuteOptions): Promise<RowProxy<Row> | null>;
  fetchRow(query: Executable<unknown> | string, second?: readonly unknown[] | ExecuteOptions, third?: ExecuteOptions): Promise<unknown> {
    return fetchRowOf(this as Executor, query, second, third);
  }

  /**
   * One value of the first row, or `null` when there is no row (asyncpg's `fetchval`):
   * `options.column` picks the column by position (default 0) or by name.
   *
   * @throws InterfaceError when the result has no such column (the message lists the columns
   *   it has); otherwise as `execute`.
   * @example
   * ```ts
   * const n = await engine.fetchVal('select count(*)::int from users');
   * const name = await engine.fetchVal(engine.db.selectFrom('users').select(['id', 'name']), { column: 'name' });
   * ```
   */
  fetchVal<Row, Column extends keyof ResultRow<Row> & string = never>(query: Executable<Row>, options?: FetchValOptions<Column>): Promise<FetchedValue<ResultRow<Row>, Column>>;
  fetchVal(query: string, params?: readonly unknown[], options?: FetchValOptions): Promise<unknown>;
  fetchVal(query: string, options: FetchValOptions): Promise<unknown>;
  fetchVal(query: Executable<unknown> | string, second?: readonly unknown[] | FetchValOptions, third?: FetchValOptions): Promise<unknown> {
    return fetchValOf(this as Executor, query, second, third);
  }

  // --- type codecs (issue 13) ---

  /**
   * Registers how the PostgreSQL type `typeName` (an enum, a domain, a composite, an extension
   * type such as `citext` or `hstore`, or a built-in one) is decoded, and optionally encoded,
   * on every connection of this engine (asyncpg's `set_type_codec`). The name is looked up on
   * a pooled connection now (`schema` qualifies it), and again on every connection the engine
   * opens later, pipelined ones included; arrays of the type decode to arrays of `decode`'s
   * results. Statements already prepared are described again on their next run.
   *
   * @throws TypeError for a missing name or `decode`; ProgrammingError "unknown type …" when
   *   the database has no such type; as `acquire()`.
   * @example
   * ```ts
   * await engine.setTypeCodec('mood', { decode: (text) => text.toUpperCase() });
   * await engine.fetchVal("select array['happy', 'sad']::mood[]"); // ['HAPPY', 'SAD']
   * ```
   */
  async setTypeCodec<T>(typeName: string, codec: TypeCodec<T>): Promise<void> {
    const conn = await this.acquire();
    try {
      await registerTypeCodec(this.options.types, conn.raw, typeName, codec);
    } finally {
      await conn.close();
    }
  }

  // --- operations: health, connection retries, metrics (issue 17) ---

  /** Counts every statement of this engine and its latency (see `stats()`). @internal */
  readonly metrics = new QueryMetrics();
  /** Publishes this engine's `pgsa:pool` messages. */
  readonly #poolEvents: PoolEvents;

  /**
   * Round-trip time of `select 1` on a pooled connection, in ms (asyncpg tutorial's
   * `health_check`). The whole call (waiting for a connection included) is bounded by
   * `timeoutMs` (default 5000): when it expires, a connection still waiting for the answer is
   * closed rather than returned to the pool, so a cut network holds no slot.
   *
   * @throws TypeError for an invalid `timeoutMs`; InterfaceError when the engine is closed;
   *   OperationalError when no answer came in time or the server cannot be reached.
   * @example
   * ```ts
   * const ms = await engine.ping({ timeoutMs: 1000 });
   * ```
   */
  ping(options?: PingOptions): Promise<number> {
    return ping(this as unknown as CheckHost<EngineStats>, options);
  }

  /**
   * Checks the database within `timeoutMs` (default 5000) and reports
   * `{ ok, latencyMs, serverVersion, inRecovery, stats, error? }`. Never throws: any failure
   * (server down, network cut, engine closed, an invalid option) is `ok: false` with `error`
   * saying why. Bounded like {@link Engine.ping}.
   *
   * @example
   * ```ts
   * app.get('/healthz', async (_req, reply) => {
   *   const report = await engine.health({ timeoutMs: 1000 });
   *   return reply.code(report.ok ? 200 : 503).send(report);
   * });
   * ```
   */
  health(options?: PingOptions): Promise<HealthReport<EngineStats>> {
    return health(this as unknown as CheckHost<EngineStats>, options);
  }

  /** `connect()`, retried on transient failures as the engine's `connectRetries` says. */
  #connectRetrying<T>(
    connect: () => Promise<T>,
    abandoned?: () => boolean,
    firstFailure?: { readonly error: unknown },
  ): Promise<T> {
    return connectWithRetries(
      connect,
      this.options.connectRetries,
      (error, attempt, delayMs) => {
        const message = error instanceof Error ? error.message : String(error);
        this.options.logger.warn?.(
          `connection attempt ${attempt} to ${this.#target} failed (retrying in ${delayMs} ms): ` +
            mask(message, this.secret),
        );
      },
      abandoned,
      firstFailure,
    );
  }


  /** The replicas' own engines and their lag checks (none without the `replicas` option). */
  readonly #replicas: Replicas<DB>;
  #readonly: ReadonlyEngine<DB> | undefined;

  /**
   * The read side of the engine: `db`, `execute`, `fetch*`, `acquire`, `stream` and
   * `transaction` (`READ ONLY`) on the read replicas (the `replicas` option), balanced across
   * them, skipping replicas that are down or lag more than `maxLagMs`, and falling back to the
   * primary when none is usable (`replicaFallback`). Without replicas every read goes to the
   * primary.
   *
   * @example
   * ```ts
   * const users = await engine.readonly.db.selectFrom('users').selectAll().execute();
   * ```
   */
  get readonly(): ReadonlyEngine<DB> {
    this.#readonly ??= new ReadonlyEngine<DB>(
      this as unknown as ReadTarget<DB>,
      this.#replicas,
      this.shapes,
    );
    return this.#readonly;
  }

  #createReplicas(connections: readonly ResolvedConnection[]): Replicas<DB> {
    const options = replicaEngineOptions(this.options);
    const targets = connections.map(
      (connection) => new Engine<DB>(options, connection) as unknown as ReadTarget<DB>,
    );
    return new Replicas<DB>(targets, this.options.replicas, this.options.connectTimeoutMs, this.#warn);
  }



  /** Chooses each new connection's server when the engine has several (or `targetSessionAttrs`). */
  #hostSelection: HostSelector | null | undefined;
  /** The host-selecting subclass of each client class used, made once. */
  readonly #selectingClasses = new Map<ClientClass, ClientClass>();

  /** Made on first use (by the constructor, once the connection settings are set). */
  get #hostSelector(): HostSelector | undefined {
    if (this.#hostSelection === undefined) {
      const multiHost = this.#connection.multiHost;
      this.#hostSelection = multiHost === undefined ? null : new HostSelector(multiHost, this.secret);
    }
    return this.#hostSelection ?? undefined;
  }

  /** `base`, or for a multi-host engine its subclass that picks and checks the server. */
  #clientClass(base: ClientClass): ClientClass {
    const selector = this.#hostSelector;
    if (selector === undefined) return base;
    let selecting = this.#selectingClasses.get(base);
    if (selecting === undefined) {
      selecting = withHostSelection(base, selector);
      this.#selectingClasses.set(base, selecting);
    }
    return selecting;
  }

  /**
   * A client from the pool; for a multi-host engine, one whose server still matches (stale ones
   * are discarded on the way), new connections trying host after host.
   */
  #poolConnect(): Promise<pg.PoolClient> {
    const selector = this.#hostSelector;
    if (selector === undefined) return this.#pool.connect();
    return selector.connect(
      () => this.#pool.connect(),
      (client) => client.release(new Error('connection discarded by pgsa: its server changed or was lost')),
    );
  }
}
