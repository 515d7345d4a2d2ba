import type { SAConnection } from '../connection/sa-connection.js';
import type { Engine } from '../engine/engine.js';
import type { Transaction } from '../transaction/transaction.js';
import type { TransactionOptions } from '../sql/transaction-sql.js';
import { InterfaceError } from '../errors/pgsa-error.js';
import { pinnedConnection } from './pinned-connection.js';
import { beginDeferredTransaction } from '../transaction/begin-transaction.js';

const READ_ONLY: TransactionOptions = { readOnly: true };
const identity = <T>(value: T): T => value;

/**
 * A session's connection and its current transaction, both taken lazily: the connection from
 * the engine's pool (or the one the test kit pinned), the transaction as a pgsa
 * {@link Transaction} of that connection (`conn.begin()`, or `conn.beginNested()` — a
 * savepoint of the test transaction — on a pinned connection). It holds no queue: the
 * session orders the calls that reach it.
 *
 * @internal
 */
export class LazyConnection<DB> {
  readonly #engine: Engine<DB>;
  #conn: SAConnection<DB> | undefined;
  /** True when the test kit lent the connection: it is not ours to release. */
  #pinned = false;
  /** The current transaction (it may have ended: see `open()`). */
  #tx: Transaction<DB> | undefined;
  /** Connect through `engine.readonly` and begin every transaction `READ ONLY`. */
  readonly #readOnly: boolean;

  constructor(engine: Engine<DB>, readOnly = false) {
    this.#engine = engine;
    this.#readOnly = readOnly;
  }

  /** The connection, once taken. */
  get connection(): SAConnection<DB> | undefined {
    return this.#conn;
  }

  /** The current transaction when it is open (active or failed) on the connection. */
  open(): Transaction<DB> | undefined {
    const tx = this.#tx;
    const conn = this.#conn;
    if (tx === undefined || conn === undefined || !tx.isActive) return undefined;
    // A COMMIT or ROLLBACK sent as SQL ends the transaction behind its object's back.
    return this.#pinned || conn.inTransaction ? tx : undefined;
  }

  /** Takes the connection unless taken: the pinned one, or one from the pool. */
  async connect(): Promise<SAConnection<DB>> {
    if (this.#conn !== undefined) return this.#conn;
    const pin = pinnedConnection(this.#engine);
    const conn = pin
      ? (pin.connection as unknown as SAConnection<DB>)
      : await (this.#readOnly ? this.#engine.readonly.acquire() : this.#engine.acquire());
    this.#pinned = pin !== undefined;
    this.#conn = conn;
    return conn;
  }

  /** The open transaction, or a new one begun (connecting first) when none is open. */
  ensure(): Promise<Transaction<DB>> {
    return this.use(identity);
  }

  /**
   * `use(tx)` of the open transaction, or of a new one begun (connecting first) when none is
   * open. A session's first statement (a request's) takes one reaction after the pool's:
   * its BEGIN is deferred to go out with the statement, so beginning needs no round trip and
   * no promise of its own.
   */
  use<T>(use: (tx: Transaction<DB>) => T): Promise<T> {
    const open = this.open();
    // Called at once on the open transaction: the caller's step already runs in call order.
    if (open !== undefined) return Promise.resolve(use(open));
    if (this.#conn !== undefined || this.#tx !== undefined || pinnedConnection(this.#engine) !== undefined) {
      return this.begin({}).then(use);
    }
    const engine = this.#readOnly ? this.#engine.readonly : this.#engine;
    return engine.acquire().then((conn) => {
      this.#pinned = false;
      this.#conn = conn;
      const tx = beginDeferredTransaction(conn, this.#readOnly ? READ_ONLY : {});
      this.#tx = tx;
      return use(tx);
    });
  }

  /**
   * Begins a new current transaction with `options` (validated by the caller). On a pinned
   * connection it is a savepoint, which cannot change the test transaction's settings, so
   * `options` are ignored there.
   */
  async begin(options: TransactionOptions): Promise<Transaction<DB>> {
    if (this.#readOnly) {
      if (options.readOnly === false) {
        throw new InterfaceError('cannot begin a read-write transaction: the session is read-only');
      }
      options = { ...options, readOnly: true };
    }
    const conn = this.#conn ?? (await this.connect());
    const stale = this.#tx;
    this.#tx = undefined;
    // Ended by SQL behind its back: close the object (its ROLLBACK is a no-op warning).
    if (stale?.isActive) await stale.close();
    const tx = this.#pinned ? await conn.beginNested() : await conn.begin(options);
    this.#tx = tx;
    return tx;
  }

  /** Rolls back the current transaction with everything opened in it; nothing when ended. */
  async rollback(): Promise<void> {
    await this.#tx?.close();
  }

  /**
   * Rolls back what is open and returns the connection to the pool (a pinned one stays with
   * the test kit). Never throws for the rollback: `SAConnection.close()` retries it and
   * discards the connection if it fails.
   */
  release(): Promise<void> {
    const conn = this.#conn;
    if (conn === undefined) return Promise.resolve();
    const tx = this.#tx;
    if (tx?.isActive) return this.#rollBackAndRelease(conn, tx);
    // The common case (committed at the end of a request): no extra promise on the way.
    this.#forget();
    if (!this.#pinned) return conn.close();
    this.#pinned = false;
    return Promise.resolve();
  }

  async #rollBackAndRelease(conn: SAConnection<DB>, tx: Transaction<DB>): Promise<void> {
    try {
      await tx.close();
    } catch {
      // The connection's close() deals with it (see above).
    } finally {
      this.#forget();
      if (!this.#pinned) await conn.close();
      this.#pinned = false;
    }
  }

  #forget(): void {
    this.#conn = undefined;
    this.#tx = undefined;
  }
}
