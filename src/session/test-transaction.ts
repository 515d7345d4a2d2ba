/**
 * pgsa/testing: run each of your tests inside one transaction that is rolled back at the end,
 * so every test starts from a clean database without truncating tables.
 *
 * @packageDocumentation
 */
import type { Kysely } from 'kysely';
import type { SAConnection } from '../connection/sa-connection.js';
import type { Engine } from '../engine/engine.js';
import { InterfaceError } from '../errors/pgsa-error.js';
import { type PinnedConnection, pinConnection, unpinConnection } from './pinned-connection.js';
import type { Transaction } from '../transaction/transaction.js';
import { runInNewContext } from './run-in-new-context.js';

/**
 * An outer transaction, on one connection, that every session of one engine joins while it is
 * open: their transactions become savepoints of it (`BEGIN` → `SAVEPOINT`, `COMMIT` →
 * `RELEASE SAVEPOINT`, `ROLLBACK` → `ROLLBACK TO SAVEPOINT`, named by the connection as
 * `conn.beginNested()` names them), so application code that commits
 * still works and sees its own writes, and `rollback()` undoes all of it.
 *
 * Covered: `dbSession`, `atomic`, `runInNewContext`, `newSession`, `newAtomicSession` and the
 * request middleware. Not covered: connections taken directly with `engine.acquire()` or
 * queries run on `engine.db` (they use other pool connections and commit for real). Sessions
 * share the connection, so they should not run transactions concurrently.
 *
 * @example
 * ```ts
 * let tx: TestTransaction<Database>;
 * beforeEach(async () => { tx = await beginTestTransaction(engine); });
 * afterEach(() => tx.rollback());
 * ```
 */
export class TestTransaction<DB> {
  readonly #engine: Engine<DB>;
  readonly #transaction: Transaction<DB>;
  readonly #pin: PinnedConnection;
  #ending: Promise<void> | undefined;

  /** @internal Use {@link beginTestTransaction}. */
  constructor(engine: Engine<DB>, transaction: Transaction<DB>, pin: PinnedConnection) {
    this.#engine = engine;
    this.#transaction = transaction;
    this.#pin = pin;
  }

  /** The pinned connection (to seed or inspect data inside the test transaction). */
  get connection(): SAConnection<DB> {
    return this.#transaction.connection;
  }

  /** `connection.db`: a `Kysely<DB>` running inside the test transaction. */
  get db(): Kysely<DB> {
    return this.#transaction.connection.db;
  }

  /** True once `rollback()` was called. */
  get ended(): boolean {
    return this.#ending !== undefined;
  }

  /**
   * Rolls back everything done in the test transaction, unpins the connection and returns it to
   * the pool. Harmless when repeated.
   */
  rollback(): Promise<void> {
    this.#ending ??= this.#end();
    return this.#ending;
  }

  /** `await using tx = await beginTestTransaction(engine)` rolls back at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.rollback();
  }

  async #end(): Promise<void> {
    unpinConnection(this.#engine, this.#pin);
    try {
      // Rolls back every savepoint a session left open inside it too.
      await this.#transaction.close();
    } finally {
      // Retries the rollback, or discards the connection, if that failed.
      await this.#transaction.connection.close();
    }
  }
}

/**
 * Takes a connection, begins the outer test transaction on it and pins it for `engine`, so
 * that every session of the engine runs inside it until `rollback()`.
 *
 * @throws InterfaceError when a test transaction is already open for `engine`.
 * @example
 * ```ts
 * await using tx = await beginTestTransaction(engine);
 * await request(app).post('/users').send({ name: 'ann' }); // the handler commits a savepoint
 * expect(await tx.connection.scalar('select count(*)::int from users')).toBe(1);
 * ```
 */
export async function beginTestTransaction<DB>(engine: Engine<DB>): Promise<TestTransaction<DB>> {
  const connection = await engine.acquire();
  let transaction: Transaction<DB>;
  try {
    transaction = await connection.begin();
  } catch (error) {
    await connection.close();
    throw error;
  }
  const pin: PinnedConnection = { connection: connection as unknown as SAConnection<unknown> };
  if (!pinConnection(engine, pin)) {
    await connection.close();
    throw new InterfaceError(
      'cannot begin a test transaction: one is already open for this engine; roll it back first',
    );
  }
  return new TestTransaction(engine, transaction, pin);
}

/**
 * Runs `fn(tx)` inside a test transaction and a new session context (so `dbSession()` works
 * in it), then rolls everything back, whether `fn` succeeded or threw.
 *
 * @returns what `fn` returns.
 * @throws what `fn` throws; InterfaceError when a test transaction is already open.
 * @example
 * ```ts
 * it('registers a user', () =>
 *   withTestTransaction(engine, async () => {
 *     await registerUser('ann'); // uses dbSession(engine) and commits
 *     expect(await countUsers()).toBe(1);
 *   })); // rolled back: the next test sees no user
 * ```
 */
export async function withTestTransaction<DB, R>(
  engine: Engine<DB>,
  fn: (tx: TestTransaction<DB>) => R | PromiseLike<R>,
): Promise<R> {
  const tx = await beginTestTransaction(engine);
  try {
    return await runInNewContext(fn, tx);
  } finally {
    await tx.rollback();
  }
}
