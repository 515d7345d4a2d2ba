import type {
  CompiledQuery,
  DatabaseConnection,
  Driver,
  QueryResult,
  TransactionSettings,
} from 'kysely';
import type { Session } from './session.js';

const AFFECTING = new Set(['INSERT', 'UPDATE', 'DELETE', 'MERGE']);

/**
 * Presents a `Session` to Kysely: each query takes the session's lazy path (connection,
 * `BEGIN`, then the connection's one execution path).
 *
 * @internal
 */
class SessionAdapter<DB> implements DatabaseConnection {
  readonly session: Session<DB>;

  constructor(session: Session<DB>) {
    this.session = session;
  }

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const result = await this.session.query(compiledQuery.sql, compiledQuery.parameters, 'object');
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
 * The Kysely driver behind `session.db`: one adapter per session; Kysely transactions map to
 * the session's transaction (or to a savepoint inside it), releasing does nothing because the
 * session's owner releases its connection.
 *
 * @internal
 */
export class SessionDriver<DB> implements Driver {
  readonly #adapter: SessionAdapter<DB>;

  constructor(session: Session<DB>) {
    this.#adapter = new SessionAdapter(session);
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    return this.#adapter;
  }

  async beginTransaction(_connection: DatabaseConnection, settings: TransactionSettings) {
    await this.#adapter.session.beginKysely({
      isolationLevel: settings.isolationLevel,
      accessMode: settings.accessMode,
    });
  }

  async commitTransaction(): Promise<void> {
    await this.#adapter.session.endKysely('commit');
  }

  async rollbackTransaction(): Promise<void> {
    await this.#adapter.session.endKysely('rollback');
  }

  async releaseConnection(): Promise<void> {}

  async destroy(): Promise<void> {}
}
