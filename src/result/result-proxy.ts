import { ResourceClosedError } from '../errors/pgsa-error.js';
import type { RowProxy, RowShape } from './row-shape.js';

/** What a statement produced, as the connection hands it to {@link ResultProxy}. Not part of the public API: kept in the declarations because public ones refer to it. */
export interface RawResult {
  /** `SELECT`, `INSERT`, `UPDATE`, `CREATE` … */
  readonly command: string;
  /** Rows returned (statements with a result set) or affected (DML); `null` when unknown. */
  readonly rowCount: number | null;
  /** The column layout, or `undefined` when the statement returns no rows. */
  readonly shape: RowShape | undefined;
  /** One values array per row, in column order. */
  readonly rows: unknown[][];
  /**
   * The shape of each row, when the rows differ in their columns (rows a Kysely plugin
   * transformed can); otherwise `shape` serves every row.
   */
  readonly rowShapes?: readonly RowShape[] | undefined;
}

type Status = 'open' | 'closed';

/**
 * The result of one statement, read the aiopg.sa way: `fetchOne()`, `fetchMany()`,
 * `fetchAll()`, `first()`, `scalar()`, or iteration over the remaining rows. Rows are
 * {@link RowProxy} objects typed from the query builder.
 *
 * pgsa buffers the result (like aiopg's client-side cursor); use `conn.stream()` for results
 * too big for memory. Readers are synchronous, so `await` on them is optional.
 *
 * Differences from aiopg, on purpose: reaching the end does not close the result, so
 * `fetchOne()` after the last row returns `null` every time; only `first()`, `scalar()` and
 * `close()` close it.
 *
 * @example
 * ```ts
 * const result = await conn.execute(db.selectFrom('users').select(['id', 'name']));
 * result.keys();            // ['id', 'name']
 * for (const row of result) console.log(row.id, row.name);
 * ```
 */
export class ResultProxy<Row> implements Iterable<RowProxy<Row>>, AsyncIterable<RowProxy<Row>> {
  /** The statement's command tag (`SELECT`, `INSERT` …). */
  readonly command: string;
  /**
   * Rows affected by INSERT/UPDATE/DELETE (matched, as PostgreSQL counts them), or rows
   * returned by a SELECT; `-1` when the server did not say.
   */
  readonly rowCount: number;
  /** True when the statement has a result set (SELECT, or DML with RETURNING). */
  readonly returnsRows: boolean;
  readonly #shape: RowShape | undefined;
  readonly #rows: unknown[][];
  readonly #rowShapes: readonly RowShape[] | undefined;
  #position = 0;
  #status: Status;

  /** @internal Results are made by `SAConnection.execute`. */
  constructor(raw: RawResult) {
    this.command = raw.command;
    this.rowCount = raw.rowCount ?? -1;
    this.#shape = raw.shape;
    this.returnsRows = raw.shape !== undefined;
    this.#rows = raw.rows;
    this.#rowShapes = raw.rowShapes;
    // As aiopg: a statement without a result set is closed at once.
    this.#status = raw.shape === undefined ? 'closed' : 'open';
  }

  /** True after `close()`, `first()`, `scalar()`, or for statements that return no rows. */
  get closed(): boolean {
    return this.#status === 'closed';
  }

  /** Column names in order, duplicates included; `[]` when the statement returns no rows. */
  keys(): string[] {
    return this.#shape ? [...this.#shape.names] : [];
  }

  /** The next row, or `null` after the last one (every time). @throws ResourceClosedError */
  fetchOne(): RowProxy<Row> | null {
    const shape = this.#guard('fetchOne');
    const position = this.#position;
    const values = this.#rows[position];
    if (values === undefined) return null;
    this.#position++;
    return (this.#rowShapes === undefined ? shape : this.#shapeAt(position)).row<Row>(values);
  }

  /**
   * Up to `size` next rows (default 1, aiopg's `arraysize`); `[]` after the end.
   * @throws ResourceClosedError, RangeError for a negative or fractional size
   */
  fetchMany(size = 1): RowProxy<Row>[] {
    if (!Number.isInteger(size) || size < 0) {
      throw new RangeError(`fetchMany size must be a non-negative integer, got ${size}`);
    }
    return this.#take(this.#guard('fetchMany'), size);
  }

  /** Every remaining row. @throws ResourceClosedError */
  fetchAll(): RowProxy<Row>[] {
    return this.#take(this.#guard('fetchAll'), this.#rows.length);
  }

  /** The next row (or `null`), then closes the result. @throws ResourceClosedError */
  first(): RowProxy<Row> | null {
    const row = this.fetchOne();
    this.close();
    return row;
  }

  /**
   * The first column of the next row (or `null`), then closes; typed from the row (the union of
   * its column types when the row has several: the first column's name is not in its type).
   *
   * @throws ResourceClosedError
   */
  scalar(): ScalarOf<Row> {
    const row = this.first();
    return (row === null ? null : (row.at(0) ?? null)) as ScalarOf<Row>;
  }

  /** Releases the buffered rows. Harmless when repeated. */
  close(): void {
    this.#status = 'closed';
    this.#rows.length = 0;
  }

  /** Iterates over the remaining rows (`for (const row of result)`). */
  *[Symbol.iterator](): Iterator<RowProxy<Row>> {
    for (let row = this.fetchOne(); row !== null; row = this.fetchOne()) yield row;
  }

  /** The same rows as an async iterable (`for await`, as aiopg.sa). */
  async *[Symbol.asyncIterator](): AsyncIterator<RowProxy<Row>> {
    for (let row = this.fetchOne(); row !== null; row = this.fetchOne()) yield row;
  }

  #take(shape: RowShape, size: number): RowProxy<Row>[] {
    const end = Math.min(this.#position + size, this.#rows.length);
    const rows: RowProxy<Row>[] = new Array(end - this.#position);
    const varying = this.#rowShapes !== undefined;
    for (let index = 0; this.#position < end; index++, this.#position++) {
      const values = this.#rows[this.#position] as unknown[];
      rows[index] = (varying ? this.#shapeAt(this.#position) : shape).row<Row>(values);
    }
    return rows;
  }

  #shapeAt(position: number): RowShape {
    return (this.#rowShapes as readonly RowShape[])[position] as RowShape;
  }

  #guard(operation: string): RowShape {
    if (this.#shape === undefined) {
      throw new ResourceClosedError(
        `cannot ${operation}: this ${this.command || 'statement'} result does not return rows; ` +
          'it was closed automatically',
      );
    }
    if (this.#status === 'closed') {
      throw new ResourceClosedError(`cannot ${operation}: this result is closed`);
    }
    return this.#shape;
  }
}

/** The value of a row's first column: `Row[keyof Row] | null`, or `unknown` for an untyped row. */
export type ScalarOf<Row> = unknown extends Row ? unknown : Row[keyof Row] | null;
