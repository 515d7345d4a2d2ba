import type pg from 'pg';
import { InterfaceError } from '../errors/pgsa-error.js';
import type { RowProxy, RowShape } from './row-shape.js';
import type { ShapeCache } from './shape-cache.js';

/** One batch of rows (values arrays) from a server-side cursor. Not part of the public API: kept in the declarations because public ones refer to it. */
export interface RowBatch {
  readonly rows: unknown[];
  readonly fields: readonly pg.FieldDef[];
  /** The rows' shape when it is not the one of `fields` (rows Kysely plugins transformed). */
  readonly shape?: RowShape | undefined;
  /** The shape of each row, when the rows of this batch differ in their columns. */
  readonly rowShapes?: readonly RowShape[] | undefined;
}

/** A source of row batches from a server-side cursor. Not part of the public API: kept in the declarations because public ones refer to it. */
export type BatchSource = () => AsyncGenerator<RowBatch, void, undefined>;

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
  [Symbol.asyncIterator](): AsyncIterator<RowProxy<Row>, undefined> {
    if (this.#started) return new RefusedIterator();
    this.#started = true;
    return new RowIterator<Row>(this.#open(), this.#shapes);
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

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/**
 * The rows of the batches, one `next()` each. Hand-written rather than an async generator:
 * a generator's `yield` costs several promises per row, and this runs once per row. A row
 * already read is handed out at once; only the first row of a batch waits for the server.
 */
class RowIterator<Row> implements AsyncIterator<RowProxy<Row>, undefined> {
  readonly #batches: ReturnType<BatchSource>;
  readonly #shapes: ShapeCache;
  #shape: RowShape | undefined;
  #rowShapes: readonly RowShape[] | undefined;
  #rows: readonly unknown[] = [];
  #next = 0;
  #done = false;

  constructor(batches: ReturnType<BatchSource>, shapes: ShapeCache) {
    this.#batches = batches;
    this.#shapes = shapes;
  }

  next(): Promise<IteratorResult<RowProxy<Row>, undefined>> {
    if (this.#next < this.#rows.length) {
      const index = this.#next++;
      const values = this.#rows[index] as unknown[];
      const shape = this.#rowShapes === undefined ? this.#shape : this.#rowShapes[index];
      return Promise.resolve({ done: false, value: (shape as RowShape).row<Row>(values) });
    }
    return this.#read();
  }

  /** Leaving the loop early (`break`, `return`, a throw) closes the cursor. */
  async return(): Promise<IteratorReturnResult<undefined>> {
    this.#finish();
    await this.#batches.return(undefined);
    return DONE;
  }

  // An async function, so a failure's stack runs through the cursor to the caller's loop.
  async #read(): Promise<IteratorResult<RowProxy<Row>, undefined>> {
    while (!this.#done) {
      let batch: IteratorResult<RowBatch, void>;
      try {
        batch = await this.#batches.next();
      } catch (error) {
        this.#finish();
        throw error;
      }
      if (batch.done === true) break;
      const { rows, shape, rowShapes } = batch.value;
      if (rows.length === 0) continue;
      this.#shape = shape ?? this.#shape ?? this.#shapes.forFields(batch.value.fields);
      this.#rowShapes = rowShapes;
      this.#rows = rows;
      this.#next = 1;
      return { done: false, value: (rowShapes?.[0] ?? this.#shape).row<Row>(rows[0] as unknown[]) };
    }
    this.#finish();
    return DONE;
  }

  #finish(): void {
    this.#done = true;
    this.#rows = [];
    this.#rowShapes = undefined;
    this.#next = 0;
  }
}

/** What a second iteration of one stream gets: its first `next()` rejects. */
class RefusedIterator<Row> implements AsyncIterator<RowProxy<Row>, undefined> {
  next(): Promise<IteratorResult<RowProxy<Row>, undefined>> {
    return Promise.reject(
      new InterfaceError(
        'cannot iterate: this stream was already iterated; call conn.stream() again',
      ),
    );
  }
}
