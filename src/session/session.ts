import { Kysely } from 'kysely';
import type pg from 'pg';
import type {
  Executable,
  ResultRow,
  RowMode,
  SAConnection,
} from '../connection/sa-connection.js';
import type { ExecuteOptions } from '../connection/stream-options.js';
import { type CopyFromOptions, copyFrom } from '../connection/bulk-writes.js';
import type { CopyData, CopyRecords } from '../protocol/copy-in-query.js';
import { PgsaDialect } from '../dialect/pgsa-dialect.js';
import type { Engine } from '../engine/engine.js';
import { InterfaceError, ResourceClosedError } from '../errors/pgsa-error.js';
import type { ResultProxy } from '../result/result-proxy.js';
import { failed, settled } from './connection-status.js';
import { type PinnedConnection, pinnedConnection } from './pinned-connection.js';
import { SessionDriver } from './session-driver.js';
import {
  releaseSavepointSql,
  rollbackToSavepointSql,
  savepointSql,
} from '../transaction/transaction-sql.js';
import { beginSql, COMMIT_SQL, ROLLBACK_SQL, type SessionBeginOptions } from './session-sql.js';

type Status = 'idle' | 'connected' | 'closed';



/** `SAConnection.execute`/`scalar` called with the arguments a session received. */
type ForwardedCall<T> = (
  query: Executable<unknown> | string,
  paramsOrOptions?: readonly unknown[] | ExecuteOptions,
  options?: ExecuteOptions,
) => Promise<T>;

/** A Kysely transaction opened on `session.db`: null when it is the session's own transaction. */
type KyselyLevel = string | null;

/**
 * A unit of work on one engine (context-async-sqlalchemy's session): it behaves like an
 * `SAConnection` whose transaction begins lazily. No pool connection is taken and no `BEGIN`
 * is sent until the first query; every query then runs inside the session's current
 * transaction, which lasts until `commit()` or `rollback()`; the next query begins a new one on
 * the same connection. `close()` rolls back what is uncommitted and returns the connection.
 *
 * Get one with `dbSession(engine)` (the session of the current async context), or
 * `newSession(engine)` / `newAtomicSession(engine, fn)` for work outside the context.
 * Operations on one session run one at a time, in call order.
 *
 * `session.db.transaction().execute(fn)` begins the session's transaction when none is open
 * (with the given isolation level) and ends it; inside an open one it is a savepoint.
 *
 * @example
 * ```ts
 * const session = await dbSession(engine);       // no connection yet
 * await session.db.insertInto('users').values({ name: 'ann' }).execute(); // BEGIN; INSERT …
 * await session.commit();                         // COMMIT
 * ```
 */
export class Session<DB = Record<string, never>> {
  readonly #engine: Engine<DB>;
  #status: Status = 'idle';
  #conn: SAConnection<DB> | undefined;
  /** Set when the test kit pinned a connection: transactions are then savepoints. */
  #pin: PinnedConnection | undefined;
  #savepoint: string | undefined;
  readonly #kysely: KyselyLevel[] = [];
  #kyselyCount = 0;
  /** The error that put the current transaction into the failed state. */
  #failure: unknown;
  #tail: Promise<unknown> = Promise.resolve();
  #closing: Promise<void> | undefined;
  #closedBecause = 'the session is closed';
  #db: Kysely<DB> | undefined;

  /** @internal Sessions are made by `dbSession`, `newSession` and `newAtomicSession`. */
  constructor(engine: Engine<DB>) {
    this.#engine = engine;
  }

  /** The engine whose pool lends this session its connection. */
  get engine(): Engine<DB> {
    return this.#engine;
  }

  /**
   * A `Kysely<DB>` bound to this session: queries built and executed through it take the
   * session's connection and run inside its transaction (beginning it when none is open).
   *
   * @example
   * ```ts
   * const users = await session.db.selectFrom('users').selectAll().execute();
   * ```
   */
  get db(): Kysely<DB> {
    this.#db ??= new Kysely<DB>({ dialect: new PgsaDialect(() => new SessionDriver(this)) });
    return this.#db;
  }

  /** True while the session holds a pool connection (after its first query, until close). */
  get connected(): boolean {
    return this.#conn !== undefined;
  }

  /** True once `close()` was called (directly or because the session's context ended). */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /** True while the session has an open (or failed) transaction. */
  get inTransaction(): boolean {
    return this.#conn !== undefined && this.#isOpen(this.#conn);
  }

  /** The server process id of the session's connection, or `undefined` before the first query. */
  get backendPid(): number | undefined {
    return this.#conn?.backendPid;
  }

  /**
   * Executes a statement inside the session's transaction (taking a connection and sending
   * `BEGIN` first when needed) and returns its result, exactly as `SAConnection.execute`.
   *
   * @throws ResourceClosedError (an `InterfaceError`) when the session is closed;
   *   `PoolTimeoutError` when no connection frees up in time; `DatabaseError` subclasses when
   *   the server rejects the statement.
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
    return this.#run('execute', (conn) =>
      (conn.execute as ForwardedCall<ResultProxy<unknown>>).call(
        conn,
        query,
        paramsOrOptions,
        options,
      ),
    );
  }

  /**
   * The first column of the first row, or `null` (as `SAConnection.scalar`), inside the
   * session's transaction.
   *
   * @throws ResourceClosedError when the session is closed.
   * @example
   * ```ts
   * const n = await session.scalar('select count(*)::int from users');
   * ```
   */
  scalar<Row>(
    query: Executable<Row>,
    options?: ExecuteOptions,
  ): Promise<unknown extends Row ? unknown : Row[keyof Row] | null>;
  scalar(query: string, params?: readonly unknown[], options?: ExecuteOptions): Promise<unknown>;
  scalar(query: string, options: ExecuteOptions): Promise<unknown>;
  scalar(
    query: Executable<unknown> | string,
    paramsOrOptions?: readonly unknown[] | ExecuteOptions,
    options?: ExecuteOptions,
  ): Promise<unknown> {
    return this.#run('execute', (conn) =>
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
    return this.#run('execute', (conn) => conn.executeMany(sql, parameterSets, options));
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
    return this.#run('execute', (conn) =>
      copyFrom(conn as SAConnection<unknown>, target, source, options),
    );
  }

  /**
   * Commits the current transaction (`COMMIT`); does nothing when none is open. The session
   * stays usable: the next query begins a new transaction on the same connection.
   *
   * @throws InterfaceError when a statement failed inside the transaction (it is rolled back
   *   instead, and the failure is the `cause`) or when the session is closed;
   *   `IntegrityError` etc. when the server refuses the commit (e.g. a deferred constraint):
   *   the transaction is then rolled back.
   * @example
   * ```ts
   * await session.execute("insert into users (name) values ('ann')");
   * await session.commit();
   * ```
   */
  commit(): Promise<void> {
    return this.#enqueue(async () => {
      this.#guard('commit');
      const conn = this.#conn;
      if (conn === undefined || !this.#isOpen(conn)) return;
      await this.#commitOn(conn);
    });
  }

  /**
   * Rolls back the current transaction (`ROLLBACK`); does nothing when none is open. The
   * session stays usable.
   *
   * @throws ResourceClosedError when the session is closed.
   */
  rollback(): Promise<void> {
    return this.#enqueue(async () => {
      this.#guard('rollback');
      const conn = this.#conn;
      if (conn === undefined || !this.#isOpen(conn)) return;
      await this.#end(conn, 'rollback');
    });
  }

  /**
   * Rolls back whatever is uncommitted and returns the connection to the pool, after the
   * operations already called on the session. Further use raises `ResourceClosedError`.
   * Harmless when repeated; never throws for a failed rollback (the connection is then
   * discarded instead of reused).
   */
  close(): Promise<void> {
    this.#closing ??= this.#enqueue(() => this.#release());
    return this.#closing;
  }

  /** `await using session = await newSession(engine)` closes it at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Cancels the statement the session's connection is running (see `SAConnection.cancel`). */
  async cancel(): Promise<void> {
    await this.#conn?.cancel();
  }

  /**
   * The one execution path for `session.db`: like `SAConnection.query`, after the lazy
   * connection and `BEGIN`.
   *
   * @internal
   */
  query(sql: string, parameters: readonly unknown[], rowMode: RowMode): Promise<pg.QueryResult> {
    return this.#run('execute', (conn) => conn.query(sql, parameters, rowMode));
  }

  /** Closes the session because the context owning it ended. @internal */
  endContext(reason: string): Promise<void> {
    if (this.#closing === undefined) this.#closedBecause = reason;
    return this.close();
  }

  /** Kysely's `beginTransaction` on `session.db`. @internal */
  beginKysely(options: SessionBeginOptions): Promise<void> {
    return this.#enqueue(async () => {
      this.#guard('begin a transaction');
      const conn = await this.#connect();
      if (!this.#isOpen(conn)) {
        await this.#begin(conn, options);
        this.#kysely.push(null);
        return;
      }
      if (options.isolationLevel !== undefined || options.accessMode !== undefined) {
        throw new InterfaceError(
          'cannot set an isolation level or access mode: the session already has an open ' +
            'transaction, and a Kysely transaction inside it is a savepoint',
        );
      }
      const name = `pgsa_kysely_${++this.#kyselyCount}`;
      await conn.query(savepointSql(name), [], 'object');
      this.#kysely.push(name);
    });
  }

  /** Kysely's `commitTransaction` / `rollbackTransaction` on `session.db`. @internal */
  endKysely(outcome: 'commit' | 'rollback'): Promise<void> {
    return this.#enqueue(async () => {
      this.#guard(outcome);
      const conn = this.#conn;
      const level = this.#kysely.pop();
      if (conn === undefined || level === undefined || !this.#isOpen(conn)) {
        throw new InterfaceError(`cannot ${outcome}: the Kysely transaction is no longer open`);
      }
      if (level === null) {
        if (outcome === 'commit') await this.#commitOn(conn);
        else await this.#end(conn, 'rollback');
      } else if (outcome === 'commit') {
        await conn.query(releaseSavepointSql(level), [], 'object');
      } else {
        await conn.query(rollbackToSavepointSql(level), [], 'object');
      }
    });
  }

  /** Runs `operation` after everything already called on this session. */
  #enqueue<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(operation).catch(async (error: unknown) => {
      if (this.#conn) await settled(this.#conn);
      throw error;
    });
    this.#tail = result.catch(() => undefined);
    return result;
  }

  /** Queues `operation` on the connection, taking it and beginning a transaction first. */
  #run<T>(name: string, operation: (conn: SAConnection<DB>) => Promise<T>): Promise<T> {
    if (this.#closing !== undefined) {
      return Promise.reject(new ResourceClosedError(`cannot ${name}: ${this.#closedBecause}`));
    }
    return this.#enqueue(async () => {
      this.#guard(name);
      const conn = await this.#connect();
      if (!this.#isOpen(conn)) await this.#begin(conn);
      try {
        return await operation(conn);
      } catch (error) {
        await settled(conn);
        if (this.#failure === undefined && failed(conn)) this.#failure = error;
        throw error;
      }
    });
  }

  #guard(operation: string): void {
    if (this.#status === 'closed') {
      throw new ResourceClosedError(`cannot ${operation}: ${this.#closedBecause}`);
    }
  }

  async #connect(): Promise<SAConnection<DB>> {
    if (this.#conn !== undefined) return this.#conn;
    const pin = pinnedConnection(this.#engine);
    const conn = pin
      ? (pin.connection as unknown as SAConnection<DB>)
      : await this.#engine.acquire();
    this.#pin = pin;
    this.#conn = conn;
    this.#status = 'connected';
    return conn;
  }

  #isOpen(conn: SAConnection<DB>): boolean {
    // A pinned connection is always inside the test's transaction: only our savepoint counts.
    return this.#pin ? this.#savepoint !== undefined : conn.inTransaction;
  }

  async #begin(conn: SAConnection<DB>, options?: SessionBeginOptions): Promise<void> {
    this.#failure = undefined;
    this.#kysely.length = 0;
    if (this.#pin) {
      // The test transaction fixes isolation; a savepoint cannot change it, so options are moot.
      const name = this.#pin.nextSavepoint();
      await conn.query(savepointSql(name), [], 'object');
      this.#savepoint = name;
    } else {
      await conn.query(beginSql(options), [], 'object');
    }
  }

  async #commitOn(conn: SAConnection<DB>): Promise<void> {
    if (failed(conn)) {
      const failure = this.#failure;
      await this.#end(conn, 'rollback');
      const reason = failure instanceof Error ? ` (${failure.message})` : '';
      throw new InterfaceError(
        `cannot commit: a statement failed in this transaction${reason}; it was rolled back`,
        { cause: failure },
      );
    }
    await this.#end(conn, 'commit');
  }

  async #end(conn: SAConnection<DB>, outcome: 'commit' | 'rollback'): Promise<void> {
    const savepoint = this.#savepoint;
    this.#savepoint = undefined;
    this.#kysely.length = 0;
    this.#failure = undefined;
    if (savepoint === undefined) {
      const result = await conn.query(outcome === 'commit' ? COMMIT_SQL : ROLLBACK_SQL, [], 'object');
      // COMMIT of a failed transaction "succeeds" as a ROLLBACK: never report that as a commit.
      if (outcome === 'commit' && result.command === 'ROLLBACK') {
        throw new InterfaceError(
          'cannot commit: the transaction had failed on the server; it was rolled back',
        );
      }
      return;
    }
    // ROLLBACK TO SAVEPOINT releases it too (one round trip).
    const sql =
      outcome === 'rollback' ? rollbackToSavepointSql(savepoint) : releaseSavepointSql(savepoint);
    await conn.query(sql, [], 'object');
  }

  async #release(): Promise<void> {
    const conn = this.#conn;
    const pinned = this.#pin !== undefined;
    this.#status = 'closed';
    if (conn === undefined) return;
    try {
      if (this.#isOpen(conn)) await this.#end(conn, 'rollback');
    } catch {
      // SAConnection.close() retries the rollback and discards the connection if it fails.
    } finally {
      this.#conn = undefined;
      this.#pin = undefined;
      if (!pinned) await conn.close();
    }
  }
}
