import type {
  CompiledQuery,
  DatabaseConnection,
  Driver,
  QueryResult,
  TransactionSettings,
} from 'kysely';
import type pg from 'pg';
import type { RowMode } from '../connection/sa-connection.js';
import type { Transaction } from '../transaction/transaction.js';
import {
  kyselyTransactionOptions,
  type TransactionOptions,
} from '../transaction/transaction-sql.js';

const AFFECTING = new Set(['INSERT', 'UPDATE', 'DELETE', 'MERGE']);

/**
 * What the Kysely glue needs from a session (a `Session` implements it): the lazy execution
 * path and the session's units of work.
 *
 * @internal
 */
export interface SessionHost<DB> {
  /** Runs a statement inside the session's transaction (connecting and beginning it first). */
  query(sql: string, parameters: readonly unknown[], rowMode: RowMode): Promise<pg.QueryResult>;
  /** Begins the session's transaction, or a savepoint when it is open. */
  beginUnit(options: TransactionOptions): Promise<Transaction<DB>>;
  /** Commits or rolls back a unit from `beginUnit`; a rollback never throws. */
  endUnit(unit: Transaction<DB>, outcome: 'commit' | 'rollback'): Promise<void>;
}

/**
 * One Kysely connection handle on a session: made per `acquireConnection`, so each Kysely
 * transaction keeps its own unit of work and nested or concurrent ones cannot mix them up.
 */
class SessionConnection<DB> implements DatabaseConnection {
  readonly host: SessionHost<DB>;
  /** The unit of work Kysely began on this handle, until it ends. */
  unit: Transaction<DB> | undefined;

  constructor(host: SessionHost<DB>) {
    this.host = host;
  }

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const result = await this.host.query(compiledQuery.sql, compiledQuery.parameters, 'object');
    const last = Array.isArray(result) ? result.at(-1) : result;
    const rows = (last?.rows ?? []) as R[];
    if (last?.command && AFFECTING.has(last.command) && last.rowCount !== null) {
      return { numAffectedRows: BigInt(last.rowCount), rows };
    }
    return { rows };
  }

  // eslint-disable-next-line require-yield -- streaming through Kysely is not offered yet
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming through session.db is not supported');
  }
}

/**
 * The Kysely driver behind `session.db`: queries take the session's lazy path; a Kysely
 * transaction is the session's transaction when none is open (begun with Kysely's isolation
 * level and access mode) and a savepoint inside an open one, both through pgsa's transaction
 * objects. Releasing does nothing: the session's owner releases its connection.
 *
 * @internal
 */
export class SessionDriver<DB> implements Driver {
  readonly #host: SessionHost<DB>;

  constructor(host: SessionHost<DB>) {
    this.#host = host;
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    return new SessionConnection(this.#host);
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings) {
    const handle = connection as SessionConnection<DB>;
    handle.unit = await handle.host.beginUnit(kyselyTransactionOptions(settings));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    const handle = connection as SessionConnection<DB>;
    const unit = handle.unit;
    if (unit === undefined) return;
    await handle.host.endUnit(unit, 'commit');
    handle.unit = undefined;
  }

  /** Also called after a failed commit; never throws, so Kysely keeps the original error. */
  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    const handle = connection as SessionConnection<DB>;
    const unit = handle.unit;
    handle.unit = undefined;
    if (unit !== undefined) await handle.host.endUnit(unit, 'rollback');
  }

  async releaseConnection(): Promise<void> {}

  async destroy(): Promise<void> {}
}
