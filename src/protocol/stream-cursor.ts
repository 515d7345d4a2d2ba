import type pg from 'pg';
import Cursor from 'pg-cursor';
import { type CursorState, cursorState } from './pg-internals.js';
import { sendableValues } from './protocol-query.js';

/** One batch read from a server-side cursor. Not part of the public API: kept in the declarations because public ones refer to it. */
export interface CursorBatch {
  /** Values arrays (`rowMode: 'array'`) or plain objects (`'object'`). */
  readonly rows: unknown[];
  /** The column layout (the same for every batch of one cursor). */
  readonly fields: readonly pg.FieldDef[];
}

/**
 * A server-side cursor (a named portal, through `pg-cursor`) on one client: `read(n)` fetches
 * the next `n` rows, so memory holds a batch or two, never the result. While it is open the
 * client runs nothing else: node-postgres keeps it as the active query until it is closed.
 *
 * @internal
 */
export class StreamCursor {
  readonly #client: pg.ClientBase;
  readonly #cursor: Cursor<unknown>;
  #closing: Promise<void> | undefined;
  #failed = false;

  constructor(
    client: pg.ClientBase,
    sql: string,
    parameters: readonly unknown[],
    rowMode: 'array' | 'object',
  ) {
    this.#client = client;
    const config: Cursor.CursorQueryConfig = rowMode === 'array' ? { rowMode: 'array' } : {};
    // sendableValues: a value pg-cursor would send wrongly or fail on untyped is refused first.
    this.#cursor = client.query(new Cursor<unknown>(sql, sendableValues(parameters) as unknown[], config));
  }

  /** The next `size` rows; an empty batch once the result is exhausted. */
  read(size: number): Promise<CursorBatch> {
    return new Promise((resolve, reject) => {
      this.#cursor.read(size, (error, rows, result) => {
        if (error) {
          this.#failed = true;
          reject(error);
        } else {
          resolve({ rows, fields: result.fields });
        }
      });
    });
  }

  /**
   * Yields batches of `size` rows until the rows run out. `translate` turns a read failure
   * into the error to throw; `check` runs after each read (it throws to stop). The caller
   * closes the cursor.
   *
   * The next batch is requested before the current one is handed out, so the server produces
   * it while the caller works through this one: at most two batches are in memory.
   */
  async *batches(
    size: number,
    translate: (error: unknown) => unknown,
    check: () => void,
  ): AsyncGenerator<CursorBatch, void, undefined> {
    let pending = this.read(size);
    for (;;) {
      let batch: CursorBatch;
      try {
        batch = await pending;
      } catch (error) {
        throw translate(error);
      }
      check();
      if (batch.rows.length === 0) return;
      // A short batch was the last one: the server already closed the portal.
      if (batch.rows.length < size) {
        yield batch;
        return;
      }
      // pg-cursor accepts the next read now (it is idle until this continuation returns).
      pending = this.read(size);
      // Nobody may wait for it (the caller can stop at this batch): close() settles it.
      pending.catch(() => {});
      yield batch;
    }
  }

  /**
   * Closes the portal and waits until the server is ready for the next statement, so the next
   * statement finds the client idle. Harmless when repeated and after the end of the rows.
   * Do not call it once the connection is lost: nothing would answer.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    const cursor = this.#cursor;
    // After an error node-postgres has already dropped the cursor as its active query, and
    // pg-cursor has sent Sync (a Close now would open a protocol exchange nobody waits for);
    // the client sends nothing else before the server's ReadyForQuery.
    if (this.#failed || this.#state() === 'error' || this.#state() === 'done') return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        this.#client.removeListener('end', done);
        resolve();
      };
      // A socket that dies meanwhile never answers: stop waiting when it ends.
      this.#client.once('end', done);
      cursor.close(done);
    });
  }

  #state(): CursorState {
    return cursorState(this.#cursor);
  }
}
