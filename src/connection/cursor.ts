import type pg from 'pg';
import { InterfaceError } from '../errors/pgsa-error.js';
import { runStatement } from '../protocol/run-statement.js';
import type { ResultProxy } from '../result/result-proxy.js';
import type { RowProxy } from '../result/row-shape.js';
import type { ShapeCache } from '../result/shape-cache.js';
import { quoteIdentifier } from '../sql/quote.js';
import type { Statement } from './compile-statement.js';
import type { PreparedHost } from './prepared-statement.js';
import { resultOf } from './result-of.js';
import type { StatementConnection } from './statement-connection.js';
import { batchSizeOf, type StreamOptions } from './stream-options.js';

/** Options of `conn.cursor`: `batchSize` rows per round trip when iterating (default 100). */
export type CursorOptions = StreamOptions;

/**
 * `conn.cursor(…)`'s result: awaited, the open {@link Cursor}; iterated directly
 * (`for await (const row of conn.cursor(q))`), its rows.
 */
export type PendingCursor<Row> = Promise<Cursor<Row>> & AsyncIterable<RowProxy<Row>>;

type Status = 'open' | 'closed';

let cursorCounter = 0;

/**
 * A server-side cursor (`DECLARE … NO SCROLL CURSOR`) inside a transaction (asyncpg's `Cursor`):
 * `fetch(n)`, `fetchRow()`, `forward(n)` read it on demand, iteration reads it `batchSize` rows
 * at a time; memory holds one batch at most. Other statements may run on the connection between
 * reads. The cursor lives as long as its transaction: used after it ended, it is an
 * `InterfaceError`; `close()` (`CLOSE`) frees it earlier.
 *
 * @example
 * ```ts
 * await conn.transaction(async () => {
 *   const cur = await conn.cursor('select * from generate_series(1, $1) n', [1e6], { batchSize: 1000 });
 *   const first = await cur.fetch(10);   // FETCH 10 FROM "pgsa_cursor_1"
 *   await cur.forward(100);              // MOVE FORWARD 100 FROM "pgsa_cursor_1"
 *   const row = await cur.fetchRow();
 *   for await (const r of cur) {}        // the rest, 1000 at a time
 * });
 * ```
 */
export class Cursor<Row> implements AsyncIterable<RowProxy<Row>>, AsyncDisposable {
  /** The cursor's name on the server (quoted in the statements pgsa sends). */
  readonly name: string;
  readonly #conn: StatementConnection;
  readonly #host: PreparedHost;
  readonly #shapes: ShapeCache;
  readonly #statement: Statement;
  readonly #batchSize: number;
  /** The transaction the cursor was declared in (pgsa's outermost one), when pgsa opened it. */
  readonly #transaction: object | undefined;
  #status: Status = 'open';

  /** @internal Made by `conn.cursor` / `session.cursor`. */
  constructor(init: {
    conn: StatementConnection;
    host: PreparedHost;
    shapes: ShapeCache;
    statement: Statement;
    name: string;
    batchSize: number;
  }) {
    this.name = init.name;
    this.#conn = init.conn;
    this.#host = init.host;
    this.#shapes = init.shapes;
    this.#statement = init.statement;
    this.#batchSize = init.batchSize;
    this.#transaction = init.conn.frames.outermost();
  }

  /** True after `close()`, or once its transaction ended. */
  get closed(): boolean {
    return this.#status === 'closed' || !this.#alive();
  }

  /**
   * The next `n` rows (fewer at the end; `[]` after it).
   *
   * @throws RangeError for a negative or fractional `n`; InterfaceError after `close()` or once
   *   its transaction ended; otherwise as `execute`.
   */
  async fetch(n: number): Promise<RowProxy<Row>[]> {
    return (await this.#read('fetch', `FETCH ${count(n)} FROM ${quoteIdentifier(this.name)}`)).fetchAll();
  }

  /** The next row, or `null` after the last one. @throws as {@link Cursor.fetch} */
  async fetchRow(): Promise<RowProxy<Row> | null> {
    return (await this.#read('fetchRow', `FETCH 1 FROM ${quoteIdentifier(this.name)}`)).first();
  }

  /**
   * Skips the next `n` rows without sending them (`MOVE FORWARD n`); resolves with the number
   * skipped (fewer than `n` at the end).
   *
   * @throws as {@link Cursor.fetch}
   */
  async forward(n: number): Promise<number> {
    return (await this.#read('forward', `MOVE FORWARD ${count(n)} FROM ${quoteIdentifier(this.name)}`)).rowCount;
  }

  /**
   * Closes the cursor on the server (`CLOSE`). Harmless when repeated, and after its
   * transaction ended (the server closed it then).
   */
  async close(): Promise<void> {
    if (this.#status === 'closed') return;
    this.#status = 'closed';
    if (!this.#alive() || this.#conn.transactionFailed) return;
    await this.#host.run('close', (conn) => conn.query(`CLOSE ${quoteIdentifier(this.name)}`, [], 'array'));
  }

  /** `await using cur = await conn.cursor(…)` closes it at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** The remaining rows, `batchSize` per round trip; leaving the loop early closes the cursor. */
  async *[Symbol.asyncIterator](): AsyncIterator<RowProxy<Row>> {
    let finished = false;
    try {
      for (;;) {
        const batch = await this.fetch(this.#batchSize);
        for (const row of batch) yield row;
        if (batch.length < this.#batchSize) break;
      }
      finished = true;
    } finally {
      if (!finished) await this.close();
    }
  }

  async #read(operation: string, sql: string): Promise<ResultProxy<Row>> {
    this.#guard(operation);
    const result = await this.#host.run(operation, (conn) => {
      this.#guard(operation);
      return conn.query(sql, [], 'array');
    });
    return resultOf<Row>(result, this.#statement, this.#shapes);
  }

  #alive(): boolean {
    const conn = this.#conn;
    if (conn.closed || !conn.inTransaction) return false;
    return this.#transaction === undefined || conn.frames.outermost() === this.#transaction;
  }

  #guard(operation: string): void {
    const hostClosed = this.#host.closedError?.(operation);
    if (hostClosed !== undefined) throw hostClosed;
    if (this.#status === 'closed') {
      throw new InterfaceError(`cannot ${operation}: the cursor is closed`);
    }
    if (!this.#alive()) {
      throw new InterfaceError(
        `cannot ${operation}: the cursor's transaction has ended; a cursor lives only as long as ` +
          'the transaction that opened it (open a new one inside a transaction)',
      );
    }
  }
}

function count(n: number): number {
  if (!Number.isInteger(n) || n < 0) {
    throw new RangeError(`the row count must be a non-negative integer, got ${String(n)}`);
  }
  return n;
}

/**
 * Declares a cursor for `statement` on `conn`, which must be inside a transaction. The DECLARE
 * bypasses the statement cache: its text names a new cursor every time.
 *
 * @internal
 */
export async function openCursor<Row>(
  conn: StatementConnection,
  host: PreparedHost,
  shapes: ShapeCache,
  statement: Statement,
  options: CursorOptions | undefined,
): Promise<Cursor<Row>> {
  const batchSize = batchSizeOf(options);
  if (!conn.inTransaction) {
    conn.guardOpen('cursor');
    throw new InterfaceError(
      'cannot open a cursor outside a transaction: a server-side cursor lives inside one; ' +
        'call cursor() inside conn.transaction(…) or after conn.begin()',
    );
  }
  const name = `pgsa_cursor_${++cursorCounter}`;
  const sql = `DECLARE ${quoteIdentifier(name)} NO SCROLL CURSOR FOR ${statement.sql}`;
  const parameters = statement.parameters;
  await conn.exchange(
    sql,
    parameters,
    (client: pg.ClientBase, _cache, secret) => runStatement(client, undefined, sql, parameters, 'array', secret),
    undefined,
  );
  return new Cursor<Row>({ conn, host, shapes, statement, name, batchSize });
}

/** `promise` made iterable: the rows of the cursor it resolves to. @internal */
export function pendingCursor<Row>(promise: Promise<Cursor<Row>>): PendingCursor<Row> {
  return Object.assign(promise, {
    async *[Symbol.asyncIterator](): AsyncIterator<RowProxy<Row>> {
      yield* await promise;
    },
  });
}
