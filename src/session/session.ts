import type { NoSchema } from '../sql/no-schema.js';
import type { Kysely } from 'kysely';
import type pg from 'pg';
import type { Executable, ResultRow } from '../connection/executable.js';
import type { SAConnection } from '../connection/sa-connection.js';
import type { RowMode } from '../protocol/protocol-query.js';
import {
  batchSizeOf,
  type ExecuteOptions,
  statementArguments,
  type StreamOptions,
} from '../connection/stream-options.js';
import { type CopyFromOptions, type CopyToOptions, copyFrom } from '../connection/bulk-writes.js';
import type { CopyData, CopyRecords } from '../protocol/copy-in-query.js';
import { copyStatement } from '../sql/copy-sql.js';
import type { CursorBatch } from '../protocol/stream-cursor.js';
import { copyOut } from '../connection/copy-out.js';
import { createKysely } from '../dialect/create-kysely.js';
import type { Engine } from '../engine/engine.js';
import { ResourceClosedError } from '../errors/pgsa-error.js';
import { refuseBehindPgBouncer } from '../errors/pgbouncer-refusal.js';
import type { ResultProxy, ScalarOf } from '../result/result-proxy.js';
import { compiledRowStream } from '../result/compiled-row-stream.js';
import type { RowStream } from '../result/row-stream.js';
import { compileStatement } from '../connection/compile-statement.js';
import type { NestedTransaction } from '../transaction/nested-transaction.js';
import { beginUnit, rollBackQuietly } from '../transaction/run-in-transaction.js';
import type { Transaction } from '../transaction/transaction.js';
import {
  type TransactionOptions,
  validateTransactionOptions,
} from '../sql/transaction-sql.js';
import { LazyConnection } from './lazy-connection.js';
import { sessionKyselyHost } from './session-target.js';
import { SessionGate } from './session-gate.js';
import { checkNotifyArguments } from '../notify/notification.js';
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
import {
  type PreparedHost,
  type PreparedStatement,
  prepareStatement,
} from '../connection/prepared-statement.js';
import {
  type CursorOptions,
  openCursor,
  type PendingCursor,
  pendingCursor,
} from '../connection/cursor.js';

/** `SAConnection.execute`/`scalar` called with the arguments a session received. */
type ForwardedCall<T> = (
  query: Executable<unknown> | string,
  paramsOrOptions?: readonly unknown[] | ExecuteOptions,
  options?: ExecuteOptions,
) => Promise<T>;

/**
 * A unit of work on one engine (context-async-sqlalchemy's session): an `SAConnection` whose
 * transaction begins lazily. No pool connection is taken and no `BEGIN` is sent until the first
 * operation; every operation then runs inside the session's current transaction, which lasts
 * until `commit()` or `rollback()`; the next operation begins a new one on the same connection.
 * `close()` rolls back what is uncommitted and returns the connection.
 *
 * The session's transaction is a pgsa {@link Transaction} of its connection, so transaction
 * objects, savepoints (`beginNested()`, `transaction(fn)`, Kysely's `db.transaction()`) and
 * errors behave as on a connection. Under the test kit (`pgsa/testing`) the session's
 * transaction is a savepoint of the pinned test transaction instead.
 *
 * Get one with `dbSession(engine)` (the session of the current async context), or
 * `newSession(engine)` / `newAtomicSession(engine, fn)` for work outside the context.
 * Operations on one session run in call order.
 *
 * @example
 * ```ts
 * const session = await dbSession(engine);       // no connection yet
 * await session.db.insertInto('users').values({ name: 'ann' }).execute(); // BEGIN; INSERT …
 * await session.commit();                         // COMMIT
 * ```
 */
export class Session<DB = NoSchema> {
  readonly #engine: Engine<DB>;
  readonly #gate = new SessionGate();
  readonly #lazy: LazyConnection<DB>;
  /** Set by `close()`: calls from then on are refused. */
  #closing: Promise<void> | undefined;
  /** Set once the connection is released: steps queued before `close()` are refused too. */
  #released = false;
  #closedBecause = 'the session is closed';
  #db: Kysely<DB> | undefined;

  /** @internal Sessions are made by `dbSession`, `newSession` and `newAtomicSession`. */
  constructor(engine: Engine<DB>, readOnly = false) {
    this.#engine = engine;
    this.#lazy = new LazyConnection(engine, readOnly);
    this.readOnly = readOnly;
  }

  /**
   * True for a read-only session (`dbSession(engine, { readOnly: true })`): its connection
   * comes from `engine.readonly` (a replica when one is usable) and its transactions begin
   * `READ ONLY`, so a write fails with `ReadOnlySqlTransactionError` wherever it runs.
   */
  readonly readOnly: boolean;

  /** The engine whose pool lends this session its connection. */
  get engine(): Engine<DB> {
    return this.#engine;
  }

  /**
   * A `Kysely<DB>` bound to this session: queries built and executed through it take the
   * session's connection and run inside its transaction (beginning it when none is open).
   * `db.transaction()` begins the session's transaction when none is open (with Kysely's
   * isolation level; `'snapshot'` is refused with TypeError) and is a savepoint inside one.
   *
   * @example
   * ```ts
   * const users = await session.db.selectFrom('users').selectAll().execute();
   * ```
   */
  get db(): Kysely<DB> {
    this.#db ??= createKysely<DB>(sessionKyselyHost(this));
    return this.#db;
  }

  /** True while the session holds a pool connection (after its first operation, until close). */
  get connected(): boolean {
    return this.#lazy.connection !== undefined;
  }

  /** True once `close()` was called (directly or because the session's context ended). */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /** True while the session has an open (or failed) transaction. */
  get inTransaction(): boolean {
    return this.#lazy.open() !== undefined;
  }

  /** The server process id of the session's connection, or `undefined` before the first query. */
  get backendPid(): number | undefined {
    return this.#lazy.connection?.backendPid;
  }

  /**
   * Executes a statement inside the session's transaction (taking a connection and sending
   * `BEGIN` first when needed) and returns its result, exactly as `SAConnection.execute`.
   *
   * @throws ResourceClosedError (an `InterfaceError`) when the session is closed;
   *   `PoolTimeoutError` when no connection frees up in time; otherwise as
   *   `SAConnection.execute` (InterfaceError while a stream is open, `DatabaseError` subclasses).
   * @example
   * ```ts
   * const result = await session.execute(session.db.selectFrom('users').select('name'));
   * ```
   */
  execute<Row>(
    query: Executable<Row>,
    options?: ExecuteOptions,
  ): Promise<ResultProxy<ResultRow<Row>>>;
  execute<Row = Record<string, unknown>>(
    query: string,
    params?: readonly unknown[],
    options?: ExecuteOptions,
  ): Promise<ResultProxy<Row>>;
  execute<Row = Record<string, unknown>>(
    query: string,
    options: ExecuteOptions,
  ): Promise<ResultProxy<Row>>;
  execute(
    query: Executable<unknown> | string,
    paramsOrOptions?: readonly unknown[] | ExecuteOptions,
    options?: ExecuteOptions,
  ): Promise<ResultProxy<unknown>> {
    return this.#statement('execute', (conn) =>
      (conn.execute as ForwardedCall<ResultProxy<unknown>>).call(conn, query, paramsOrOptions, options),
    );
  }

  /**
   * The first column of the first row, or `null` (as `SAConnection.scalar`), inside the
   * session's transaction.
   *
   * @throws as {@link Session.execute}.
   * @example
   * ```ts
   * const n = await session.scalar('select count(*)::int from users');
   * ```
   */
  scalar<Row>(
    query: Executable<Row>,
    options?: ExecuteOptions,
  ): Promise<ScalarOf<Row>>;
  scalar(query: string, params?: readonly unknown[], options?: ExecuteOptions): Promise<unknown>;
  scalar(query: string, options: ExecuteOptions): Promise<unknown>;
  scalar(
    query: Executable<unknown> | string,
    paramsOrOptions?: readonly unknown[] | ExecuteOptions,
    options?: ExecuteOptions,
  ): Promise<unknown> {
    return this.#statement('execute', (conn) =>
      (conn.scalar as ForwardedCall<unknown>).call(conn, query, paramsOrOptions, options),
    );
  }

  /**
   * Runs one statement once per parameter set in a single exchange (as
   * `SAConnection.executeMany`), inside the session's transaction; resolves with the rows
   * affected. A failure fails the session's transaction, so none of the sets is kept.
   *
   * @throws as `SAConnection.executeMany`; ResourceClosedError when the session is closed.
   * @example
   * ```ts
   * await session.executeMany('insert into users (name) values ($1)', [['ann'], ['bob']]);
   * ```
   */
  executeMany(
    sql: string,
    parameterSets: readonly (readonly unknown[])[],
    options?: ExecuteOptions,
  ): Promise<number> {
    return this.#statement('execute', (conn) => conn.executeMany(sql, parameterSets, options));
  }

  /**
   * Bulk-loads rows with `COPY … FROM STDIN` (as `SAConnection.copyFrom`) inside the
   * session's transaction; resolves with the number of rows copied.
   *
   * @throws as `SAConnection.copyFrom`; ResourceClosedError when the session is closed.
   * @example
   * ```ts
   * await session.copyFrom('users', [['ann'], ['bob']], { columns: ['name'] });
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
    return this.#statement('execute', (conn) =>
      copyFrom(conn as SAConnection<unknown>, target, source, options),
    );
  }

  /**
   * Streams rows through a server-side cursor inside the session's transaction, as
   * `SAConnection.stream`: nothing happens until iteration starts, which takes the connection
   * and begins the transaction when needed. While the stream is open, other operations on the
   * session raise `InterfaceError` ("another operation is in progress").
   *
   * @throws InterfaceError (at once) for arguments of the wrong shape; from the loop, as
   *   `SAConnection.stream`, and ResourceClosedError when the session is closed.
   * @example
   * ```ts
   * for await (const row of session.stream(session.db.selectFrom('users').select('name'))) {
   *   console.log(row.name);
   * }
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
    const compiled = compileStatement(query, args.params, this.#engine.db);
    return compiledRowStream<Row>(
      compiled,
      () => this.cursorBatches(compiled.sql, compiled.parameters, 'array', batchSize),
      this.#engine.shapes,
    );
  }

  /**
   * Reads a table or query out with `COPY … TO STDOUT` inside the session's transaction, as
   * `SAConnection.copyTo` (Buffers; nothing is sent until iteration starts; other operations
   * on the session raise `InterfaceError` while it is read).
   *
   * @throws TypeError (at once) as `SAConnection.copyTo`; from the loop, as it.
   * @example
   * ```ts
   * for await (const chunk of session.copyTo('users', { columns: ['name'] })) out.write(chunk);
   * ```
   */
  copyTo<T extends keyof DB & string>(
    table: T,
    options?: CopyToOptions<keyof DB[T] & string>,
  ): AsyncIterable<Buffer>;
  copyTo(statement: string): AsyncIterable<Buffer>;
  copyTo(target: string, options?: CopyToOptions): AsyncIterable<Buffer> {
    const { sql } = copyStatement('to', target, options?.columns);
    return {
      [Symbol.asyncIterator]: () =>
        this.#held('copy', (conn) => copyOut(conn as SAConnection<unknown>, sql)),
    };
  }

  /**
   * Begins the session's transaction explicitly, e.g. with an isolation level, and returns it
   * (ending it, also through `session.commit()` / `rollback()`, ends the session's
   * transaction). When one is open it behaves as `SAConnection.begin`: it sends nothing and
   * returns an inner transaction joined to it (options are then refused). Under the test kit
   * the transaction is a savepoint and options cannot change it: they are checked and ignored.
   *
   * @throws TypeError for unknown options, before a connection is taken; InterfaceError for
   *   options while a transaction is open; ResourceClosedError when the session is closed.
   * @example
   * ```ts
   * await session.begin({ isolationLevel: 'serializable' }); // BEGIN ISOLATION LEVEL SERIALIZABLE
   * await session.execute('update users set name = $1 where id = $2', ['ann', 1]);
   * await session.commit();
   * ```
   */
  begin(options?: TransactionOptions): Promise<Transaction<DB>> {
    return this.#control('begin', async () => {
      const validated = validateTransactionOptions(options);
      const open = this.#lazy.open();
      if (open !== undefined) return open.connection.begin(validated);
      return this.#lazy.begin(validated);
    });
  }

  /**
   * Opens a savepoint inside the session's transaction (`SAVEPOINT "pgsa_savepoint_<n>"`),
   * beginning that transaction first when none is open, as SQLAlchemy's `begin_nested()`.
   * Rolling the savepoint back keeps the session's transaction usable.
   *
   * @throws ResourceClosedError when the session is closed; as `SAConnection.beginNested`.
   * @example
   * ```ts
   * const savepoint = await session.beginNested(); // BEGIN; SAVEPOINT "pgsa_savepoint_1"
   * await session.execute("insert into users (name) values ('draft')");
   * await savepoint.rollback();                    // the insert is undone, the session goes on
   * ```
   */
  beginNested(): Promise<NestedTransaction<DB>> {
    return this.#control('beginNested', async () => {
      const tx = await this.#lazy.ensure();
      return tx.connection.beginNested();
    });
  }

  /**
   * Runs `fn(session)` as a unit, as `SAConnection.transaction`: it begins the session's
   * transaction (with `options`) when none is open and commits it when `fn` resolves; inside an
   * open transaction it uses a savepoint. When `fn` throws, the unit is rolled back and the
   * error rethrown (a failing rollback is logged, never thrown instead).
   *
   * @throws whatever `fn` throws; InterfaceError for options inside an open transaction; the
   *   commit's error; ResourceClosedError when the session is closed.
   * @example
   * ```ts
   * const id = await session.transaction(async (s) =>
   *   s.scalar("insert into users (name) values ('ann') returning id"),
   * );
   * ```
   */
  async transaction<T>(
    fn: (session: Session<DB>) => T | PromiseLike<T>,
    options?: TransactionOptions,
  ): Promise<T> {
    if (typeof fn !== 'function') throw new TypeError('transaction(fn) expects a function');
    const unit = await this.beginUnit(options);
    let result: T;
    try {
      result = await fn(this);
      await this.endUnit(unit, 'commit');
    } catch (error) {
      await this.endUnit(unit, 'rollback', error);
      throw error;
    }
    return result;
  }

  /**
   * Commits the current transaction; does nothing when none is open. The session stays usable:
   * the next operation begins a new transaction on the same connection.
   *
   * @throws InterfaceError when a statement failed inside the transaction (it is rolled back
   *   instead, and the failure is the `cause`), when a savepoint opened in it is still active,
   *   or when the session is closed; `IntegrityError` etc. when the server refuses the commit
   *   (e.g. a deferred constraint): the transaction is then rolled back.
   * @example
   * ```ts
   * await session.execute("insert into users (name) values ('ann')");
   * await session.commit();
   * ```
   */
  commit(): Promise<void> {
    return this.#control('commit', async () => {
      // Statements still running may fail the transaction: decide once they are done.
      await this.#gate.settled();
      await this.#lazy.open()?.commit();
    });
  }

  /**
   * Rolls back the current transaction, with any savepoint opened in it; does nothing when
   * none is open. The session stays usable.
   *
   * @throws ResourceClosedError when the session is closed; `OperationalError` when the
   *   connection is lost (the server then discards the work anyway).
   * @example
   * ```ts
   * await session.execute("insert into users (name) values ('draft')");
   * await session.rollback(); // ROLLBACK: the insert is undone
   * ```
   */
  rollback(): Promise<void> {
    return this.#control('rollback', () => this.#lazy.rollback());
  }

  /**
   * Rolls back whatever is uncommitted and returns the connection to the pool, after the
   * operations already called on the session. Further use raises `ResourceClosedError`.
   * Harmless when repeated; never throws for a failed rollback (the connection is then
   * discarded instead of reused).
   */
  close(): Promise<void> {
    this.#closing ??= this.#gate.step(() => this.#release());
    return this.#closing;
  }

  /** `await using session = await newSession(engine)` closes it at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Cancels the statement the session's connection is running (see `SAConnection.cancel`). */
  async cancel(): Promise<void> {
    await this.#lazy.connection?.cancel();
  }

  /** The execution path of `session.db`: `SAConnection.query` after the lazy steps. @internal */
  query(sql: string, parameters: readonly unknown[], rowMode: RowMode): Promise<pg.QueryResult> {
    return this.#statement('execute', (conn) => conn.query(sql, parameters, rowMode));
  }

  /**
   * A cursor's batches inside the session's transaction (`session.stream`, Kysely's `.stream()`
   * on `session.db`), holding the session while they are read. @internal
   */
  cursorBatches(
    sql: string,
    parameters: readonly unknown[],
    rowMode: RowMode,
    batchSize: number,
  ): AsyncGenerator<CursorBatch, void, undefined> {
    return this.#held('stream', (conn) => conn.cursorBatches(sql, parameters, rowMode, batchSize));
  }

  /**
   * Begins a unit of work for `transaction(fn)` and Kysely's `db.transaction()`: the session's
   * transaction when none is open, else a savepoint in it (options refused). @internal
   */
  beginUnit(options?: TransactionOptions): Promise<Transaction<DB>> {
    return this.#control('begin a transaction', async () => {
      const validated = validateTransactionOptions(options);
      const open = this.#lazy.open();
      if (open !== undefined) return beginUnit(open.connection, validated);
      return this.#lazy.begin(validated);
    });
  }

  /**
   * Ends a unit from `beginUnit`, in call order. A rollback never throws: a failure is logged
   * (with `original`, the error that caused it) so it cannot hide that error. @internal
   */
  endUnit(unit: Transaction<DB>, outcome: 'commit' | 'rollback', original?: unknown): Promise<void> {
    return this.#gate.step(async () => {
      if (outcome === 'rollback') {
        await rollBackQuietly(unit, original ?? new Error('the unit of work was rolled back'));
        return;
      }
      await this.#gate.settled();
      await unit.commit();
    });
  }

  /**
   * Rolls back the current transaction after `original` was raised, logging (never throwing)
   * a failure of the rollback itself. @internal
   */
  rollBackAfter(original: unknown): Promise<void> {
    return this.#gate.step(async () => {
      const tx = this.#lazy.open();
      if (tx !== undefined) await rollBackQuietly(tx, original);
    });
  }

  /** Closes the session because the context owning it ended. @internal */
  endContext(reason: string): Promise<void> {
    if (this.#closing === undefined) this.#closedBecause = reason;
    return this.close();
  }

  /**
   * `commit()` then `endContext(reason)` in one step (the end of a context that has this one
   * session: one step instead of two per request). Rejects with the commit's error; the session
   * is closed either way (what the commit left open is rolled back). @internal
   */
  commitAndEndContext(reason: string): Promise<void> {
    if (this.#closing !== undefined) {
      return this.commit().finally(() => this.endContext(reason));
    }
    this.#closedBecause = reason;
    const committed = this.#gate.step(() => this.#commitAndRelease());
    // The gate's own record of the step: settles with it, never rejects.
    this.#closing = this.#gate.tail;
    return committed;
  }

  /**
   * The step of `commitAndEndContext`: COMMIT once every statement handed over has settled,
   * then the release, either way (the release's failure wins, as a `finally`'s). No statement
   * can be handed over meanwhile: `#closing` refuses them. Written as reactions: when the
   * statements have settled already (the handler awaited them), it costs one promise for the
   * COMMIT's outcome.
   */
  #commitAndRelease(): Promise<void> {
    const gate = this.#gate;
    return gate.idle ? this.#commitThenRelease() : gate.settled().then(() => this.#commitThenRelease());
  }

  #commitThenRelease(): Promise<void> {
    let commit: Promise<void> | undefined;
    try {
      commit = this.#lazy.open()?.commit();
    } catch (error) {
      commit = Promise.reject(error);
    }
    if (commit === undefined) return this.#releaseSettled();
    return commit.then(
      () => this.#releaseSettled(),
      (error: unknown) => this.#releaseSettled().then(() => Promise.reject(error)),
    );
  }

  /**
   * Hands a statement to the connection inside the session's transaction: at once when the
   * transaction is open and no lazy step is pending, else as a step after those before it.
   */
  #statement<T>(operation: string, send: (conn: SAConnection<DB>) => Promise<T>): Promise<T> {
    if (this.#closing !== undefined) return Promise.reject(this.#closedError(operation));
    const open = this.#gate.open ? this.#lazy.open() : undefined;
    if (open !== undefined) return this.#sent(open, send);
    // Boxed, so the step ends once the statement is queued on the connection, not run.
    return this.#gate
      .step(() => {
        this.#guard(operation);
        return this.#lazy.use((tx) => ({ sent: this.#sent(tx, send) }));
      })
      .then((box) => box.sent);
  }

  #sent<T>(tx: Transaction<DB>, send: (conn: SAConnection<DB>) => Promise<T>): Promise<T> {
    const sent = send(tx.connection);
    this.#gate.track(sent);
    return sent;
  }

  /**
   * The iterator of a stream or COPY out: the connection's, started at once when the
   * transaction is open and no lazy step is pending, else as a step.
   */
  #held<T>(
    operation: string,
    open: (conn: SAConnection<DB>) => AsyncGenerator<T, void, undefined>,
  ): AsyncGenerator<T, void, undefined> {
    const tx = this.#closing === undefined && this.#gate.open ? this.#lazy.open() : undefined;
    if (tx !== undefined) return open(tx.connection);
    return this.#gate.iterate(async () => {
      this.#guard(operation);
      return open((await this.#lazy.ensure()).connection);
    });
  }

  /** Runs a control operation as a step, in call order. */
  #control<T>(operation: string, run: () => Promise<T>): Promise<T> {
    if (this.#closing !== undefined) return Promise.reject(this.#closedError(operation));
    return this.#gate.step(async () => {
      this.#guard(operation);
      return run();
    });
  }

  #guard(operation: string): void {
    if (this.#released) throw this.#closedError(operation);
  }

  #closedError(operation: string): ResourceClosedError {
    return new ResourceClosedError(`cannot ${operation}: ${this.#closedBecause}`);
  }

  async #release(): Promise<void> {
    await this.#gate.settled();
    await this.#releaseSettled();
  }

  /** `#release()` once every statement handed to the connection has settled. */
  #releaseSettled(): Promise<void> {
    this.#released = true;
    return this.#lazy.release();
  }

  // --- LISTEN / NOTIFY (issue 14) ---

  /**
   * `select pg_notify($1, $2)` on the session's connection, inside its transaction when one is
   * open: then delivered at COMMIT, and never when it rolls back.
   *
   * @throws TypeError for an invalid channel name or a payload that is not a string;
   *   DataError for a payload over 7999 bytes (UTF-8), before anything is sent; as `execute()`.
   * @example
   * ```ts
   * await atomic(engine, async (session) => {
   *   await session.notify('orders', '42'); // delivered when atomic() commits
   * });
   * ```
   */
  async notify(channel: string, payload = ''): Promise<void> {
    checkNotifyArguments(channel, payload);
    await this.query(NOTIFY_SQL, [channel, payload], 'array');
  }

  // --- asyncpg conveniences (issue 12) ---

  /**
   * Every row of a statement, as `RowProxy` objects (asyncpg's `fetch`), inside the session's transaction. Takes what
   * {@link Session.execute} takes; the row type is inferred from builders.
   *
   * @throws as `execute`.
   * @example
   * ```ts
   * const users = await session.fetch(session.db.selectFrom('users').select(['id', 'name']));
   * const rows = await session.fetch('select * from users where id > $1', [10]);
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
   * const user = await session.fetchRow('select id, name from users where id = $1', [1]);
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
   * const n = await session.fetchVal('select count(*)::int from users');
   * const name = await session.fetchVal(session.db.selectFrom('users').select(['id', 'name']), { column: 'name' });
   * ```
   */
  fetchVal<Row, Column extends keyof ResultRow<Row> & string = never>(query: Executable<Row>, options?: FetchValOptions<Column>): Promise<FetchedValue<ResultRow<Row>, Column>>;
  fetchVal(query: string, params?: readonly unknown[], options?: FetchValOptions): Promise<unknown>;
  fetchVal(query: string, options: FetchValOptions): Promise<unknown>;
  fetchVal(query: Executable<unknown> | string, second?: readonly unknown[] | FetchValOptions, third?: FetchValOptions): Promise<unknown> {
    return fetchValOf(this as Executor, query, second, third);
  }

  /**
   * Prepares a statement on the session's connection, inside its transaction (as
   * `SAConnection.prepare`); every later call of the statement runs inside the session's
   * current transaction, beginning one when none is open. Closing the session makes it unusable.
   *
   * @throws as `SAConnection.prepare`; ResourceClosedError when the session is closed.
   * @example
   * ```ts
   * const stmt = await session.prepare('select name from users where id = $1');
   * const name = await stmt.fetchVal(1);
   * ```
   */
  prepare<Row>(query: Executable<Row>): Promise<PreparedStatement<ResultRow<Row>>>;
  prepare<Row = Record<string, unknown>>(query: string): Promise<PreparedStatement<Row>>;
  prepare(query: Executable<unknown> | string): Promise<PreparedStatement<unknown>> {
    refuseBehindPgBouncer(this.#engine.options.pgbouncer, 'prepare');
    const statement = compileStatement(query, undefined, this.#engine.db);
    return this.#statement('prepare', (conn) =>
      prepareStatement(conn as SAConnection<unknown>, this.#ownHost(), this.#engine.shapes, statement),
    );
  }

  /**
   * Opens a server-side cursor inside the session's transaction (beginning it when none is
   * open), as `SAConnection.cursor`; it is unusable once that transaction ends (`commit()`,
   * `rollback()`).
   *
   * @throws as `SAConnection.cursor`; ResourceClosedError when the session is closed.
   * @example
   * ```ts
   * const cur = await session.cursor('select * from generate_series(1, $1) n', [1e6]);
   * for await (const row of cur) {}
   * ```
   */
  cursor<Row>(query: Executable<Row>, options?: CursorOptions): PendingCursor<ResultRow<Row>>;
  cursor<Row = Record<string, unknown>>(query: string, params?: readonly unknown[], options?: CursorOptions): PendingCursor<Row>;
  cursor<Row = Record<string, unknown>>(query: string, options: CursorOptions): PendingCursor<Row>;
  cursor(query: Executable<unknown> | string, second?: readonly unknown[] | CursorOptions, third?: CursorOptions): PendingCursor<unknown> {
    const opened = (async () => {
      const args = statementArguments(second, third);
      const statement = compileStatement(query, args.params, this.#engine.db);
      return this.#statement('cursor', (conn) =>
        openCursor<unknown>(conn as SAConnection<unknown>, this.#ownHost(), this.#engine.shapes, statement, args.options),
      );
    })();
    return pendingCursor(opened);
  }

  /**
   * This session typed with `engine`'s schema when it is `engine`'s session, else `undefined`.
   * A middleware's `beforeCommit` hook gets every session of the request as `Session<unknown>`
   * (a request may use several engines); this gives the typed one back.
   *
   * @example
   * ```ts
   * const beforeCommit = async (session: Session<unknown>) => {
   *   await session.of(engine)?.db.insertInto('users').values({ name: 'audit' }).execute();
   * };
   * ```
   */
  of<E>(engine: Engine<E>): Session<E> | undefined {
    return (this.#engine as unknown) === engine ? (this as unknown as Session<E>) : undefined;
  }

  /** What a prepared statement or cursor of this session runs through: the session's path. */
  #ownHost(): PreparedHost {
    return {
      run: (operation, send) => this.#statement(operation, send),
      stream: (sql, params, options) => this.stream(sql, [...params], options),
      closedError: (operation) => (this.#closing === undefined ? undefined : this.#closedError(operation)),
    };
  }
}
