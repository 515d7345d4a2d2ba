import type pg from 'pg';
import type { TransactionFrames } from './transaction-frames.js';

/**
 * What the transaction objects need from the connection they run on. The connection layer
 * (`SAConnection`) implements it, so transactions depend on this interface and never on the
 * connection class: connection → transaction, never back.
 *
 * Not part of the public API: kept in the declarations because public ones refer to it.
 */
export interface TransactionHost {
  /** True once the connection was closed or released. */
  readonly closed: boolean;
  /** True while the server reports an open (or failed) transaction. */
  readonly inTransaction: boolean;
  /** True while the server reports the open transaction as failed (aborted, 25P02). */
  readonly transactionFailed: boolean;
  /**
   * The error of the statement that failed the open transaction (the first one: the
   * "current transaction is aborted" answers after it do not count); `undefined` otherwise.
   */
  readonly transactionFailure: Error | undefined;
  /** Where warnings go (a rollback that failed after another error …). */
  readonly logger: { warn?(message: string): void };
  /** The transactions open on the connection, outermost first (one stack per connection). */
  readonly frames: TransactionFrames;
  /** Throws `ResourceClosedError` naming `operation` when the connection is closed. */
  guardOpen(operation: string): void;
  /** Rolls back what is open and returns the connection to its pool. */
  close(): Promise<void>;
  /** The server process serving the connection (for the `pgsa:transaction` messages). */
  readonly backendPid: number;
  /**
   * Records `sql` (a `BEGIN …`) to go out with the connection's next statement, in the same
   * write when possible; `answered` is called once the server answered it (`undefined`: it
   * succeeded). A statement queued behind a BEGIN that failed is refused.
   */
  deferBegin(sql: string, answered: (error: Error | undefined) => void): void;
  /**
   * Forgets the deferred BEGIN when it never reached the server (no statement ran) or failed:
   * true then, and the transaction sends no COMMIT / ROLLBACK.
   */
  dropBegin(): boolean;
  /**
   * Records a savepoint command (`SAVEPOINT …`, `RELEASE SAVEPOINT …`) to go out with the
   * connection's next statement, in the same write when possible; `answered` is called once the
   * server answered it (`undefined`: it succeeded). Only inside a transaction that has not failed.
   */
  deferSavepointCommand(sql: string, answered: (error: Error | undefined) => void): DeferredControl;
  /**
   * Forgets a deferred savepoint command when it never reached the server (no statement ran)
   * or failed: true then, and nothing must be sent to undo it.
   */
  dropSavepointCommand(command: DeferredControl): boolean;
  /** Sends one statement through the connection's one execution path (queue, echo, errors). */
  query(sql: string, parameters: readonly unknown[], rowMode: 'array' | 'object'): Promise<pg.QueryResult>;
}

/**
 * A control statement a connection deferred to its next statement (see
 * `TransactionHost.deferSavepointCommand`). Not part of the public API.
 */
export interface DeferredControl {
  readonly sql: string;
}

/**
 * The connection type a transaction of a `DB` hands out (`tx.connection`, `transaction(fn)`'s
 * argument). The connection layer plugs its class in by augmenting this interface with a
 * `connection` member (`declare module`), so the public types name `SAConnection<DB>` while
 * this layer imports nothing from above it.
 */
// eslint-disable-next-line @typescript-eslint/no-unused-vars, @typescript-eslint/no-empty-object-type -- filled by augmentation
export interface ConnectionTypes<DB> {}

/** The connection class of a `DB` (see {@link ConnectionTypes}); `TransactionHost` when none was plugged in. */
export type ConnectionOf<DB> =
  ConnectionTypes<DB> extends { readonly connection: infer C extends TransactionHost }
    ? C
    : TransactionHost;
