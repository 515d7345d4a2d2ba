/** Execute of the unnamed portal, all rows: `E`, length 9, portal "", max rows 0. */
const EXECUTE = Buffer.from([0x45, 0, 0, 0, 9, 0, 0, 0, 0, 0]);

/** Sync: `S`, length 4. */
const SYNC = Buffer.from([0x53, 0, 0, 0, 4]);

/**
 * Serializes extended-protocol messages into one buffer, so that a whole exchange (a deferred
 * `BEGIN`, Parse, Describe, Bind, Execute, Sync) goes to the socket in one plain `write` —
 * pg's connection serializes one buffer per message, and the corked socket then hands the
 * kernel a scatter list (`writev`), measurably dearer per exchange on loopback (issue 18).
 * executeMany batches its Bind/Execute pairs with it too.
 *
 * Values are as `prepareValue` makes them: null, a string (sent as text), or bytes (sent as
 * binary, like pg). Results come in text format unless a Bind asks for binary columns.
 *
 * @internal
 */
export class MessageWriter {
  #buffer: Buffer;
  #offset = 0;

  constructor(capacity = 256) {
    this.#buffer = Buffer.allocUnsafe(capacity);
  }

  /** Bytes written so far. */
  get size(): number {
    return this.#offset;
  }

  /** Parse of `text` as statement `name` ('' for the unnamed one), no parameter types given. */
  parse(name: string, text: string): this {
    this.#reserve(9 + (name.length + text.length) * 3);
    const buffer = this.#buffer;
    const start = this.#offset;
    let at = start;
    buffer[at] = 0x50; // 'P'
    at += 5;
    at += buffer.write(name, at, 'utf8');
    buffer[at++] = 0;
    at += buffer.write(text, at, 'utf8');
    buffer[at++] = 0;
    at = buffer.writeInt16BE(0, at);
    buffer.writeInt32BE(at - start - 1, start + 1);
    this.#offset = at;
    return this;
  }

  /** Describe of statement `name` (its parameter types and result columns). */
  describeStatement(name: string): this {
    this.#reserve(7 + name.length * 3);
    const buffer = this.#buffer;
    const start = this.#offset;
    let at = start;
    buffer[at] = 0x44; // 'D'
    at += 5;
    buffer[at++] = 0x53; // 'S'
    at += buffer.write(name, at, 'utf8');
    buffer[at++] = 0;
    buffer.writeInt32BE(at - start - 1, start + 1);
    this.#offset = at;
    return this;
  }

  /**
   * Bind of statement `statement` to the unnamed portal with `values`, then Execute of it; the
   * results in text format, or in `resultFormats` (a format code per column, 1 = binary).
   */
  bindExecute(statement: string, values: readonly unknown[], resultFormats?: readonly number[]): this {
    let binary = false;
    // 6 bytes per value: its length, and its format code when any value is binary.
    let room = 16 + statement.length * 3 + 6 * values.length + EXECUTE.length + 2 * (resultFormats?.length ?? 0);
    for (const value of values) {
      if (value instanceof Uint8Array) {
        binary = true;
        room += value.byteLength;
      } else if (typeof value === 'string') {
        room += value.length * 3;
      }
    }
    this.#reserve(room);
    const buffer = this.#buffer;
    const start = this.#offset;
    let at = start;
    buffer[at] = 0x42; // 'B'
    at += 5; // the length is written at the end
    buffer[at++] = 0; // unnamed portal
    at += buffer.write(statement, at, 'utf8');
    buffer[at++] = 0;
    if (binary) {
      at = buffer.writeInt16BE(values.length, at);
      for (const value of values) at = buffer.writeInt16BE(value instanceof Uint8Array ? 1 : 0, at);
    } else {
      at = buffer.writeInt16BE(0, at); // every parameter in text format
    }
    at = buffer.writeInt16BE(values.length, at);
    for (const value of values) {
      if (value === null || value === undefined) {
        at = buffer.writeInt32BE(-1, at);
      } else if (value instanceof Uint8Array) {
        at = buffer.writeInt32BE(value.byteLength, at);
        buffer.set(value, at);
        at += value.byteLength;
      } else {
        const length = buffer.write(value as string, at + 4, 'utf8');
        buffer.writeInt32BE(length, at);
        at += 4 + length;
      }
    }
    if (resultFormats === undefined) {
      at = buffer.writeInt16BE(0, at); // results in text format
    } else {
      at = buffer.writeInt16BE(resultFormats.length, at);
      for (const format of resultFormats) at = buffer.writeInt16BE(format, at);
    }
    buffer.writeInt32BE(at - start - 1, start + 1);
    at += EXECUTE.copy(buffer, at);
    this.#offset = at;
    return this;
  }

  /** Sync: ends the exchange (the server answers with ReadyForQuery). */
  sync(): this {
    this.#reserve(SYNC.length);
    this.#offset += SYNC.copy(this.#buffer, this.#offset);
    return this;
  }

  /** The messages written so far (the writer is done). */
  written(): Buffer {
    return this.#buffer.subarray(0, this.#offset);
  }

  /** The messages written so far; the writer starts again with an empty buffer. */
  take(nextCapacity: number): Buffer {
    const written = this.written();
    this.#buffer = Buffer.allocUnsafe(nextCapacity);
    this.#offset = 0;
    return written;
  }

  #reserve(bytes: number): void {
    if (this.#offset + bytes <= this.#buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.#buffer.length * 2, this.#offset + bytes));
    this.#buffer.copy(grown, 0, 0, this.#offset);
    this.#buffer = grown;
  }
}
