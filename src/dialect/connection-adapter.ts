import type { CompiledQuery, DatabaseConnection, QueryResult } from 'kysely';
import type pg from 'pg';
import type { SAConnection } from '../connection/sa-connection.js';
import { batchSizeOf, DEFAULT_BATCH_SIZE } from '../connection/stream-options.js';

const AFFECTING = new Set(['INSERT', 'UPDATE', 'DELETE', 'MERGE']);

/**
 * Presents an `SAConnection` to Kysely as a `DatabaseConnection`, so queries executed through
 * Kysely take pgsa's one execution path.
 *
 * @internal
 */
export class ConnectionAdapter<DB> implements DatabaseConnection {
  readonly connection: SAConnection<DB>;

  constructor(connection: SAConnection<DB>) {
    this.connection = connection;
  }

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const result = await this.connection.query(
      compiledQuery.sql,
      compiledQuery.parameters,
      'object',
    );
    return toKyselyResult<R>(result);
  }

  /**
   * Kysely's `.stream(chunkSize)`: the rows through a server-side cursor on this connection,
   * `chunkSize` at a time (the same path as `conn.stream()`).
   */
  async *streamQuery<R>(
    compiledQuery: CompiledQuery,
    chunkSize = DEFAULT_BATCH_SIZE,
  ): AsyncIterableIterator<QueryResult<R>> {
    const batchSize = batchSizeOf({ batchSize: chunkSize });
    for await (const batch of this.connection.cursorBatches(
      compiledQuery.sql,
      compiledQuery.parameters,
      'object',
      batchSize,
    )) {
      yield { rows: batch.rows as R[] };
    }
  }
}

/**
 * Kysely's view of a node-postgres result (object rows; the last result of a multi-statement
 * string), shared by connection and pipelined execution.
 *
 * @internal
 */
export function toKyselyResult<R>(result: pg.QueryResult | pg.QueryResult[]): QueryResult<R> {
  const last = Array.isArray(result) ? result.at(-1) : result;
  const rows = (last?.rows ?? []) as R[];
  if (last?.command && AFFECTING.has(last.command) && last.rowCount !== null) {
    return { numAffectedRows: BigInt(last.rowCount), rows };
  }
  return { rows };
}
