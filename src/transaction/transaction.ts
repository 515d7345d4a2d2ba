import type { NoSchema } from '../sql/no-schema.js';
import type pg from 'pg';
import { publishTransaction, type TransactionEvent } from '../diagnostics/channels.js';
import type { ConnectionOf } from './transaction-host.js';
import { OperationalError, QueryCanceledError } from '../errors/database-error.js';
import { InterfaceError } from '../errors/pgsa-error.js';
import type { TransactionFrames } from './transaction-frames.js';
import type { SendControl } from './control-channel.js';

/**
 * Where a transaction object stands. `'failed'`: a statement inside it raised an error (the
 * server answers 25P02 to everything but ROLLBACK); only `rollback()` or `close()` remain, and
 * `commit()` rolls back and raises. `'prepared'`: a two-phase transaction after `prepare()`.
 * `'closed'`: an inner `begin()` transaction closed without a vote (its work belongs to the
 * enclosing transaction).
 */
export type TransactionStatus =
  | 'active'
  | 'committed'
  | 'rolledBack'
  | 'failed'
  | 'prepared'
  | 'closed';

type Operation = 'commit' | 'rollback' | 'prepare';

const STATUS_WORDS: Readonly<Record<TransactionStatus, string>> = {
  active: 'active',
  committed: 'committed',
  rolledBack: 'rolled back',
  failed: 'failed',
  prepared: 'prepared',
  closed: 'closed',
};

const IN_PROGRESS: Readonly<Record<Operation, string>> = {
  commit: 'committed',
  rollback: 'rolled back',
  prepare: 'prepared',
};

/**
 * A database transaction in progress on one connection (aiopg.sa's `Transaction`), returned by
 * `conn.begin()`. `commit()` and `rollback()` end it; `await using` rolls it back at the end of
 * the scope unless it was committed.
 *
 * `begin()` while a transaction is active returns an *inner* transaction joined to it: its
 * `commit()` sends nothing (the outer one decides), its `rollback()` rolls back the transaction
 * it joined (which becomes inactive), its `close()` only deactivates it.
 *
 * @example
 * ```ts
 * await using tx = await conn.begin({ isolationLevel: 'serializable' });
 * await conn.execute(conn.db.insertInto('users').values({ name: 'ann' }));
 * await tx.commit();
 * // SQL: BEGIN ISOLATION LEVEL SERIALIZABLE; insert into "users" ("name") values ($1); COMMIT
 * ```
 */
export class Transaction<DB = NoSchema> {
  readonly #connection: ConnectionOf<DB>;
  readonly #frames: TransactionFrames;
  readonly #enclosing: Transaction<DB> | undefined;
  readonly #joined: boolean;
  #status: TransactionStatus = 'active';
  #ending: Operation | undefined;
  #sendControl: SendControl | undefined;
  /** True when its BEGIN was deferred to go out with the first statement (issue 18). */
  #deferred = false;

  /**
   * @internal Made by `SAConnection.begin()`, `beginNested()` and `beginTwophase()`.
   * @param enclosing the transaction this one runs inside (a savepoint's outer frame, or the
   *   transaction an inner `begin()` joined).
   * @param joined true for an inner `begin()` transaction, which owns nothing on the server.
   */
  constructor(
    connection: ConnectionOf<DB>,
    frames: TransactionFrames,
    enclosing?: Transaction<DB>,
    joined = false,
  ) {
    this.#connection = connection;
    this.#frames = frames;
    this.#enclosing = enclosing;
    this.#joined = joined;
  }

  /** The connection this transaction runs on. */
  get connection(): ConnectionOf<DB> {
    return this.#connection;
  }

  /**
   * The one status of this transaction. A unit that ended inside an enclosing transaction
   * (a released savepoint, a committed inner transaction) reports the enclosing transaction's
   * outcome once that one has ended; a transaction whose connection was closed is rolled back.
   */
  get status(): TransactionStatus {
    const own = this.#status;
    const enclosing = this.#enclosing;
    if (enclosing !== undefined) {
      if (own === 'active' || own === 'committed' || own === 'closed') {
        const outer = enclosing.status;
        if (outer === 'committed' || outer === 'rolledBack') return outer;
        if (own === 'active' && outer === 'failed') return 'failed';
      }
      return own;
    }
    if (own === 'active' || own === 'failed') {
      // Releasing the connection rolls back (or discards) whatever was open on it.
      if (this.#connection.closed) return 'rolledBack';
      if (own === 'active' && this.#connection.transactionFailed) return 'failed';
    }
    return own;
  }

  /** True until the transaction is committed, rolled back or closed (prepared counts as active). */
  get isActive(): boolean {
    const status = this.status;
    return status === 'active' || status === 'failed' || status === 'prepared';
  }

  /**
   * Commits the transaction (`COMMIT`). On an inner `begin()` transaction it only marks this
   * one done: the outer transaction commits.
   *
   * @throws InterfaceError when the transaction is not active ("cannot commit: transaction is
   *   rolled back"), when a savepoint opened inside it is still active, or when it failed: then
   *   it is rolled back first and the error says so. Server errors at COMMIT (a deferred
   *   constraint, a serialization failure) are thrown as their `DatabaseError` class and leave
   *   the transaction rolled back.
   */
  commit(): Promise<void> {
    let status: TransactionStatus;
    try {
      status = this.#enter('commit');
    } catch (error) {
      return Promise.reject(error);
    }
    if (status === 'failed' || this.#joined) return this.#commitEntered(status);
    // The common case (an active transaction of its own) without an async frame: its COMMIT's
    // outcome handled in one reaction (each promise costs an AsyncLocalStorage hook under the
    // request middleware).
    let unit: Promise<boolean>;
    try {
      if (this.#frames.has(this)) this.#requireInnermost('commit');
      unit = this.commitUnit();
    } catch (error) {
      this.#ending = undefined;
      return Promise.reject(error);
    }
    return unit.then(
      (committed) => {
        try {
          this.#committed(committed);
        } finally {
          this.#ending = undefined;
        }
      },
      (error: unknown) => {
        try {
          this.#afterFailedCommit(error);
          throw error;
        } finally {
          this.#ending = undefined;
        }
      },
    );
  }

  /** `commit()` of a failed transaction (rolled back first, then refused) or of a joined one. */
  async #commitEntered(status: TransactionStatus): Promise<void> {
    try {
      if (!this.#joined && this.#frames.has(this)) this.#requireInnermost('commit');
      if (status === 'failed') await this.#rollBackFailed('commit');
      if (this.#joined) {
        this.#status = 'committed';
        return;
      }
      let committed: boolean;
      try {
        committed = await this.commitUnit();
      } catch (error) {
        this.#afterFailedCommit(error);
        throw error;
      }
      this.#committed(committed);
    } finally {
      this.#ending = undefined;
    }
  }

  /** Ends the transaction after its COMMIT was answered; `committed` false: with ROLLBACK. */
  #committed(committed: boolean): void {
    if (!committed) {
      // The server answered COMMIT with ROLLBACK: a statement failed after our status check.
      this.end('rolledBack');
      throw this.failedError('commit', 'the server rolled it back');
    }
    this.end('committed');
  }

  /**
   * Rolls the transaction back (`ROLLBACK`). On an inner `begin()` transaction it rolls back
   * the transaction it joined, which becomes inactive too.
   *
   * @throws InterfaceError when the transaction is not active or a savepoint opened inside it is
   *   still active (roll that back first, or use `close()`, which rolls back everything inside).
   */
  async rollback(): Promise<void> {
    this.#enter('rollback');
    try {
      if (this.#joined) {
        const enclosing = this.#enclosing as Transaction<DB>;
        // Ends the joined transaction unless it is already over (e.g. closed meanwhile).
        if (enclosing.isActive) await enclosing.rollback();
        this.#status = 'rolledBack';
        return;
      }
      if (this.#frames.has(this)) this.#requireInnermost('rollback');
      await this.#rollBackUnit();
    } finally {
      this.#ending = undefined;
    }
  }

  /**
   * Ends the transaction without committing: the outermost one (and a savepoint) is rolled
   * back together with everything opened inside it; an inner `begin()` transaction is only
   * deactivated. Harmless when repeated or after commit. A prepared two-phase transaction stays
   * prepared.
   */
  async close(): Promise<void> {
    const status = this.status;
    if ((status !== 'active' && status !== 'failed') || this.#ending) return;
    if (this.#joined) {
      this.#status = 'closed';
      return;
    }
    await this.#forceRollback();
  }

  /**
   * `await using tx = await conn.begin()`: rolls back at the end of the scope unless committed
   * (an inner transaction rolls back the transaction it joined). Never throws: a failing
   * rollback (the connection is gone, so the server discarded the work) is logged as a warning,
   * so it cannot hide the error that ended the scope.
   */
  async [Symbol.asyncDispose](): Promise<void> {
    const status = this.status;
    if ((status !== 'active' && status !== 'failed') || this.#ending) return;
    try {
      await this.#rollBackWhole();
    } catch (error) {
      this.#connection.logger.warn?.(
        `rollback of ${this.describe()} at scope exit failed: ${(error as Error).message}`,
      );
    }
  }

  /** How messages name this transaction. @internal */
  protected describe(): string {
    return 'transaction';
  }

  /** What a rollback after a failure did, for messages. @internal */
  protected rolledBackNote(): string {
    return 'it was rolled back';
  }

  /**
   * The error for `operation` on a failed transaction: it names the statement error that failed
   * it (its `cause`, as the connection recorded it), and what happened to the transaction.
   * @internal
   */
  protected failedError(
    operation: Operation,
    outcome: string,
    cause: unknown = this.#connection.transactionFailure,
  ): InterfaceError {
    const reason = cause instanceof Error ? `: ${cause.message}` : '';
    return new InterfaceError(
      `cannot ${operation}: ${this.describe()} is failed (a statement inside it raised an ` +
        `error${reason}); ${outcome}`,
      cause === undefined ? undefined : { cause },
    );
  }

  /** Marks this transaction's BEGIN as deferred to its first statement. @internal */
  deferredBegin(): void {
    this.#deferred = true;
  }

  /**
   * True when this transaction's BEGIN never reached the server (no statement ran, or BEGIN
   * failed): nothing is open there, so COMMIT / ROLLBACK are not sent. Forgets the BEGIN.
   */
  #unsent(): boolean {
    return this.#deferred && this.#connection.dropBegin();
  }

  /** Sends the statement that commits this unit; false when the server rolled back instead. */
  protected commitUnit(): Promise<boolean> {
    if (this.#unsent()) return Promise.resolve(true);
    return this.send('COMMIT').then((result) => {
      const committed = result.command !== 'ROLLBACK';
      this.published(committed ? 'commit' : 'rollback', 'COMMIT');
      return committed;
    });
  }

  /** Sends the statement that rolls back this unit. */
  protected async rollbackUnit(): Promise<void> {
    if (this.#unsent()) return;
    await this.send('ROLLBACK');
    this.published('rollback', 'ROLLBACK');
  }

  /** Publishes the `pgsa:transaction` message of a control statement that succeeded. @internal */
  protected published(event: TransactionEvent, sql: string, details?: { savepoint?: string; xid?: string }): void {
    publishTransaction(() => ({ event, sql, backendPid: this.#connection.backendPid, ...details }));
  }

  /** Runs a control statement through {@link sendControl}. @internal */
  protected send(sql: string): Promise<pg.QueryResult> {
    return this.sendControl(sql);
  }

  /**
   * The one function every control statement of this transaction (its BEGIN or SAVEPOINT
   * included) is sent with: the channel given to {@link routeControl}, else the connection's
   * one execution path. @internal
   */
  sendControl(sql: string): Promise<pg.QueryResult> {
    const send = this.#sendControl;
    return send === undefined ? this.#connection.query(sql, [], 'object') : send(sql);
  }

  /** True when its control statements go through a channel of their own (see {@link routeControl}). @internal */
  protected get routed(): boolean {
    return this.#sendControl !== undefined;
  }

  /**
   * Sends this transaction's control statements through `send` (a Kysely connection, so that
   * Kysely's `log` sees them); set before the first one is sent. @internal
   */
  routeControl(send: SendControl | undefined): this {
    this.#sendControl = send;
    return this;
  }

  /** The status this object recorded itself, without derivation. @internal */
  protected get ownStatus(): TransactionStatus {
    return this.#status;
  }

  /**
   * Records how this unit ended and drops it (and any frame opened inside it) from the
   * connection's stack; inner frames dropped by a rollback are rolled back too. @internal
   */
  protected end(status: TransactionStatus): void {
    this.#status = status;
    for (const inner of this.#frames.pop(this)) (inner as Transaction<DB>).#status = 'rolledBack';
  }

  /** Guards `prepare()` of a two-phase transaction; pair with {@link finishOperation}. @internal */
  protected beginOperation(operation: Operation): TransactionStatus {
    return this.#enter(operation);
  }

  /** @internal */
  protected finishOperation(): void {
    this.#ending = undefined;
  }

  /** Rolls back after a failure was detected, then raises saying so. @internal */
  protected async rollBackFailed(operation: Operation): Promise<never> {
    return this.#rollBackFailed(operation);
  }

  #enter(operation: Operation): TransactionStatus {
    if (this.#ending) {
      throw new InterfaceError(
        `cannot ${operation}: ${this.describe()} is already being ${IN_PROGRESS[this.#ending]}`,
      );
    }
    const status = this.status;
    const allowed =
      status === 'active' ||
      status === 'failed' ||
      (status === 'prepared' && operation !== 'prepare');
    if (!allowed) {
      throw new InterfaceError(
        `cannot ${operation}: ${this.describe()} is ${STATUS_WORDS[status]}`,
      );
    }
    this.#ending = operation;
    return status;
  }

  #requireInnermost(operation: Operation): void {
    const top = this.#frames.top() as Transaction<DB> | undefined;
    if (top !== undefined && top !== this) {
      throw new InterfaceError(
        `cannot ${operation}: ${this.describe()} is not the innermost transaction; ` +
          `${top.describe()} is still active (commit or roll it back first, or close() this ` +
          'one to roll back everything inside it)',
      );
    }
  }

  /** Rolls back the transaction this one stands for: itself, or the one it joined. */
  async #rollBackWhole(): Promise<void> {
    if (this.#joined) {
      await (this.#enclosing as Transaction<DB>).#forceRollback();
      this.#status = 'rolledBack';
    } else {
      await this.#forceRollback();
    }
  }

  async #rollBackFailed(operation: Operation): Promise<never> {
    // Read before the rollback, which ends the failed transaction.
    const failure = this.#connection.transactionFailure;
    try {
      await this.#rollBackWhole();
    } catch (error) {
      // The connection is gone: that is the news (and the server has discarded the work).
      if (error instanceof OperationalError) throw error;
      if (failure === undefined) throw this.failedError(operation, this.rolledBackNote(), error);
      this.#connection.logger.warn?.(
        `rollback of failed ${this.describe()} failed too: ${(error as Error).message}`,
      );
    }
    throw this.failedError(operation, this.rolledBackNote(), failure);
  }

  /** Rolls back this unit and everything opened inside it, whatever the order. */
  async #forceRollback(): Promise<void> {
    const status = this.status;
    if (status !== 'active' && status !== 'failed') return;
    if (this.#joined) {
      await (this.#enclosing as Transaction<DB>).#forceRollback();
      return;
    }
    await this.#rollBackUnit();
  }

  async #rollBackUnit(): Promise<void> {
    try {
      await this.rollbackUnit();
    } catch (error) {
      // A lost connection takes its transaction with it: the server has rolled it back
      // (a prepared transaction, though, outlives its connection).
      if (
        error instanceof OperationalError &&
        !(error instanceof QueryCanceledError) &&
        this.#status !== 'prepared'
      ) {
        this.end('rolledBack');
      }
      throw error;
    }
    this.end('rolledBack');
  }

  #afterFailedCommit(error: unknown): void {
    if (this.#status === 'prepared') return; // two-phase: a prepared transaction survives
    // pgsa's own guards (a stream holds the connection) refuse before anything is sent.
    if (error instanceof InterfaceError) return;
    // A COMMIT the server answered with an error (deferred constraint, serialization failure)
    // has ended the transaction: rolled back. A failed RELEASE SAVEPOINT aborts the enclosing
    // transaction instead, and a connection lost mid-COMMIT leaves the outcome unknown.
    const refusedByServer = (error as { sqlstate?: unknown }).sqlstate !== undefined;
    if (refusedByServer && this.#enclosing === undefined) this.end('rolledBack');
    else this.#status = 'failed';
  }
}
