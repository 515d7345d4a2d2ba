import type { KyselyPlugin, QueryId, QueryResult, UnknownRow } from 'kysely';
import type { RawResult } from './result-proxy.js';
import type { RowBatch } from './row-stream.js';
import type { RowShape } from './row-shape.js';
import type { ShapeCache } from './shape-cache.js';

/** Rows after the plugins' `transformResult`, ready for `RowProxy` objects. Not part of the public API: kept in the declarations because public ones refer to it. */
export interface TransformedRows {
  /** The first row's shape (the server's columns when there are no rows). */
  readonly shape: RowShape;
  /** One values array per row. */
  readonly rows: unknown[][];
  /** Each row's shape, only when the rows differ in their columns. */
  readonly rowShapes: readonly RowShape[] | undefined;
}

/**
 * Runs rows (values arrays in the columns of `shape`) through the `transformResult` of Kysely
 * `plugins`, as Kysely itself would: as objects (a column name that repeats keeps its last
 * value, as in node-postgres' object rows), in plugin order. The objects the plugins return
 * become rows again, named by their keys in key order.
 *
 * Resolves `undefined` when the plugins left the rows as they were (every plugin returned the
 * result it was given, and no row was edited in place): the caller then keeps the server's
 * rows, so query-only plugins (WithSchemaPlugin …) keep repeated column names and the server's
 * column order.
 *
 * @internal
 */
export async function transformRows(
  plugins: readonly KyselyPlugin[],
  queryId: QueryId,
  shape: RowShape,
  rows: readonly unknown[][],
  shapes: ShapeCache,
  numAffectedRows?: bigint,
): Promise<TransformedRows | undefined> {
  const names = shape.names;
  const objects: UnknownRow[] = new Array(rows.length);
  for (let index = 0; index < rows.length; index++) {
    objects[index] = toObject(names, rows[index] as unknown[]);
  }
  const input: QueryResult<UnknownRow> =
    numAffectedRows === undefined ? { rows: objects } : { numAffectedRows, rows: objects };
  let result = input;
  for (const plugin of plugins) result = await plugin.transformResult({ result, queryId });
  if (result === input && result.rows === objects && unchanged(names, rows, objects)) {
    return undefined;
  }
  return fromObjects(result.rows, shape, shapes);
}

/**
 * `raw` with its rows through the plugins' `transformResult` (see {@link transformRows}); a
 * statement without a result set is returned as it is.
 *
 * @internal
 */
export async function transformResult(
  raw: RawResult,
  plugins: readonly KyselyPlugin[],
  queryId: QueryId,
  shapes: ShapeCache,
): Promise<RawResult> {
  if (raw.shape === undefined) return raw;
  const affected = AFFECTING.has(raw.command) && raw.rowCount !== null;
  const transformed = await transformRows(
    plugins,
    queryId,
    raw.shape,
    raw.rows,
    shapes,
    affected ? BigInt(raw.rowCount as number) : undefined,
  );
  return transformed === undefined ? raw : { ...raw, ...transformed };
}

/**
 * The batches of a cursor with their rows through the plugins' `transformResult`, batch by
 * batch (as Kysely's `.stream()` transforms chunk by chunk).
 *
 * @internal
 */
export async function* transformBatches(
  batches: AsyncGenerator<RowBatch, void, undefined>,
  plugins: readonly KyselyPlugin[],
  queryId: QueryId,
  shapes: ShapeCache,
): AsyncGenerator<RowBatch, void, undefined> {
  let serverShape: RowShape | undefined;
  // for-await closes `batches` (the cursor) when the consumer leaves its loop early.
  for await (const batch of batches) {
    serverShape ??= shapes.forFields(batch.fields);
    const rows = batch.rows as unknown[][];
    const transformed = await transformRows(plugins, queryId, serverShape, rows, shapes);
    yield transformed === undefined
      ? { rows, fields: batch.fields, shape: serverShape, rowShapes: undefined }
      : { fields: batch.fields, ...transformed };
  }
}

const AFFECTING = new Set(['INSERT', 'UPDATE', 'DELETE', 'MERGE']);

function toObject(names: readonly string[], values: unknown[]): UnknownRow {
  const row: UnknownRow = {};
  for (let index = 0; index < names.length; index++) row[names[index] as string] = values[index];
  return row;
}

/** True when every object still holds exactly the values of its row (in-place edits count). */
function unchanged(
  names: readonly string[],
  rows: readonly unknown[][],
  objects: readonly UnknownRow[],
): boolean {
  const last = new Map<string, number>();
  names.forEach((name, index) => last.set(name, index));
  for (let index = 0; index < rows.length; index++) {
    const values = rows[index] as unknown[];
    const object = objects[index] as UnknownRow;
    if (Object.keys(object).length !== last.size) return false;
    for (const [name, position] of last) {
      if (!Object.hasOwn(object, name) || !Object.is(object[name], values[position])) return false;
    }
  }
  return true;
}

function fromObjects(
  objects: readonly UnknownRow[],
  serverShape: RowShape,
  shapes: ShapeCache,
): TransformedRows {
  const rows: unknown[][] = new Array(objects.length);
  let first: RowShape | undefined;
  let current: RowShape | undefined;
  let rowShapes: RowShape[] | undefined;
  for (let index = 0; index < objects.length; index++) {
    const object = objects[index] as UnknownRow;
    const names = Object.keys(object);
    if (current === undefined || !sameNames(current.names, names)) current = shapes.forNames(names);
    rows[index] = Object.values(object);
    first ??= current;
    if (rowShapes !== undefined) rowShapes.push(current);
    else if (current !== first) rowShapes = [...new Array<RowShape>(index).fill(first), current];
  }
  return { shape: first ?? serverShape, rows, rowShapes };
}

function sameNames(known: readonly string[], names: readonly string[]): boolean {
  if (known.length !== names.length) return false;
  for (let index = 0; index < names.length; index++) {
    if (known[index] !== names[index]) return false;
  }
  return true;
}
