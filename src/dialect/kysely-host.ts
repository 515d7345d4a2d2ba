import type { TransactionSettings } from 'kysely';
import type pg from 'pg';
import type { SendControl } from '../transaction/control-channel.js';

/**
 * What `PgsaDriver` runs Kysely's queries and transactions on: an `SAConnection` (see
 * `ConnectionTarget`), or anything else with the same execution path, such as a session.
 *
 * Not part of the public API: kept in the declarations because public ones refer to it.
 */
export interface QueryTarget {
  /**
   * Runs one statement with object rows (Kysely's row format) and resolves with node-postgres'
   * result (an array of them for a string of several statements: the last one counts).
   */
  query(
    sql: string,
    parameters: readonly unknown[],
    rowMode: 'object',
  ): Promise<pg.QueryResult | pg.QueryResult[]>;
  /**
   * The rows of one statement through a server-side cursor, `batchSize` object rows at a time;
   * leaving the loop early closes the cursor (Kysely's `.stream()`).
   */
  cursorBatches(
    sql: string,
    parameters: readonly unknown[],
    rowMode: 'object',
    batchSize: number,
  ): AsyncIterable<{ readonly rows: unknown[] }>;
  /**
   * Kysely's BEGIN (`db.transaction()`, `db.startTransaction()`): a transaction, or a savepoint
   * inside the one already open, with the same bookkeeping as pgsa's own transactions. `send`
   * is the Kysely connection's logged path: the unit's control statements (this BEGIN, its
   * COMMIT or ROLLBACK) go through it.
   */
  beginTransaction(settings: TransactionSettings, send: SendControl): Promise<void>;
  /** Ends the innermost transaction `beginTransaction` opened: COMMIT or RELEASE SAVEPOINT. */
  commitTransaction(): Promise<void>;
  /**
   * Rolls back the innermost transaction `beginTransaction` opened (ROLLBACK or ROLLBACK TO
   * SAVEPOINT). Kysely calls it after the failure that made it roll back, so it must not
   * reject: a failed rollback is reported (logged) by the target, never thrown.
   */
  rollbackTransaction(): Promise<void>;
  /** A ControlledTransaction's `savepoint(name)`: a `NestedTransaction` named `name`. */
  savepoint(name: string, send: SendControl): Promise<void>;
  /** `rollbackToSavepoint(name)`: back to the savepoint, which stays (PostgreSQL's semantics). */
  rollbackToSavepoint(name: string, send: SendControl): Promise<void>;
  /** `releaseSavepoint(name)`: keeps the work (and ends savepoints opened after it). */
  releaseSavepoint(name: string): Promise<void>;
}

/**
 * Runs one autocommit statement elsewhere (the engine's pipelined connections), or returns
 * `undefined` (nothing sent) to let Kysely acquire a target as usual.
 *
 * Not part of the public API: kept in the declarations because public ones refer to it.
 */
export type AutocommitRunner = (
  sql: string,
  parameters: readonly unknown[],
) => Promise<pg.QueryResult> | undefined;

/**
 * Where a pgsa Kysely (`engine.db`, `conn.db`, `session.db`) gets its {@link QueryTarget}: one
 * `acquire()` / `release()` scope per query or Kysely transaction, as Kysely's own connection
 * provider does. An engine acquires a pooled connection and closes it on release; a connection
 * lends out itself and releases nothing; a session lends out its lazy-begin path.
 *
 * Not part of the public API: kept in the declarations because public ones refer to it.
 */
export interface KyselyHost<Target extends QueryTarget = QueryTarget> {
  /** The target for one query or one Kysely transaction. */
  acquire(): Promise<Target>;
  /** Gives back what `acquire()` returned. */
  release(target: Target): Promise<void>;
  /**
   * Optional: the target a single statement outside any Kysely transaction runs on, without an
   * `acquire()` / `release()` scope (a connection lends itself; a session one shared target,
   * since a lone statement opens no Kysely unit of work). Throws when the host cannot run one
   * (a closed connection). Transactions, `connection()` and streams still acquire.
   */
  queryTarget?(): Target;
  /**
   * Optional: where a single statement outside any Kysely transaction may run instead
   * (`engine.db`'s pipelined path). Transactions, `connection()` and streams always acquire.
   */
  readonly autocommit?: AutocommitRunner | undefined;
}
