import type { QueryId } from 'kysely';
import type pg from 'pg';
import { pluginsOf } from '../result/query-plugins.js';
import { type RawResult, ResultProxy } from '../result/result-proxy.js';
import type { ShapeCache } from '../result/shape-cache.js';
import { transformResult } from '../result/transform-rows.js';
import type { Statement } from './compile-statement.js';

/**
 * node-postgres' result of `compiled` (array rows) as a {@link ResultProxy}, with the builder's
 * Kysely plugins applied to its rows — what `SAConnection.execute` returns, for results that
 * came another way (the engine's pipelined path, a prepared statement).
 *
 * @internal
 */
export function resultOf<Row>(
  result: pg.QueryResult | pg.QueryResult[],
  compiled: object,
  shapes: ShapeCache,
): ResultProxy<Row> | Promise<ResultProxy<Row>> {
  // A multi-statement string yields one result per statement: the last one is the result.
  const last = Array.isArray(result) ? (result.at(-1) as pg.QueryResult) : result;
  const returnsRows = last.fields.length > 0 || last.command === 'SELECT';
  const raw: RawResult = {
    command: last.command ?? '',
    rowCount: last.rowCount,
    shape: returnsRows ? shapes.forFields(last.fields) : undefined,
    rows: last.rows as unknown as unknown[][],
  };
  const plugins = pluginsOf(compiled);
  if (plugins === undefined) return new ResultProxy<Row>(raw);
  const queryId = (compiled as Statement).queryId as QueryId;
  return transformResult(raw, plugins, queryId, shapes).then((rows) => new ResultProxy<Row>(rows));
}
