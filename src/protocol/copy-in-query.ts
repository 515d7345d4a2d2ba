import type pg from 'pg';
import { DatabaseError, ProgrammingError } from '../errors/database-error.js';
import { PgsaError } from '../errors/pgsa-error.js';
import { SOCKET_HIGH_WATER_BYTES, WRITE_CHUNK_SIZE } from './backpressure.js';
import { encodeCopyRow } from './encode-copy-row.js';
import { CopyQuery } from './copy-query.js';
import { type ProtocolConnection, type QueryCallback, sendMessages } from './pg-internals.js';
import { whenDrained } from './protocol-query.js';

/** Rows for `copyFrom(table, rows)`: arrays of values in column order. */
export type CopyRecords = Iterable<readonly unknown[]> | AsyncIterable<readonly unknown[]>;

/** Raw COPY data for `copyFrom('COPY … FROM STDIN …', data)`: text or bytes, in any chunks. */
export type CopyData = Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array>;

/**
 * `COPY … FROM STDIN` as one query of pg's client: sends the statement, and once the server
 * asks for data (CopyInResponse) writes the CopyData messages of `source` (see
 * {@link recordChunks}, {@link dataChunks}) while the socket drains, then CopyDone. When `source` fails, CopyFail makes the server abort the COPY (nothing
 * is stored) and the source's error is reported; when the server rejects the data, sending
 * stops and its error is reported.
 *
 * @internal
 */
export class CopyInQuery extends CopyQuery {
  readonly #source: AsyncIterable<Uint8Array>;
  #failed = false;
  #copying = false;
  #ended = false;
  #aborted = false;
  #sourceError: unknown;

  /** pg's client sets the callback (`client.query(copy, callback)`). */
  constructor(sql: string, source: AsyncIterable<Uint8Array>) {
    super(sql);
    this.#source = source;
  }

  handleCopyInResponse(): void {
    this.#copying = true;
    void this.#pump(this.protocol);
  }

  /**
   * Ends the COPY from the client's side (`cancel()`, a statement timeout): the server cannot
   * cancel a COPY while it waits for data, so CopyFail is sent and nothing is stored.
   */
  abort(): void {
    if (this.#aborted || this.#ended || this.#failed) return;
    this.#aborted = true;
    if (this.#copying) this.#fail('the COPY was canceled by the client');
  }

  async #pump(protocol: ProtocolConnection): Promise<void> {
    if (this.#aborted) {
      this.#fail('the COPY was canceled by the client');
      return;
    }
    try {
      for await (const chunk of this.#source) {
        if (this.#stopped()) return;
        sendMessages(protocol, chunk);
        if (protocol.stream.writableLength > SOCKET_HIGH_WATER_BYTES) await drained(protocol);
        if (this.#stopped()) return;
      }
      this.#ended = true;
      protocol.endCopyFrom();
      // The Sync sent with the statement was ignored during the COPY (see CopyQuery).
      protocol.sync();
    } catch (error) {
      if (this.#stopped()) return;
      this.#sourceError = error;
      this.#fail(`the source of the COPY data failed: ${describe(error)}`);
    }
  }

  #stopped(): boolean {
    return this.#failed || this.#aborted;
  }

  #fail(message: string): void {
    this.#ended = true;
    this.protocol.sendCopyFail(message);
    this.protocol.sync();
  }

  handleError(error: Error): void {
    this.#failed = true;
    // After a CopyFail the server's error only echoes the source's: report the source's own,
    // wrapped so that the execution path passes it through untranslated.
    const reported =
      this.#sourceError === undefined ? error : new CopySourceFailure(this.#sourceError);
    (this.callback as QueryCallback)(reported);
  }

  handleReadyForQuery(): void {
    (this.callback as QueryCallback)(null, {
      command: 'COPY',
      rowCount: this.rowCount,
      oid: 0,
      rows: [],
      fields: [],
    } as pg.QueryResult);
  }
}

/**
 * Carries the error the COPY source threw through the execution path (which translates
 * errors); `copyFrom` rethrows the `cause`.
 *
 * @internal
 */
export class CopySourceFailure extends PgsaError {
  constructor(cause: unknown) {
    super(`the source of the COPY data failed: ${describe(cause)}`, { cause });
  }
}

function drained(protocol: ProtocolConnection): Promise<void> {
  return new Promise((resolve) => whenDrained(protocol.stream, resolve));
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A CopyData message holding `text` as UTF-8, encoded once, straight into the message. */
function copyDataOfText(text: string): Buffer {
  const size = Buffer.byteLength(text);
  const message = Buffer.allocUnsafe(5 + size);
  message[0] = 0x64; // 'd'
  message.writeInt32BE(4 + size, 1);
  message.write(text, 5, 'utf8');
  return message;
}

/** A CopyData message holding `bytes`. */
function copyDataOfBytes(bytes: Uint8Array): Buffer {
  const message = Buffer.allocUnsafe(5 + bytes.byteLength);
  message[0] = 0x64; // 'd'
  message.writeInt32BE(4 + bytes.byteLength, 1);
  message.set(bytes, 5);
  return message;
}

/**
 * The rows of `records` in COPY text format, as CopyData messages of about
 * {@link WRITE_CHUNK_SIZE} characters. A synchronous source is encoded without a microtask per
 * row.
 *
 * @throws TypeError (from the iteration) when a row is not an array or a value cannot be sent.
 */
export async function* recordChunks(records: CopyRecords): AsyncGenerator<Uint8Array> {
  let text = '';
  let index = 0;
  const add = (row: unknown): void => {
    if (!Array.isArray(row)) throw new TypeError(`copyFrom: row ${index} is not an array`);
    index++;
    try {
      text += encodeCopyRow(row);
    } catch (error) {
      if (error instanceof DatabaseError) throw error;
      // As for a parameter of a statement (psycopg's "cannot adapt").
      throw new ProgrammingError(`cannot send a parameter: ${describe(error)}`, {}, { cause: error });
    }
  };
  if (Symbol.iterator in records) {
    for (const row of records) {
      add(row);
      if (text.length >= WRITE_CHUNK_SIZE) {
        yield copyDataOfText(text);
        text = '';
      }
    }
  } else {
    for await (const row of records) {
      add(row);
      if (text.length >= WRITE_CHUNK_SIZE) {
        yield copyDataOfText(text);
        text = '';
      }
    }
  }
  if (text.length > 0) yield copyDataOfText(text);
}

/**
 * The chunks of `data` as CopyData messages.
 *
 * @throws TypeError (from the iteration) for a chunk that is neither a string nor bytes.
 */
export async function* dataChunks(data: CopyData): AsyncGenerator<Uint8Array> {
  for await (const chunk of data) {
    if (typeof chunk === 'string') {
      if (chunk.length > 0) yield copyDataOfText(chunk);
    } else if (chunk instanceof Uint8Array) {
      if (chunk.byteLength > 0) yield copyDataOfBytes(chunk);
    } else {
      throw new TypeError('copyFrom: COPY data chunks must be strings or Uint8Arrays');
    }
  }
}
