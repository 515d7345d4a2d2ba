import type pg from 'pg';
import { COPY_OUT_HIGH_WATER_BYTES, COPY_OUT_INITIAL_BYTES } from './backpressure.js';
import { CopyQuery } from './copy-query.js';
import type { CopyDataMessage } from './pg-internals.js';
import { afterError } from './run-query.js';

/**
 * `COPY … TO STDOUT` as one query of pg's client: the server's CopyData messages are copied
 * into a buffer (pg's parser reuses its own) that `read()` hands out, all that arrived since
 * the last read in one chunk. While more than {@link COPY_OUT_HIGH_WATER_BYTES} wait for the consumer
 * the socket is paused, so a slow consumer holds memory bounded. `close()` before the end
 * cancels the COPY and discards the rest.
 *
 * @internal
 */
export class CopyOutQuery extends CopyQuery {
  readonly #client: pg.ClientBase;
  #buffer = Buffer.allocUnsafe(COPY_OUT_INITIAL_BYTES);
  #size = 0;
  #paused = false;
  #discarding = false;
  #ended = false;
  #error: Error | undefined;
  #wake: (() => void) | undefined;

  constructor(client: pg.ClientBase, sql: string) {
    super(sql);
    this.#client = client;
  }

  handleCopyData(message: CopyDataMessage): void {
    if (this.#discarding) return;
    const chunk = message.chunk;
    if (this.#size + chunk.byteLength > this.#buffer.byteLength) {
      const grown = Buffer.allocUnsafe(Math.max(this.#buffer.byteLength * 2, this.#size + chunk.byteLength));
      this.#buffer.copy(grown, 0, 0, this.#size);
      this.#buffer = grown;
    }
    chunk.copy(this.#buffer, this.#size);
    this.#size += chunk.byteLength;
    if (this.#size > COPY_OUT_HIGH_WATER_BYTES && !this.#paused) this.#pause(true);
    this.#notify();
  }

  handleError(error: Error): void {
    // The transaction status is only current after the ReadyForQuery that follows.
    afterError(this.#client, error, () => {
      this.#error = error;
      this.#finish();
    });
  }

  handleReadyForQuery(): void {
    this.#finish();
  }

  /**
   * The data that arrived since the last call (waiting for some), or `undefined` at the end.
   *
   * @throws the server's error, once the data before it was read.
   */
  async read(): Promise<Buffer | undefined> {
    while (this.#size === 0 && !this.#ended) {
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
    if (this.#size > 0) {
      const data = this.#buffer.subarray(0, this.#size);
      this.#buffer = Buffer.allocUnsafe(COPY_OUT_INITIAL_BYTES);
      this.#size = 0;
      if (this.#paused) this.#pause(false);
      return data;
    }
    if (this.#error !== undefined) throw this.#error;
    return undefined;
  }

  /**
   * Ends the COPY early: `cancel` (a protocol cancel request) stops the server, the rest of
   * the data is discarded, and this resolves once the connection is ready again.
   */
  async close(cancel: () => Promise<void>): Promise<void> {
    if (this.#ended) return;
    this.#discarding = true;
    this.#size = 0;
    if (this.#paused) this.#pause(false);
    await cancel();
    while (!this.#ended) await new Promise<void>((resolve) => (this.#wake = resolve));
  }

  #finish(): void {
    this.#ended = true;
    if (this.#paused) this.#pause(false);
    this.#notify();
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  #pause(pause: boolean): void {
    this.#paused = pause;
    const stream = this.protocol.stream;
    if (pause) stream.pause();
    else stream.resume();
  }
}
