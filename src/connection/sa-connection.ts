import type { NoSchema } from '../sql/no-schema.js';
import type { Kysely, QueryId } from 'kysely';
import type { Executable, ResultRow } from './executable.js';
import type { RowMode } from '../protocol/protocol-query.js';
import type pg from 'pg';
import type { HeldSource } from './exchange-host.js';
import type { PgsaLogger } from './pgsa-logger.js';
import { OperationalError } from '../errors/database-error.js';
import { ResourceClosedError } from '../errors/pgsa-error.js';
import { isConnectionFatal, translateError } from '../errors/translate-error.js';
import { pluginsOf } from '../result/query-plugins.js';
import { type RawResult, ResultProxy, type ScalarOf } from '../result/result-proxy.js';
import { compiledRowStream } from '../result/compiled-row-stream.js';
import type { RowStream } from '../result/row-stream.js';
import { transformResult } from '../result/transform-rows.js';
import { compileStatement, type Statement } from './compile-statement.js';
import type { ConnectionOwner } from './connection-owner.js';
import { sendCancelRequest } from '../protocol/cancel-request.js';
import { runQuery } from '../protocol/run-query.js';
import { type CursorBatch, StreamCursor } from '../protocol/stream-cursor.js';
import {
  batchSizeOf,
  type ExecuteOptions,
  statementArguments,
  statementTimeout,
  type StreamOptions,
} from './stream-options.js';
import {
  beginNestedTransaction,
  beginTransaction,
  beginTwoPhaseTransaction,
} from '../transaction/begin-transaction.js';
import type { NestedTransaction } from '../transaction/nested-transaction.js';
import { runInTransaction, type TransactionCallback } from '../transaction/run-in-transaction.js';
import type { Transaction } from '../transaction/transaction.js';
import { TransactionFrames } from '../transaction/transaction-frames.js';
import { RESET_SESSION_SQL } from '../sql/reset-session-sql.js';
import type { TransactionOptions } from '../sql/transaction-sql.js';
import {
  commitPrepared,
  recoverTwophase,
  rollbackPrepared,
} from '../transaction/two-phase-recovery.js';
import type { TwoPhaseTransaction } from '../transaction/two-phase-transaction.js';
import { type CopyFromOptions, type CopyToOptions, copyFrom, executeMany } from './bulk-writes.js';
import type { CopyData, CopyRecords } from '../protocol/copy-in-query.js';
import { copyStatement } from '../sql/copy-sql.js';
import { copyOut } from './copy-out.js';
import { runStatement } from '../protocol/run-statement.js';
import { echoStatement, type QueryTrace, statementStart } from './statement-echo.js';
import { queryChannel } from '../diagnostics/channels.js';
import { StatementCache } from '../protocol/statement-cache.js';
import { backendProcessId, socketOf } from '../protocol/pg-internals.js';
import { StatementQueue } from './statement-queue.js';
import { ResponseWatchdog } from './response-watchdog.js';
import { HeldNotifications } from './held-notifications.js';
import { type BeginAnswered, DeferredBegin, type TakenStatement } from './deferred-begin.js';
import { type DeferredCommand, DeferredSavepoints, type SavepointAnswered } from './deferred-savepoints.js';
import type { DeferredControl } from '../transaction/transaction-host.js';
import { type PendingPrefix, sendPrefix } from '../protocol/run-statement.js';
import { checkChannel, checkNotifyArguments, type Notification, refuseBehindPgBouncer } from '../notify/notification.js';
import { refuseBehindPgBouncer as refuseCallBehindPgBouncer } from '../errors/pgbouncer-refusal.js';
import { listenSql, NOTIFY_SQL, UNLISTEN_ALL_SQL, unlistenSql } from '../sql/notify-sql.js';
import type { RowProxy } from '../result/row-shape.js';
import {
  type Executor,
  type FetchedValue,
  type FetchValOptions,
  fetchAllOf,
  fetchRowOf,
  fetchValOf,
} from './fetch-calls.js';
import { type PreparedHost, type PreparedStatement, prepareStatement } from './prepared-statement.js';
import { type CursorOptions, openCursor, type PendingCursor, pendingCursor } from './cursor.js';
import { registerConnectionTypeCodec } from '../codecs/register-type-codec.js';
import type { TypeCodec } from '../codecs/type-codec.js';

// Plugs SAConnection into the transaction layer's types (`tx.connection`, `transaction(fn)`'s
// argument) without that layer importing this one.
declare module '../transaction/transaction-host.js' {
  interface ConnectionTypes<DB> {
    readonly connection: SAConnection<DB>;
  }
}

const HOLDER = Symbol('pgsa.holder');
const WATCHDOG = Symbol('pgsa.watchdog');
/** What a release with nothing to send resolves with (shared: no promise per release). */
const RESOLVED: Promise<void> = Promise.resolve();

/**
 * A pg client with the connection currently holding it (`null` while it is in the pool), and
 * its one response watchdog (engines with `statementTimeoutMs`).
 */
type TrackedClient = pg.PoolClient & {
  [HOLDER]?: SAConnection<unknown> | null;
  [WATCHDOG]?: ResponseWatchdog | undefined;
};

function forwardClientError(this: TrackedClient, error: Error): void {
  const holder = this[HOLDER];
  if (holder) SAConnection.noteLost(holder, error);
}

/**
 * One pooled connection, acquired from an `Engine`: executes Kysely builders, `sql` templates,
 * compiled queries and raw SQL, and returns {@link ResultProxy} objects (aiopg.sa's
 * `SAConnection`).
 *
 * Statements issued concurrently on one connection run one at a time, in the order they reach
 * it (pgsa queues them, never interleaved; Kysely's `conn.db` adds a few microtask hops before
 * a query arrives); while a `stream()` is open any other statement is refused with
 * `InterfaceError` ("another operation is in progress"), because it could only run after the
 * stream ends: awaiting it inside the loop would wait forever.
 *
 * @example
 * ```ts
 * await using conn = await engine.acquire();
 * const result = await conn.execute(conn.db.selectFrom('users').select(['id', 'name']));
 * for (const row of result) console.log(row.id, row.name);
 * // SQL: select "id", "name" from "users"
 * ```
 */
export class SAConnection<DB = NoSchema> {
  readonly #owner: ConnectionOwner<DB, SAConnection<DB>>;
  readonly #client: pg.PoolClient;
  readonly #cache: StatementCache | undefined;
  /** Call order, the running exchange, the stream hold, and whether the connection is closed. */
  readonly #queue = new StatementQueue();
  #closing: Promise<void> | undefined;
  #db: Kysely<DB> | undefined;
  #lostError: Error | undefined;
  /** A FATAL error or a dropped socket was seen: the server has closed (or is closing) it. */
  #broken = false;
  #terminated = false;
  #frames: TransactionFrames | undefined;
  /** The error that failed the open transaction, until a statement runs outside it again. */
  #transactionFailure: Error | undefined;
  /** Stops the running exchange from the client's side (a COPY waiting on its source). */
  #abort: (() => void) | undefined;
  /** Bounds each round trip when the engine has a `statementTimeoutMs`. */
  readonly #watchdog: ResponseWatchdog | undefined;

  /** @internal Connections are made by `Engine.acquire()`. */
  constructor(owner: ConnectionOwner<DB, SAConnection<DB>>, client: pg.PoolClient) {
    this.#owner = owner;
    this.#client = client;
    this.#cache = StatementCache.of(client, owner.options.statementCacheSize);
    // A checked-out client whose socket dies emits 'error'; without a listener the process
    // would crash. One listener per pg client, installed on first use, forwards it to the
    // connection holding the client (adding and removing one per acquire costs more).
    const tracked = client as TrackedClient;
    if (tracked[HOLDER] === undefined) {
      client.on('error', forwardClientError);
      tracked[WATCHDOG] = ResponseWatchdog.of(socketOf(client), owner.options.statementTimeoutMs);
    }
    tracked[HOLDER] = this as SAConnection<unknown>;
    this.#watchdog = tracked[WATCHDOG];
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
    return backendProcessId(this.#client) as number;
  }

  /** True after `close()` (or `engine.release(conn)`). */
  get closed(): boolean {
    return this.#queue.status === 'closed';
  }

  /**
   * True while a transaction is open (or failed) on this connection: the server reports one,
   * or pgsa began one whose `BEGIN` waits to go out with its first statement.
   */
  get inTransaction(): boolean {
    const status = this.#client.getTransactionStatus?.();
    return status === 'T' || status === 'E' || this.#beginOpen();
  }

  /** True while the open transaction is failed (aborted, or its BEGIN failed). @internal */
  get transactionFailed(): boolean {
    return this.#client.getTransactionStatus?.() === 'E' || this.#begin?.failure !== undefined;
  }

  /** The transactions pgsa opened on this connection, outermost first. @internal */
  get frames(): TransactionFrames {
    this.#frames ??= new TransactionFrames();
    return this.#frames;
  }

  /** The statement error that failed the open transaction, for the errors that name it. @internal */
  get transactionFailure(): Error | undefined {
    return this.#transactionFailure ?? this.#begin?.failure;
  }

  /**
   * Executes a statement and returns its result. The row type is inferred from Kysely builders
   * and `sql<T>` templates; raw SQL strings take `$1, $2 …` placeholders and `params`.
   *
   * `options.statementTimeoutMs` cancels the statement when it runs longer (see
   * {@link ExecuteOptions}); the connection stays usable (inside a transaction, the transaction
   * is then failed, as with any error). When the server does not answer the cancel request
   * within 2 s, the call rejects with `OperationalError` and the connection is closed
   * (its outcome unknown; see {@link ExecuteOptions}).
   *
   * @throws ResourceClosedError when the connection is closed; InterfaceError while a stream is
   *   open on it; `DatabaseError` subclasses by SQLSTATE when the server rejects the statement
   *   (`QueryCanceledError` on `cancel()` or a timeout); `OperationalError` when the connection
   *   is lost.
   * @example
   * ```ts
   * const r1 = await conn.execute(conn.db.selectFrom('users').selectAll().where('id', '=', 1));
   * const r2 = await conn.execute('select name from users where id = $1', [1]);
   * const r3 = await conn.execute(sql<{ n: number }>`select 1 as n`);
   * const r4 = await conn.execute('select pg_sleep(1)', [], { statementTimeoutMs: 100 }); // throws
   * ```
   */
  execute<Row>(query: Executable<Row>, options?: ExecuteOptions): Promise<ResultProxy<ResultRow<Row>>>;
  execute<Row = Record<string, unknown>>(
    query: string,
    params?: readonly unknown[],
    options?: ExecuteOptions,
  ): Promise<ResultProxy<Row>>;
  execute<Row = Record<string, unknown>>(
    query: string,
    options: ExecuteOptions,
  ): Promise<ResultProxy<Row>>;
  execute<Row>(
    query: Executable<Row> | string,
    paramsOrOptions?: readonly unknown[] | ExecuteOptions,
    options?: ExecuteOptions,
  ): Promise<ResultProxy<Row>> {
    try {
      const args = statementArguments(paramsOrOptions, options);
      const compiled = this.#compile(query, args.params);
      const timeoutMs = statementTimeout(args.options);
      // The ResultProxy made in the statement's own reaction: no promise of execute's.
      return this.#statement(compiled.sql, compiled.parameters, 'array', timeoutMs, (result) => {
        const raw = this.#toRawResult(result);
        // A builder's Kysely plugins shaped its SQL at compile time; their transformResult must
        // shape its rows too, or the row type (which names what the plugins return) would lie.
        const plugins = pluginsOf(compiled);
        return plugins === undefined
          ? new ResultProxy<Row>(raw)
          : transformResult(raw, plugins, compiled.queryId as QueryId, this.#owner.shapes).then(
              (transformed) => new ResultProxy<Row>(transformed),
            );
      });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Runs one statement once per parameter set, all in a single protocol exchange (asyncpg's
   * `executemany`): the statement is prepared once, every set is bound and executed without
   * waiting for the previous one, and one Sync ends the batch. Resolves with the total number
   * of rows the executions affected (rows a `RETURNING` clause returns are not collected).
   *
   * **Atomic:** outside a transaction the executions share one implicit transaction, so when
   * one fails none of the sets is applied; inside a transaction a failure fails the transaction
   * (as any failed statement does). Every value is converted before anything is sent, so a value
   * that cannot be sent fails the call with nothing sent. An empty list sends nothing.
   *
   * @throws TypeError when `sql` is not a string or `parameterSets` not an array of arrays;
   *   ProgrammingError when the sets differ in length, or a value cannot be sent; otherwise as
   *   `execute` (the server's error for the first set that failed).
   * @example
   * ```ts
   * const inserted = await conn.executeMany('insert into users (name, birthday) values ($1, $2)', [
   *   ['ann', new Date('1990-01-01')],
   *   ['bob', null],
   * ]); // 2
   * // SQL: Parse once, then Bind/Execute × 2, one Sync
   * ```
   */
  executeMany(
    sql: string,
    parameterSets: readonly (readonly unknown[])[],
    options?: ExecuteOptions,
  ): Promise<number> {
    return executeMany(this as SAConnection<unknown>, sql, parameterSets, options);
  }

  /**
   * Bulk-loads rows with `COPY … FROM STDIN`, the fastest way into a table (asyncpg's
   * `copy_records_to_table` / `copy_to_table`). Resolves with the number of rows copied.
   *
   * - `copyFrom(table, rows, { columns? })`: `rows` is an iterable or async iterable of arrays,
   *   one per row, values in column order (`columns`, default all); values are converted as
   *   parameters are (dates, arrays, JSON, Buffers as bytea) and sent in COPY text format.
   *   `table` is an identifier only, never SQL: `table` or `schema.table`, a part double-quoted
   *   when it contains a dot (`"my.schema".users`); every part is quoted when sent.
   * - `copyFrom('COPY … FROM STDIN …', data)`: `data` (a string, bytes, or an iterable / async
   *   iterable of them, such as a file stream) is sent as is, in the format the statement names.
   *   The statement goes through the extended protocol, so it is exactly one statement: a string
   *   with a second one (`COPY t FROM STDIN; DROP TABLE x`) runs nothing and is refused by the
   *   server with `ProgrammingError` (42601).
   *
   * Data is sent as the socket drains. COPY is one statement: when the server rejects a row or
   * the source throws, nothing is stored (inside a transaction, the transaction fails) and the
   * error is the server's (`DataError` for bad data …) or the source's own.
   *
   * @throws TypeError for a source of the wrong shape (also a row that is not an array) or a
   *   table name that is not `table` / `schema.table`; ProgrammingError for a value that cannot
   *   be sent, or a statement string with more than one statement (42601); otherwise as `execute`.
   * @example
   * ```ts
   * await conn.copyFrom('users', [['ann', new Date('1990-01-01')], ['bob', null]], {
   *   columns: ['name', 'birthday'],
   * }); // 2
   * // SQL: COPY "users" ("name", "birthday") FROM STDIN
   * await conn.copyFrom('COPY users (name) FROM STDIN (FORMAT csv)', createReadStream('names.csv'));
   * ```
   */
  copyFrom<T extends keyof DB & string>(
    table: T,
    rows: CopyRecords,
    options?: CopyFromOptions<keyof DB[T] & string>,
  ): Promise<number>;
  copyFrom(statement: string, data: CopyData, options?: ExecuteOptions): Promise<number>;
  copyFrom(
    target: string,
    source: CopyRecords | CopyData,
    options?: CopyFromOptions,
  ): Promise<number> {
    return copyFrom(this as SAConnection<unknown>, target, source, options);
  }

  /**
   * Reads a table or a query out with `COPY … TO STDOUT` (asyncpg's `copy_from_table` /
   * `copy_from_query`), as an async iterable of Buffers: each chunk holds what arrived since
   * the last one (whole rows in the text and CSV formats). `target` is a table (`schema.table`
   * allowed; `options.columns` picks columns, text format) or a whole
   * `COPY … TO STDOUT …` statement (any query and format). Nothing is sent until iteration
   * starts; a slow consumer pauses the socket, so memory stays bounded (about 1 MB).
   *
   * While it is open, other statements on this connection raise `InterfaceError`, as during a
   * `stream()`. Leaving the loop early cancels the COPY and discards the rest; the connection
   * stays usable. A failure is thrown by the loop as a typed error.
   *
   * @throws TypeError (at once) for an empty table name or column list, or a statement that does
   *   not copy `TO STDOUT`; from the loop, as `stream()`.
   * @example
   * ```ts
   * for await (const chunk of conn.copyTo('COPY (select id, name from users) TO STDOUT (FORMAT csv)')) {
   *   file.write(chunk);
   * }
   * // or: await pipeline(Readable.from(conn.copyTo('users')), createWriteStream('users.tsv'));
   * ```
   */
  copyTo<T extends keyof DB & string>(
    table: T,
    options?: CopyToOptions<keyof DB[T] & string>,
  ): AsyncIterable<Buffer>;
  copyTo(statement: string): AsyncIterable<Buffer>;
  copyTo(target: string, options?: CopyToOptions): AsyncIterable<Buffer> {
    const { sql } = copyStatement('to', target, options?.columns);
    return copyOut(this as SAConnection<unknown>, sql);
  }

  /**
   * The first column of the first row, or `null` when there is none (aiopg's `scalar`). Takes
   * the same arguments as {@link SAConnection.execute}.
   *
   * @throws as `execute`.
   * @example
   * ```ts
   * const count = await conn.scalar('select count(*)::int from users'); // 3
   * const name = await conn.scalar(conn.db.selectFrom('users').select('name').where('id', '=', 1));
   * ```
   */
  scalar<Row>(
    query: Executable<Row>,
    options?: ExecuteOptions,
  ): Promise<ScalarOf<Row>>;
  scalar(
    query: string,
    params?: readonly unknown[],
    options?: ExecuteOptions,
  ): Promise<unknown>;
  scalar(query: string, options: ExecuteOptions): Promise<unknown>;
  async scalar(
    query: Executable<unknown> | string,
    paramsOrOptions?: readonly unknown[] | ExecuteOptions,
    options?: ExecuteOptions,
  ): Promise<unknown> {
    const args = statementArguments(paramsOrOptions, options);
    const compiled = this.#compile(query, args.params);
    const timeoutMs = statementTimeout(args.options);
    const result = await this.query(compiled.sql, compiled.parameters, 'array', timeoutMs);
    const plugins = pluginsOf(compiled);
    let rows: unknown[][];
    if (plugins === undefined) {
      const last = Array.isArray(result) ? (result.at(-1) as pg.QueryResult) : result;
      rows = last.rows as unknown[][];
    } else {
      const raw = this.#toRawResult(result);
      const queryId = compiled.queryId as QueryId;
      ({ rows } = await transformResult(raw, plugins, queryId, this.#owner.shapes));
    }
    const first = rows[0];
    return first === undefined ? null : (first[0] ?? null);
  }

  // ---- Transactions (thin: the logic lives in src/transaction/) ----

  /**
   * Begins a transaction (`BEGIN [ISOLATION LEVEL …] [READ ONLY|READ WRITE] [DEFERRABLE]`). The
   * `BEGIN` goes out with the transaction's first statement, in the same write; a transaction
   * that runs no statement sends nothing, and when the server refuses the `BEGIN` its error is
   * what the first statement rejects with (the transaction is then failed: roll it back).
   * While a transaction is active it sends nothing and returns an inner transaction joined to
   * it: its `commit()` does nothing, its `rollback()` rolls back the transaction it joined
   * (aiopg.sa's semantics).
   *
   * @throws TypeError for an unknown isolation level or option, before anything is sent;
   *   InterfaceError when options are given while a transaction is active, when a transaction
   *   begun with raw SQL is open, or when the connection is closed.
   * @example
   * ```ts
   * await using tx = await conn.begin({ isolationLevel: 'repeatable read', readOnly: true });
   * const n = await conn.scalar('select count(*) from users');
   * await tx.commit();
   * ```
   */
  begin(options?: TransactionOptions): Promise<Transaction<DB>> {
    return beginTransaction(this, options);
  }

  /**
   * Opens a savepoint (`SAVEPOINT "pgsa_savepoint_<n>"`) inside the active transaction; outside
   * a transaction it sends a plain `BEGIN` and the returned object ends the whole transaction
   * (as aiopg). Rolling a savepoint back keeps the enclosing transaction usable. Both are
   * deferred: sent with the next statement, in the same write (see {@link NestedTransaction});
   * in a failed transaction the `SAVEPOINT` is sent at once and its refusal raised here.
   *
   * @throws InterfaceError when the connection is closed; the server's error (25P02) when the
   *   transaction has failed.
   * @example
   * ```ts
   * const tx = await conn.begin();
   * const sp = await conn.beginNested();
   * await conn.execute("insert into users (name) values ('draft')");
   * await sp.rollback(); // the insert is undone, tx goes on
   * await tx.commit();
   * ```
   */
  beginNested(): Promise<NestedTransaction<DB>> {
    return beginNestedTransaction(this);
  }

  /**
   * Begins a two-phase transaction to be prepared under `xid` (a random `pgsa-<uuid>` when
   * omitted). Needs `max_prepared_transactions > 0` on the server.
   *
   * @throws TypeError for an empty xid, one with NUL or of 200 bytes or more, before anything is
   *   sent; InterfaceError when a transaction is already in progress.
   * @example
   * ```ts
   * const tx = await conn.beginTwophase('transfer-17');
   * await conn.execute('update users set name = $1 where id = $2', ['ann', 1]);
   * await tx.prepare();  // durable, invisible, survives this connection
   * await tx.commit();   // or later, anywhere: await other.commitPrepared('transfer-17')
   * ```
   */
  beginTwophase(xid?: string): Promise<TwoPhaseTransaction<DB>> {
    return beginTwoPhaseTransaction(this, xid);
  }

  /**
   * The xids of the transactions prepared in this connection's database (`pg_prepared_xacts`),
   * oldest first: what a recovering coordinator must commit or roll back.
   *
   * @example
   * ```ts
   * for (const xid of await conn.recoverTwophase()) await conn.commitPrepared(xid);
   * ```
   */
  recoverTwophase(): Promise<string[]> {
    return recoverTwophase(this);
  }

  /**
   * Commits a prepared transaction by xid (`COMMIT PREPARED 'xid'`), from any connection.
   *
   * @throws TypeError for an unusable xid; ProgrammingError (42704) when no such prepared
   *   transaction exists; InternalError (25001) inside a transaction block.
   * @example
   * ```ts
   * await conn.commitPrepared('transfer-17');
   * ```
   */
  commitPrepared(xid: string): Promise<void> {
    return commitPrepared(this, xid);
  }

  /**
   * Rolls back a prepared transaction by xid (`ROLLBACK PREPARED 'xid'`), from any connection.
   *
   * @throws TypeError for an unusable xid; ProgrammingError (42704) when no such prepared
   *   transaction exists; InternalError (25001) inside a transaction block.
   * @example
   * ```ts
   * await conn.rollbackPrepared('transfer-17');
   * ```
   */
  rollbackPrepared(xid: string): Promise<void> {
    return rollbackPrepared(this, xid);
  }

  /**
   * Runs `fn(conn)` in a transaction: commits when it resolves, rolls back and rethrows when it
   * throws (a failing rollback is logged and never hides `fn`'s error). Inside a transaction it
   * uses a savepoint, so an inner failure leaves the outer transaction usable. Not retried:
   * use `engine.transaction(fn, { retries })`, which re-runs the whole unit.
   *
   * @throws whatever `fn` throws; InterfaceError for options on a nested call; the commit's
   *   error (e.g. SerializationFailureError) when the server refuses to commit.
   * @example
   * ```ts
   * const id = await conn.transaction(async (c) => {
   *   const user = await c.db.insertInto('users').values({ name: 'ann' })
   *     .returning('id').executeTakeFirstOrThrow();
   *   await c.transaction(async () => c.execute('select 1')); // SAVEPOINT … RELEASE SAVEPOINT
   *   return user.id;
   * }, { isolationLevel: 'serializable' });
   * ```
   */
  transaction<T>(fn: TransactionCallback<DB, T>, options?: TransactionOptions): Promise<T> {
    return runInTransaction(this, fn, options);
  }

  /** Where pgsa's warnings about this connection go. @internal */
  get logger(): PgsaLogger {
    return this.#owner.options.logger;
  }

  // ---- end of transactions ----

  /**
   * Streams the rows of a statement through a server-side cursor, `batchSize` rows per round
   * trip (default 100), so memory stays bounded: the next batch is requested while the loop
   * works on the current one (two batches at most). Nothing is sent until iteration starts.
   * Leaving the loop early closes the cursor; a failure in the middle of the rows is thrown
   * by the loop as a typed error. While the stream is open, other statements on this
   * connection raise `InterfaceError`; `cancel()` stops it with `QueryCanceledError`.
   *
   * @throws (from the loop) as `execute`, plus InterfaceError when another stream is open.
   * @example
   * ```ts
   * const rows = conn.stream(conn.db.selectFrom('users').select(['id', 'name']), { batchSize: 1000 });
   * for await (const row of rows) console.log(row.id, row.name);
   * for await (const row of conn.stream('select * from generate_series(1, $1) n', [1e6])) {}
   * ```
   */
  stream<Row>(query: Executable<Row>, options?: StreamOptions): RowStream<ResultRow<Row>>;
  stream<Row = Record<string, unknown>>(
    query: string,
    params?: readonly unknown[],
    options?: StreamOptions,
  ): RowStream<Row>;
  stream<Row = Record<string, unknown>>(query: string, options: StreamOptions): RowStream<Row>;
  stream<Row>(
    query: Executable<Row> | string,
    paramsOrOptions?: readonly unknown[] | StreamOptions,
    options?: StreamOptions,
  ): RowStream<Row> {
    const args = statementArguments(paramsOrOptions, options);
    const batchSize = batchSizeOf(args.options);
    const compiled = this.#compile(query, args.params);
    return compiledRowStream<Row>(
      compiled,
      () => this.cursorBatches(compiled.sql, compiled.parameters, 'array', batchSize),
      this.#owner.shapes,
    );
  }

  /**
   * Opens a server-side cursor and yields its rows `batchSize` at a time; the cursor closes
   * when the consumer stops. Streams (`stream()`, Kysely's `.stream()`) take this path:
   * `query()` returns whole results, so it cannot, but the guards, echo and error translation
   * are the same.
   *
   * @internal
   */
  async *cursorBatches(
    sql: string,
    parameters: readonly unknown[],
    rowMode: RowMode,
    batchSize: number,
  ): AsyncGenerator<CursorBatch, void, undefined> {
    yield* this.hold<CursorBatch>(sql, parameters, 'stream', (client, translate, check) => {
      const cursor = new StreamCursor(client, sql, parameters, rowMode);
      let rows = 0;
      return {
        items: async function* () {
          for await (const batch of cursor.batches(batchSize, translate, check)) {
            rows += batch.rows.length;
            yield batch;
          }
        },
        rowCount: () => rows,
        close: () => cursor.close(),
      };
    });
  }

  /**
   * Holds the connection for a result read in several round trips (a cursor, `COPY … TO
   * STDOUT`): it waits for the statements queued before it, refuses every other statement
   * while it is open (`InterfaceError`), translates failures as `query()` does, closes the
   * source when the consumer stops, and echoes the statement once at the end.
   *
   * @internal
   */
  async *hold<T>(
    sql: string,
    parameters: readonly unknown[],
    operation: string,
    open: (
      client: pg.ClientBase,
      translate: (error: unknown) => unknown,
      check: () => void,
    ) => HeldSource<T>,
  ): AsyncGenerator<T, void, undefined> {
    this.#flushBegin(operation);
    const hold = this.#queue.hold(operation);
    const started = performance.now();
    const trace = queryChannel.hasSubscribers
      ? statementStart(this.#owner.options, this.#client, undefined, sql, parameters, this.backendPid, false)
      : undefined;
    let failure: Error | undefined;
    let source: HeldSource<T> | undefined;
    try {
      // Statements queued before it run first (they cannot fail it).
      await hold.ready;
      if (this.closed) {
        throw new ResourceClosedError(`cannot ${operation}: the connection was closed`);
      }
      if (this.#begin?.failure !== undefined) throw this.#begin.refusal(operation);
      source = open(
        this.#client,
        (error) => this.#failure(error, true),
        () => this.#guardStreamOpen(),
      );
      // Only with a watchdog: one more generator layer would cut the user's async stack trace.
      const watchdog = this.#watchdog;
      yield* watchdog === undefined ? source.items() : this.#watched(source.items(), watchdog);
    } catch (error) {
      failure = error as Error;
      throw error;
    } finally {
      // A lost connection answers nothing: waiting for the source to close would hang.
      const usable = !this.closed && !this.#broken && this.#lostError === undefined;
      if (source !== undefined && usable) await source.close();
      hold.release();
      this.#echo(sql, parameters, started, source?.rowCount() ?? 0, failure, trace);
    }
  }

  /** `items`, with each read (a round trip) under the response watchdog. */
  async *#watched<T>(items: AsyncIterable<T>, watchdog: ResponseWatchdog): AsyncGenerator<T, void, undefined> {
    const iterator = items[Symbol.asyncIterator]();
    try {
      for (;;) {
        watchdog.begin();
        let next: IteratorResult<T>;
        try {
          next = await iterator.next();
        } finally {
          watchdog.end();
        }
        if (next.done) return;
        yield next.value;
      }
    } finally {
      await iterator.return?.();
    }
  }

  /**
   * Rolls back whatever transaction is open and returns the connection to the pool. A
   * connection closed in the middle of a statement is discarded instead. Harmless when repeated.
   */
  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    // Still pending when the queue closes, so #release sees statements in flight.
    const busy = this.#queue.busy;
    this.#queue.close();
    this.#closing = this.#release(busy);
    return this.#closing;
  }

  /** `await using conn = await engine.acquire()` closes it at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /**
   * The one execution path: every statement pgsa sends on this connection (execute, `db`,
   * transactions, sessions) goes through here, with guards, echo logging and error translation;
   * `timeoutMs` > 0 cancels it when it runs longer (`statementTimeoutMs`).
   *
   * @internal
   */
  query(
    sql: string,
    parameters: readonly unknown[],
    rowMode: RowMode,
    timeoutMs = 0,
  ): Promise<pg.QueryResult> {
    return this.#statement(sql, parameters, rowMode, timeoutMs, undefined);
  }

  /** `query()`, its result handed to `map` in the same reaction (`execute`'s ResultProxy). */
  #statement<R>(
    sql: string,
    parameters: readonly unknown[],
    rowMode: RowMode,
    timeoutMs: number,
    map: ((result: pg.QueryResult) => R | PromiseLike<R>) | undefined,
  ): Promise<R> {
    const prefix = this.#prefixPending() ? this.#takePrefix(true) : undefined;
    const send = () => runStatement(this.#client, this.#cache, sql, parameters, rowMode, this.#owner.secret, prefix);
    return this.#perform(sql, parameters, timeoutMs, send, map);
  }

  /**
   * One protocol exchange other than a plain statement (executeMany, COPY) through the same
   * path as `query()`: guards, queueing, echo, error translation, and `options`' timeout.
   * `run` sends it on the client once the statements before it are done.
   *
   * @internal
   */
  exchange(
    sql: string,
    echoParameters: readonly unknown[],
    run: (client: pg.ClientBase, cache: StatementCache | undefined, secret: string | undefined) => Promise<pg.QueryResult>,
    options: ExecuteOptions | undefined,
    abort?: () => void,
  ): Promise<pg.QueryResult> {
    this.#flushBegin('execute');
    return this.#perform(sql, echoParameters, statementTimeout(options), () => {
      this.#abort = abort;
      const sent = run(this.#client, this.#cache, this.#owner.secret);
      const done = () => {
        if (this.#abort === abort) this.#abort = undefined;
      };
      sent.then(done, done);
      return sent;
    });
  }

  /**
   * `query()` for any exchange: `send` runs once the exchanges called before it are done
   * (under a client-side timer when `timeoutMs` > 0, started when it starts), with echo and
   * error translation.
   */
  #perform<R = pg.QueryResult>(
    sql: string,
    parameters: readonly unknown[],
    timeoutMs: number,
    send: () => Promise<pg.QueryResult>,
    map?: (result: pg.QueryResult) => R | PromiseLike<R>,
  ): Promise<R> {
    const started = performance.now();
    const trace = queryChannel.hasSubscribers
      ? statementStart(this.#owner.options, this.#client, this.#cache, sql, parameters, this.backendPid, false)
      : undefined;
    let start = this.#transactionFailure === undefined ? send : this.#forgettingFailure(send);
    if (this.#begin !== undefined) start = this.#refusingAfterFailedBegin(sql, start);
    const watchdog = this.#watchdog;
    let sent: Promise<pg.QueryResult>;
    try {
      // A refusal (closed, stream open) sends nothing and queues nothing: the caller gets it
      // untranslated, as a rejection.
      sent =
        timeoutMs === 0
          ? this.#queue.run('execute', start)
          : this.#queue.runTimed(
              'execute',
              start,
              timeoutMs,
              () => this.#cancelRunning(),
              () => this.#abandon(),
            );
    } catch (error) {
      return Promise.reject(error);
    }
    watchdog?.begin();
    // Reactions rather than an async frame: one promise per statement instead of two (each
    // costs an AsyncLocalStorage hook under the request middleware).
    return sent.then(
      (result) => {
        try {
          // ROLLBACK TO SAVEPOINT made the transaction usable again.
          if (this.#transactionFailure !== undefined && this.#client.getTransactionStatus?.() === 'T') {
            this.#transactionFailure = undefined;
          }
          this.#echo(sql, parameters, started, result.rowCount, undefined, trace);
        } finally {
          watchdog?.end();
          this.#queue.done();
        }
        return map === undefined ? (result as R) : map(result);
      },
      (error: unknown) => {
        try {
          const translated = this.#failure(error, false);
          this.#echo(sql, parameters, started, undefined, translated, trace);
          throw translated;
        } finally {
          watchdog?.end();
          this.#queue.done();
        }
      },
    );
  }

  /** `send`, forgetting the recorded failure when, as it starts, no transaction is open. */
  #forgettingFailure(send: () => Promise<pg.QueryResult>): () => Promise<pg.QueryResult> {
    return () => {
      if (!this.inTransaction) this.#transactionFailure = undefined;
      return send();
    };
  }

  /**
   * Cancels the statement (or stream) running on this connection: it fails with
   * `QueryCanceledError` and the connection stays usable. Statements queued behind it still
   * run. Resolves once the server received the request; does nothing when nothing runs. A
   * statement that completes just before the request arrives is not affected.
   *
   * @example
   * ```ts
   * const slow = conn.execute('select pg_sleep(60)');
   * await conn.cancel(); // slow rejects with QueryCanceledError
   * ```
   */
  async cancel(): Promise<void> {
    if (!this.#queue.busy) return;
    await this.#cancelRunning();
  }

  /**
   * Gives up a connection that did not answer a timed-out statement's cancel request: its state
   * is unknown, so its socket is destroyed (the statement can never complete later) and the
   * connection is discarded on release.
   */
  #abandon(): void {
    this.#broken = true;
    socketOf(this.#client).destroy();
  }

  /** A cancel request, after telling an exchange that waits on the client (COPY) to stop. */
  #cancelRunning(): Promise<void> {
    this.#abort?.();
    return sendCancelRequest(this.#client);
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
    if (this.#queue.busy) await sendCancelRequest(this.#client).catch(() => {});
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
    this.#queue.close();
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
    if (this.closed) {
      throw new ResourceClosedError(`cannot ${operation}: the connection is closed`);
    }
  }

  #guardStreamOpen(): void {
    if (this.closed) throw this.#interrupted(undefined);
  }

  /**
   * What every path does with a failure: note a connection the server has closed, translate
   * the error to pgsa's class (the socket error that killed the connection wins over the
   * symptom), remember it when it failed the open transaction, and say so when the engine was terminated under the statement (or, for a
   * stream, the connection was closed under it).
   */
  #failure(error: unknown, streaming: boolean): Error {
    if (isConnectionFatal(error)) this.#broken = true;
    const translated = translateError(this.#lostError ?? error, this.#owner.secret) as Error;
    if (this.#transactionFailure === undefined && this.transactionFailed) {
      this.#transactionFailure = translated;
    }
    if (this.#terminated || (streaming && this.closed)) return this.#interrupted(translated);
    return translated;
  }

  /** Why a statement or an open stream cannot go on: the engine was terminated, or the connection closed. */
  #interrupted(cause: unknown): Error {
    const options = cause === undefined ? {} : { cause };
    if (this.#terminated) {
      return new OperationalError(
        'Connection terminated: the engine was terminated while the statement ran',
        {},
        options,
      );
    }
    return new ResourceClosedError('cannot read the stream: the connection was closed', options);
  }

  #compile(query: Executable<unknown> | string, params: readonly unknown[] | undefined): Statement {
    // A `sql` template compiles with a Kysely; the engine's compiles the same SQL, and binding
    // one to every acquired connection just to compile would cost an allocation-heavy object
    // per acquire on the hot path.
    return compileStatement(query, params, this.#db ?? this.#owner.db);
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
    error: Error | undefined,
    trace: QueryTrace | undefined,
  ): void {
    const owner = this.#owner;
    echoStatement(owner.options, owner.metrics, sql, parameters, started, rowCount, error, this.backendPid, trace, this.#cache);
  }

  #release(busy: boolean): Promise<void> {
    // The socket may not have ended yet after a FATAL error: never pool such a client.
    const destroy = this.#lostError !== undefined || this.#broken || busy;
    // A BEGIN never sent (or refused) left nothing open on the server; savepoint commands
    // not sent are moot (what is open is rolled back).
    this.#begin?.drop();
    this.#savepoints?.clear();
    if (destroy || this.inTransaction || this.#held !== undefined || this.#owner.options.resetOnRelease) {
      return this.#releaseAfterCleanUp(destroy);
    }
    // The common case, nothing to send first: no async frame of its own.
    try {
      this.#handBack(false);
    } catch (error) {
      return Promise.reject(error);
    }
    return RESOLVED;
  }

  /** `#release` when a statement may have to run first (ROLLBACK, UNLISTEN, the reset). */
  async #releaseAfterCleanUp(destroyed: boolean): Promise<void> {
    let destroy = destroyed;
    if (!destroy && this.inTransaction) {
      this.#owner.options.logger.warn?.(
        `connection ${this.backendPid} was released inside a transaction; rolling it back`,
      );
      destroy = !(await this.#releaseStatement('ROLLBACK'));
    }
    // Awaited only after conn.listen: other releases keep their timing.
    if (this.#held !== undefined) destroy = await this.#unlistenBeforeRelease(this.#held, destroy);
    if (!destroy && this.#owner.options.resetOnRelease) {
      // Opt-in: one round trip. A connection that cannot be reset is not handed out again.
      destroy = !(await this.#releaseStatement(RESET_SESSION_SQL));
    }
    this.#handBack(destroy);
  }

  /** Returns the client to the engine's pool (discarded when `destroy`). */
  #handBack(destroy: boolean): void {
    const client = this.#client;
    (client as TrackedClient)[HOLDER] = null;
    this.#owner.releaseClient(this, client, destroy);
  }

  /** Runs a clean-up statement of `#release`; false when it failed. */
  async #releaseStatement(sql: string): Promise<boolean> {
    this.#watchdog?.begin();
    try {
      await runQuery(this.#client, sql);
      return true;
    } catch {
      return false;
    } finally {
      this.#watchdog?.end();
    }
  }

  // --- LISTEN / NOTIFY (issue 14) ---

  /** LISTEN state of this holder of the client, made on first use. */
  #held: HeldNotifications | undefined;

  /**
   * Sends `LISTEN "channel"` on this connection (aiopg style); read what arrives from
   * {@link SAConnection.notifications}. Releasing the connection sends `UNLISTEN *` (only when
   * this method was used: a LISTEN sent as raw SQL is not tracked, use `resetOnRelease`), so the
   * pooled connection's next user never receives these notifications. Inside a transaction,
   * LISTEN takes effect at COMMIT and is undone by ROLLBACK, as in PostgreSQL.
   *
   * @throws TypeError for an invalid channel name; NotSupportedError when the engine is
   *   configured for PgBouncer; as `execute()`.
   * @example
   * ```ts
   * await using conn = await engine.acquire();
   * await conn.listen('channel');
   * for await (const { payload } of conn.notifications) if (payload === 'finish') break;
   * ```
   */
  async listen(channel: string): Promise<void> {
    checkChannel(channel);
    this.#guardOpen('listen');
    refuseBehindPgBouncer(this.#owner.options.pgbouncer === true);
    this.#heldNotifications().listening();
    await this.query(listenSql(channel), [], 'array');
  }

  /**
   * Sends `UNLISTEN "channel"` on this connection.
   *
   * @throws TypeError for an invalid channel name; as `execute()`.
   */
  async unlisten(channel: string): Promise<void> {
    checkChannel(channel);
    await this.query(unlistenSql(channel), [], 'array');
  }

  /**
   * The notifications this connection receives while it is held, in arrival order, for every
   * channel it LISTENs (at most 10000 buffered; the oldest are dropped beyond that, with a
   * warning). A loop over it ends when the connection is released.
   *
   * @throws ResourceClosedError when read after the connection was released.
   * @example
   * ```ts
   * for await (const n of conn.notifications) console.log(n.channel, n.payload, n.processId);
   * ```
   */
  get notifications(): AsyncIterable<Notification> {
    // A released connection's client serves someone else now.
    this.#guardOpen('read notifications');
    return this.#heldNotifications().iterable;
  }

  /**
   * `select pg_notify($1, $2)` on this connection: inside a transaction it is delivered at
   * COMMIT, and never when the transaction rolls back.
   *
   * @throws TypeError for an invalid channel name or a payload that is not a string;
   *   DataError for a payload over 7999 bytes (UTF-8), before anything is sent; as `execute()`.
   * @example
   * ```ts
   * await conn.transaction(async (tx) => { await tx.notify('orders', '42'); }); // sent at COMMIT
   * ```
   */
  async notify(channel: string, payload = ''): Promise<void> {
    checkNotifyArguments(channel, payload);
    await this.query(NOTIFY_SQL, [channel, payload], 'array');
  }

  #heldNotifications(): HeldNotifications {
    this.#held ??= new HeldNotifications(this.#client, (message) =>
      this.#owner.options.logger.warn?.(message),
    );
    return this.#held;
  }

  /** UNLISTEN * before the client goes back to the pool, only when LISTEN was used; `destroy` when it fails. */
  async #unlistenBeforeRelease(held: HeldNotifications, destroy: boolean): Promise<boolean> {
    const discard = destroy || (held.listened && !(await this.#releaseStatement(UNLISTEN_ALL_SQL)));
    held.detach();
    return discard;
  }

  // --- asyncpg conveniences (issue 12) ---

  /**
   * Every row of a statement, as `RowProxy` objects (asyncpg's `fetch`). Takes what
   * {@link SAConnection.execute} takes; the row type is inferred from builders.
   *
   * @throws as `execute`.
   * @example
   * ```ts
   * const users = await conn.fetch(conn.db.selectFrom('users').select(['id', 'name']));
   * const rows = await conn.fetch('select * from users where id > $1', [10]);
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
   * const user = await conn.fetchRow('select id, name from users where id = $1', [1]);
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
   * const n = await conn.fetchVal('select count(*)::int from users');
   * const name = await conn.fetchVal(conn.db.selectFrom('users').select(['id', 'name']), { column: 'name' });
   * ```
   */
  fetchVal<Row, Column extends keyof ResultRow<Row> & string = never>(query: Executable<Row>, options?: FetchValOptions<Column>): Promise<FetchedValue<ResultRow<Row>, Column>>;
  fetchVal(query: string, params?: readonly unknown[], options?: FetchValOptions): Promise<unknown>;
  fetchVal(query: string, options: FetchValOptions): Promise<unknown>;
  fetchVal(query: Executable<unknown> | string, second?: readonly unknown[] | FetchValOptions, third?: FetchValOptions): Promise<unknown> {
    return fetchValOf(this as Executor, query, second, third);
  }

  /**
   * Prepares a statement on this connection as a named server-side statement (asyncpg's
   * `prepare`) and returns it: its `fetch(...params)`, `fetchRow`, `fetchVal`, `execute`,
   * `executeMany` and `stream` send only the parameters. `close()` (or `await using`)
   * deallocates it; releasing the connection makes it unusable.
   *
   * @throws ProgrammingError (42601 …) when the server cannot prepare it; NotSupportedError
   *   (thrown at once) when the engine is configured for PgBouncer; otherwise as `execute`.
   * @example
   * ```ts
   * await using stmt = await conn.prepare(conn.db.selectFrom('users').select(['id', 'name']).where('id', '>', 0));
   * const rows = await stmt.fetch(10); // SQL: select "id", "name" from "users" where "id" > $1
   * ```
   */
  prepare<Row>(query: Executable<Row>): Promise<PreparedStatement<ResultRow<Row>>>;
  prepare<Row = Record<string, unknown>>(query: string): Promise<PreparedStatement<Row>>;
  prepare(query: Executable<unknown> | string): Promise<PreparedStatement<unknown>> {
    refuseCallBehindPgBouncer(this.#owner.options.pgbouncer === true, 'prepare');
    const self = this as SAConnection<unknown>;
    return prepareStatement(self, this.#ownHost(), this.#owner.shapes, this.#compile(query, undefined));
  }

  /**
   * Opens a server-side cursor (`DECLARE … NO SCROLL CURSOR`) inside the current transaction
   * (asyncpg's `cursor`): await it for a {@link Cursor} (`fetch(n)`, `fetchRow()`,
   * `forward(n)`, `close()`), or iterate it directly, `batchSize` rows per round trip.
   *
   * @throws InterfaceError (when awaited) outside a transaction, or when the cursor is used
   *   after its transaction ended; otherwise as `execute`.
   * @example
   * ```ts
   * await conn.transaction(async () => {
   *   for await (const row of conn.cursor('select * from big where id > $1', [0], { batchSize: 500 })) {}
   *   const cur = await conn.cursor(conn.db.selectFrom('users').select('name'));
   *   const ten = await cur.fetch(10);
   * });
   * ```
   */
  cursor<Row>(query: Executable<Row>, options?: CursorOptions): PendingCursor<ResultRow<Row>>;
  cursor<Row = Record<string, unknown>>(query: string, params?: readonly unknown[], options?: CursorOptions): PendingCursor<Row>;
  cursor<Row = Record<string, unknown>>(query: string, options: CursorOptions): PendingCursor<Row>;
  cursor(query: Executable<unknown> | string, second?: readonly unknown[] | CursorOptions, third?: CursorOptions): PendingCursor<unknown> {
    const opened = (async () => {
      const args = statementArguments(second, third);
      const statement = this.#compile(query, args.params);
      return openCursor<unknown>(this as SAConnection<unknown>, this.#ownHost(), this.#owner.shapes, statement, args.options);
    })();
    return pendingCursor(opened);
  }

  /** What a prepared statement or cursor of this connection runs through: the connection itself. */
  #ownHost(): PreparedHost {
    const self = this as SAConnection<unknown>;
    return {
      run: (_operation, send) => send(self),
      stream: (sql, params, options) => self.stream(sql, [...params], options),
    };
  }

  // --- type codecs (issue 13) ---

  /**
   * Registers how the PostgreSQL type `typeName` is decoded (and optionally encoded) on this
   * physical connection only, over the engine's codecs (asyncpg's `conn.set_type_codec`); it
   * stays with the connection when it goes back to the pool. See `Engine.setTypeCodec`.
   *
   * @throws TypeError for a missing name or `decode`; ProgrammingError "unknown type …" when
   *   the database has no such type.
   * @example
   * ```ts
   * await conn.setTypeCodec('point', { decode: (t) => t.slice(1, -1).split(',').map(Number) });
   * ```
   */
  async setTypeCodec<T>(typeName: string, codec: TypeCodec<T>): Promise<void> {
    await registerConnectionTypeCodec(this.#client, typeName, codec);
  }

  // --- operations (issue 17) ---

  /**
   * Closes the socket now, without a cancel request (the network may be cut): the statement in
   * flight fails with `OperationalError` and the connection is discarded when released. Used by
   * `engine.ping()` / `engine.health()` when their deadline passes.
   *
   * @internal
   */
  abandonSocket(): void {
    this.#abandon();
  }

  // --- deferred BEGIN and savepoint commands (issue 18): sent with the next statement ---

  /** The connection's deferred BEGIN, made on first use. */
  #begin: DeferredBegin | undefined;
  /** Its deferred savepoint commands, made on first use. */
  #savepoints: DeferredSavepoints | undefined;

  /**
   * Records `sql` (a `BEGIN …`) to go out with the next statement on this connection instead of
   * in a round trip of its own; `answered` is called once the server answered it. @internal
   */
  deferBegin(sql: string, answered: BeginAnswered): void {
    this.#guardOpen('begin');
    (this.#begin ??= new DeferredBegin()).defer(sql, answered);
  }

  /**
   * Ends a transaction whose BEGIN never reached the server (no statement ran) or failed: true
   * then, and no COMMIT / ROLLBACK must be sent. @internal
   */
  dropBegin(): boolean {
    return this.#begin?.drop() ?? false;
  }

  #beginOpen(): boolean {
    return this.#begin?.open === true;
  }

  /**
   * Records a savepoint command (`SAVEPOINT …`, `RELEASE SAVEPOINT …`) to go out with the next
   * statement on this connection instead of in a round trip of its own; `answered` is called
   * once the server answered it. @internal
   */
  deferSavepointCommand(sql: string, answered: SavepointAnswered): DeferredCommand {
    this.#guardOpen('beginNested');
    return (this.#savepoints ??= new DeferredSavepoints()).defer(sql, answered);
  }

  /**
   * Forgets `command` when it never reached the server (no statement ran) or failed: true
   * then, and nothing must be sent to undo it. @internal
   */
  dropSavepointCommand(command: DeferredControl): boolean {
    const deferred = command as DeferredCommand;
    return this.#savepoints?.drop(deferred) ?? deferred.state === 'failed';
  }

  #prefixPending(): boolean {
    return this.#begin?.pending === true || this.#savepoints?.pending === true;
  }

  /**
   * The pending BEGIN and savepoint commands, in order, for the exchange being queued, which
   * sends them. `carried`: they go out with a statement, which reports their failure and logs
   * them here; else they are an exchange of their own (logged by it), and a failed BEGIN is
   * reported by the exchange behind it.
   */
  #takePrefix(carried: boolean): PendingPrefix {
    // A refused statement (closed, a stream open) must not take them: they would never be sent.
    this.#queue.guard('execute');
    const translate = carried ? (error: Error) => this.#failure(error, false) : (error: Error) => error;
    const echo = carried ? (sql: string) => this.#echoOf(sql) : () => undefined;
    const taken: TakenStatement[] = [];
    const begin = this.#begin;
    if (begin?.pending === true) {
      taken.push(begin.take(translate, echo(begin.sql as string)) as TakenStatement);
    }
    if (this.#savepoints?.pending === true) taken.push(...this.#savepoints.take(translate, echo));
    return {
      statements: taken.map((statement) => statement.sql),
      settle: (error, failedAt) => {
        // Those after the one that failed did not run: they fail with it.
        taken.forEach((statement, index) => statement.settle(index < failedAt ? undefined : error));
      },
    };
  }

  /** Logs a control statement sent ahead of another one when the server answered it. */
  #echoOf(sql: string): (error: Error | undefined) => void {
    const started = performance.now();
    const trace = queryChannel.hasSubscribers
      ? statementStart(this.#owner.options, this.#client, undefined, sql, [], this.backendPid, false)
      : undefined;
    return (error) => this.#echo(sql, [], started, null, error, trace);
  }

  /**
   * Sends the pending BEGIN and savepoint commands as an exchange of their own, ahead of an
   * exchange that cannot carry them (executeMany, COPY, streams, cursors). A failure is
   * reported by the exchange behind it.
   */
  #flushBegin(operation: string): void {
    if (!this.#prefixPending()) return;
    this.#queue.guard(operation);
    const prefix = this.#takePrefix(false);
    this.#perform(prefix.statements.join('; '), [], 0, () => sendPrefix(this.#client, prefix)).catch(() => {});
  }

  /**
   * `send`, refused while the transaction's BEGIN has failed (it would run in autocommit); a
   * `ROLLBACK` queued behind it ends that transaction instead (sent: harmless with none open).
   */
  #refusingAfterFailedBegin(sql: string, send: () => Promise<pg.QueryResult>): () => Promise<pg.QueryResult> {
    return () => {
      const begin = this.#begin;
      if (begin?.failure !== undefined) {
        if (sql !== 'ROLLBACK') return Promise.reject(begin.refusal('execute'));
        begin.drop();
      }
      return send();
    };
  }
}
