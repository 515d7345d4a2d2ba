import type { Compilable, CompiledQuery, Kysely, RawBuilder } from 'kysely';
import type pg from 'pg';
import { OperationalError } from '../errors/database-error.js';
import { InterfaceError, ResourceClosedError } from '../errors/pgsa-error.js';
import { translateError } from '../errors/translate-error.js';
import { type RawResult, ResultProxy } from '../result/result-proxy.js';
import type { ConnectionOwner } from './connection-owner.js';
import { sendCancelRequest } from './cancel-request.js';
import { runQuery } from './run-query.js';
import { runStatement } from './run-statement.js';
import { echoStatement } from './statement-echo.js';
import { StatementCache } from './statement-cache.js';

/** Anything `execute` accepts besides a SQL string: a builder, a compiled query, a `sql` template. */
export type Executable<Row> = Compilable<Row> | CompiledQuery<Row> | RawBuilder<Row>;

/** Row type produced by an {@link Executable}. */
export type RowOf<Q> = Q extends Executable<infer Row> ? Row : Record<string, unknown>;

/** How rows come back from the one execution path. @internal */
export type RowMode = 'array' | 'object';

type Status = 'open' | 'closed';

const HOLDER = Symbol('pgsa.holder');

/** A pg client with the connection currently holding it (`null` while it is in the pool). */
type TrackedClient = pg.PoolClient & { [HOLDER]?: SAConnection<unknown> | null };

function forwardClientError(this: TrackedClient, error: Error): void {
  const holder = this[HOLDER];
  if (holder) SAConnection.noteLost(holder, error);
}

/**
 * One pooled connection, acquired from an `Engine`: executes Kysely builders, `sql` templates,
 * compiled queries and raw SQL, and returns {@link ResultProxy} objects (aiopg.sa's
 * `SAConnection`).
 *
 * Statements issued concurrently on one connection run one at a time, in call order (they are
 * queued, never interleaved); while a `stream()` is open any other statement is refused with
 * `InterfaceError`, because it could only run after the stream ends.
 *
 * @example
 * ```ts
 * await using conn = await engine.acquire();
 * const result = await conn.execute(conn.db.selectFrom('users').select(['id', 'name']));
 * for (const row of result) console.log(row.id, row.name);
 * // SQL: select "id", "name" from "users"
 * ```
 */
export class SAConnection<DB = Record<string, never>> {
  readonly #owner: ConnectionOwner<DB>;
  readonly #client: pg.PoolClient;
  readonly #cache: StatementCache | undefined;
  #status: Status = 'open';
  #closing: Promise<void> | undefined;
  #inFlight = 0;
  #db: Kysely<DB> | undefined;
  #lostError: Error | undefined;
  #terminated = false;

  /** @internal Connections are made by `Engine.acquire()`. */
  constructor(owner: ConnectionOwner<DB>, client: pg.PoolClient) {
    this.#owner = owner;
    this.#client = client;
    this.#cache = StatementCache.of(client, owner.options.statementCacheSize);
    // A checked-out client whose socket dies emits 'error'; without a listener the process
    // would crash. One listener per pg client, installed on first use, forwards it to the
    // connection holding the client (adding and removing one per acquire costs more).
    const tracked = client as TrackedClient;
    if (tracked[HOLDER] === undefined) client.on('error', forwardClientError);
    tracked[HOLDER] = this as SAConnection<unknown>;
  }

  /**
   * A `Kysely<DB>` bound to this connection: queries built and executed through it run here,
   * inside this connection's current transaction.
   *
   * @example
   * ```ts
   * await conn.db.insertInto('users').values({ name: 'ann' }).execute();
   * ```
   */
  get db(): Kysely<DB> {
    this.#db ??= this.#owner.bindKysely(this);
    return this.#db;
  }

  /** The underlying node-postgres client. Statements sent through it bypass pgsa's guards. */
  get raw(): pg.PoolClient {
    return this.#client;
  }

  /** The server process id serving this connection (`pg_backend_pid()`). */
  get backendPid(): number {
    return (this.#client as unknown as { processID: number }).processID;
  }

  /** True after `close()` (or `engine.release(conn)`). */
  get closed(): boolean {
    return this.#status === 'closed';
  }

  /** True while the server reports an open (or failed) transaction on this connection. */
  get inTransaction(): boolean {
    const status = this.#client.getTransactionStatus?.();
    return status === 'T' || status === 'E';
  }

  /**
   * Executes a statement and returns its result. The row type is inferred from Kysely builders
   * and `sql<T>` templates; raw SQL strings take `$1, $2 …` placeholders and `params`.
   *
   * @throws ResourceClosedError when the connection is closed; `DatabaseError` subclasses by
   *   SQLSTATE when the server rejects the statement; `OperationalError` when the connection is
   *   lost.
   * @example
   * ```ts
   * const r1 = await conn.execute(conn.db.selectFrom('users').selectAll().where('id', '=', 1));
   * const r2 = await conn.execute('select name from users where id = $1', [1]);
   * const r3 = await conn.execute(sql<{ n: number }>`select 1 as n`);
   * ```
   */
  execute<Row>(query: Executable<Row>): Promise<ResultProxy<Row>>;
  execute<Row = Record<string, unknown>>(
    query: string,
    params?: readonly unknown[],
  ): Promise<ResultProxy<Row>>;
  async execute<Row>(
    query: Executable<Row> | string,
    params?: readonly unknown[],
  ): Promise<ResultProxy<Row>> {
    const compiled = this.#compile(query, params);
    const result = await this.query(compiled.sql, compiled.parameters, 'array');
    return new ResultProxy<Row>(this.#toRawResult(result));
  }

  /**
   * The first column of the first row, or `null` when there is none.
   *
   * @example
   * ```ts
   * const count = await conn.scalar('select count(*)::int from users'); // 3
   * ```
   */
  async scalar(query: Executable<unknown> | string, params?: readonly unknown[]): Promise<unknown> {
    const compiled = this.#compile(query, params);
    const result = await this.query(compiled.sql, compiled.parameters, 'array');
    const first = result.rows[0] as unknown[] | undefined;
    return first === undefined ? null : (first[0] ?? null);
  }

  /**
   * Rolls back whatever transaction is open and returns the connection to the pool. A
   * connection closed in the middle of a statement is discarded instead. Harmless when repeated.
   */
  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    this.#status = 'closed';
    this.#closing = this.#release();
    return this.#closing;
  }

  /** `await using conn = await engine.acquire()` closes it at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /**
   * The one execution path: every statement pgsa sends on this connection (execute, `db`,
   * transactions, sessions) goes through here, with guards, echo logging and error translation.
   *
   * @internal
   */
  async query(
    sql: string,
    parameters: readonly unknown[],
    rowMode: RowMode,
  ): Promise<pg.QueryResult> {
    this.#guardOpen('execute');
    const options = this.#owner.options;
    const echo = options.echo;
    const started = echo ? performance.now() : 0;
    this.#inFlight++;
    try {
      const result = await runStatement(
        this.#client,
        this.#cache,
        sql,
        parameters,
        rowMode,
        this.#owner.secret,
      );
      if (echo?.query) this.#echo(sql, parameters, started, result.rowCount, undefined);
      return result;
    } catch (error) {
      let translated = translateError(this.#lostError ?? error, this.#owner.secret);
      if (this.#terminated) {
        translated = new OperationalError(
          'Connection terminated: the engine was terminated while the statement ran',
          {},
          { cause: translated },
        );
      }
      if (echo?.query) {
        this.#echo(sql, parameters, started, undefined, (translated as Error).message);
      }
      throw translated;
    } finally {
      this.#inFlight--;
    }
  }

  /**
   * Cancels the statement running on this connection (it fails with `QueryCanceledError`); the
   * connection stays usable. Resolves once the server received the request; does nothing when
   * no statement is running.
   *
   * @example
   * ```ts
   * const slow = conn.execute('select pg_sleep(60)');
   * await conn.cancel(); // slow rejects with QueryCanceledError
   * ```
   */
  async cancel(): Promise<void> {
    if (this.#inFlight === 0) return;
    await sendCancelRequest(this.#client);
  }

  /**
   * Cancels what runs and closes the client now (`Engine.terminate()`): the running statement
   * fails with `OperationalError`.
   *
   * @internal
   */
  async terminate(): Promise<void> {
    if (this.#terminated || this.#closing) return;
    this.#terminated = true;
    if (this.#inFlight > 0) await sendCancelRequest(this.#client).catch(() => {});
    this.detach(true);
  }

  /**
   * Closes the connection without returning it: used by `Engine.terminate()` and for the
   * temporary connection handed to `onConnect`. `destroy` also ends the client.
   *
   * @internal
   */
  detach(destroy: boolean): void {
    if (this.#closing) return;
    this.#status = 'closed';
    this.#closing = Promise.resolve();
    (this.#client as TrackedClient)[HOLDER] = null;
    if (destroy) this.#owner.releaseClient(this, this.#client, true);
  }

  /** True when `owner` lent this connection its client. @internal */
  ownedBy(owner: unknown): boolean {
    return this.#owner === owner;
  }

  /** Records that the client's socket failed: the next statement reports it. @internal */
  static noteLost(conn: SAConnection<unknown>, error: Error): void {
    conn.#lostError = error;
  }

  /** Throws `ResourceClosedError` when closed. @internal */
  guardOpen(operation: string): void {
    this.#guardOpen(operation);
  }

  #guardOpen(operation: string): void {
    if (this.#status === 'closed') {
      throw new ResourceClosedError(`cannot ${operation}: the connection is closed`);
    }
  }

  #compile(query: Executable<unknown> | string, params: readonly unknown[] | undefined) {
    if (typeof query === 'string') return { sql: query, parameters: params ?? [] };
    if (params !== undefined) {
      throw new InterfaceError('params are only accepted with a SQL string');
    }
    if ('sql' in query && 'parameters' in query) return query;
    // RawBuilder.compile needs an executor provider (builders ignore the argument). The
    // engine's Kysely compiles the same SQL; binding a Kysely to every acquired connection just
    // to compile would cost an allocation-heavy object per acquire on the hot path.
    return (query as RawBuilder<unknown>).compile(this.#db ?? this.#owner.db);
  }

  #toRawResult(result: pg.QueryResult | pg.QueryResult[]): RawResult {
    // A multi-statement string yields one result per statement: the last one is the result.
    const last = Array.isArray(result) ? (result.at(-1) as pg.QueryResult) : result;
    const returnsRows = last.fields.length > 0 || last.command === 'SELECT';
    return {
      command: last.command ?? '',
      rowCount: last.rowCount,
      shape: returnsRows ? this.#owner.shapes.forFields(last.fields) : undefined,
      rows: last.rows as unknown as unknown[][],
    };
  }

  #echo(
    sql: string,
    parameters: readonly unknown[],
    started: number,
    rowCount: number | null | undefined,
    error: string | undefined,
  ): void {
    echoStatement(this.#owner.options, sql, parameters, started, rowCount, error, this.backendPid);
  }

  async #release(): Promise<void> {
    const client = this.#client;
    let destroy = this.#lostError !== undefined || this.#inFlight > 0;
    if (!destroy && this.inTransaction) {
      this.#owner.options.logger.warn?.(
        `connection ${this.backendPid} was released inside a transaction; rolling it back`,
      );
      try {
        await runQuery(client, { text: 'ROLLBACK' });
      } catch {
        destroy = true;
      }
    }
    (client as TrackedClient)[HOLDER] = null;
    this.#owner.releaseClient(this, client, destroy);
  }
}
