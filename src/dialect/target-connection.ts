import { CompiledQuery, type DatabaseConnection, type QueryResult } from 'kysely';
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
  /**
   * node-postgres' results of the control statements in flight, by their compiled query (made
   * by the first one: most connections of a query never send one).
   */
  #controlResults: WeakMap<CompiledQuery, pg.QueryResult | undefined> | undefined;

  constructor(target: Target) {
    this.target = target;
  }

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const result = await this.target.query(compiledQuery.sql, compiledQuery.parameters, 'object');
    if (this.#controlResults?.has(compiledQuery)) {
      this.#controlResults.set(compiledQuery, Array.isArray(result) ? result.at(-1) : result);
    }
    return toKyselyResult<R>(result);
  }

  /**
   * Sends one transaction-control statement through `this.executeQuery` — which Kysely's
   * `log` wraps (it patches the method on this object), so BEGIN, COMMIT, ROLLBACK and
   * savepoints are logged and timed as every other query — and resolves with node-postgres'
   * result (the transaction objects read its `command`: a COMMIT answered with ROLLBACK).
   */
  readonly sendControl = async (sql: string): Promise<pg.QueryResult> => {
    const compiled = CompiledQuery.raw(sql);
    const results = (this.#controlResults ??= new WeakMap());
    results.set(compiled, undefined);
    try {
      await this.executeQuery(compiled);
      const result = results.get(compiled);
      if (result === undefined) throw new Error(`pgsa: no result for control statement ${sql}`);
      return result;
    } finally {
      results.delete(compiled);
    }
  };

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
