import type { QueryId } from 'kysely';
import { pluginsOf } from './query-plugins.js';
import { type BatchSource, RowStream } from './row-stream.js';
import type { ShapeCache } from './shape-cache.js';
import { transformBatches } from './transform-rows.js';

/**
 * The rows of a compiled statement as a {@link RowStream}, through the `transformResult` of the
 * Kysely plugins its builder carried (none: the batches as they come). Shared by
 * `SAConnection.stream` and `Session.stream`.
 *
 * @internal
 */
export function compiledRowStream<Row>(
  compiled: { readonly queryId?: QueryId | undefined },
  open: BatchSource,
  shapes: ShapeCache,
): RowStream<Row> {
  const plugins = pluginsOf(compiled);
  if (plugins === undefined) return new RowStream<Row>(open, shapes);
  const queryId = compiled.queryId as QueryId;
  return new RowStream<Row>(() => transformBatches(open(), plugins, queryId, shapes), shapes);
}
