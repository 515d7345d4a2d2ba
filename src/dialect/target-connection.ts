import type { CompiledQuery, DatabaseConnection, QueryResult } from 'kysely';
import type pg from 'pg';
import { batchSizeOf, DEFAULT_BATCH_SIZE } from '../connection/stream-options.js';
import type { QueryTarget } from './kysely-host.js';

const AFFECTING = new Set(['INSERT', 'UPDATE', 'DELETE', 'MERGE']);

/**
 * Presents a {@link QueryTarget} to Kysely as a `DatabaseConnection`, so queries executed
 * through Kysely take pgsa's one execution path.
 *
 * @internal
 */
export class TargetConnection<Target extends QueryTarget> implements DatabaseConnection {
  readonly target: Target;

  constructor(target: Target) {
    this.target = target;
  }

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    return toKyselyResult<R>(
      await this.target.query(compiledQuery.sql, compiledQuery.parameters, 'object'),
    );
  }

  /** Kysely's `.stream(chunkSize)`: a server-side cursor, `chunkSize` rows at a time. */
  async *streamQuery<R>(
    compiledQuery: CompiledQuery,
    chunkSize = DEFAULT_BATCH_SIZE,
  ): AsyncIterableIterator<QueryResult<R>> {
    const batchSize = batchSizeOf({ batchSize: chunkSize });
    for await (const batch of this.target.cursorBatches(
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
 * string), shared by the driver and the pipelined path.
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
