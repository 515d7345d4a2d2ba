import type pg from 'pg';
import { InterfaceError } from '../errors/pgsa-error.js';
import type { RowProxy } from './row-shape.js';
import type { ShapeCache } from './shape-cache.js';

/** A source of row batches (values arrays) from a server-side cursor. @internal */
export type BatchSource = () => AsyncGenerator<{
  readonly rows: unknown[];
  readonly fields: readonly pg.FieldDef[];
}>;

/**
 * The rows of one statement read through a server-side cursor, `batchSize` rows per round trip,
 * so memory stays bounded whatever the result size. Made by `SAConnection.stream()`.
 *
 * The cursor opens when iteration starts and closes when it ends: after the last row, when the
 * loop is left early (`break`, `return`, an exception), or when the statement fails (the loop
 * then throws the typed error, e.g. `DataError`). While it is open, every other statement on the
 * connection is refused with `InterfaceError` ("another operation is in progress"). A stream
 * can be iterated once.
 *
 * @example
 * ```ts
 * for await (const row of conn.stream(conn.db.selectFrom('users').select(['id', 'name']), {
 *   batchSize: 500,
 * })) {
 *   if (row.id > 1000) break; // closes the cursor
 * }
 * // SQL: select "id", "name" from "users"  (through a portal, FETCH 500 at a time)
 * ```
 */
export class RowStream<Row> implements AsyncIterable<RowProxy<Row>> {
  readonly #open: BatchSource;
  readonly #shapes: ShapeCache;
  #started = false;

  /** @internal Streams are made by `SAConnection.stream()`. */
  constructor(open: BatchSource, shapes: ShapeCache) {
    this.#open = open;
    this.#shapes = shapes;
  }

  /**
   * Opens the cursor and yields its rows.
   *
   * @throws InterfaceError when this stream was iterated before, or another stream is open on
   *   the connection; ResourceClosedError when the connection is (or gets) closed;
   *   `DatabaseError` subclasses when the statement fails, also in the middle of the rows.
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<RowProxy<Row>, void, undefined> {
    if (this.#started) {
      throw new InterfaceError(
        'cannot iterate: this stream was already iterated; call conn.stream() again',
      );
    }
    this.#started = true;
    let shape: ReturnType<ShapeCache['forFields']> | undefined;
    for await (const batch of this.#open()) {
      shape ??= this.#shapes.forFields(batch.fields);
      for (const values of batch.rows) yield shape.row<Row>(values as unknown[]);
    }
  }

  /**
   * Reads every row into an array (for small results; defeats the purpose for big ones).
   *
   * @example
   * ```ts
   * const rows = await conn.stream('select 1 as n').toArray();
   * ```
   */
  async toArray(): Promise<RowProxy<Row>[]> {
    const rows: RowProxy<Row>[] = [];
    for await (const row of this) rows.push(row);
    return rows;
  }
}
