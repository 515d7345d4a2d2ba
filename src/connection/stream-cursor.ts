import type pg from 'pg';
import Cursor from 'pg-cursor';

/** One batch read from a server-side cursor. @internal */
export interface CursorBatch {
  /** Values arrays (`rowMode: 'array'`) or plain objects (`'object'`). */
  readonly rows: unknown[];
  /** The column layout (the same for every batch of one cursor). */
  readonly fields: readonly pg.FieldDef[];
}

/** pg-cursor's internal state; `'done'` once the portal is closed and the server is ready. */
type CursorState = 'initialized' | 'submitted' | 'idle' | 'busy' | 'error' | 'done';

/**
 * A server-side cursor (a named portal, through `pg-cursor`) on one client: `read(n)` fetches
 * the next `n` rows, so only one batch is ever in memory. While it is open the client runs
 * nothing else: node-postgres keeps it as the active query until it is closed.
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
    this.#cursor = client.query(new Cursor<unknown>(sql, parameters as unknown[], config));
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
   * Closes the portal and waits until the server is ready for the next statement. Harmless
   * when repeated, after the end of the rows, after an error, or once the connection is gone.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    const state = (this.#cursor as unknown as { state: CursorState }).state;
    // After an error pg-cursor has already sent Sync: a Close now would start a new protocol
    // exchange nobody waits for. node-postgres moves on by itself at the server's
    // ReadyForQuery, before any later statement.
    if (this.#failed || state === 'error' || state === 'done') return;
    await new Promise<void>((resolve) => {
      // A dead connection never answers the Close: stop waiting when the socket ends.
      const onEnd = (): void => resolve();
      this.#client.once('end', onEnd);
      this.#cursor.close(() => {
        this.#client.removeListener('end', onEnd);
        resolve();
      });
    });
  }
}
