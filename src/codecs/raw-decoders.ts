/**
 * Decoders that read a column's value straight from the bytes of a DataRow message, without
 * the string pg's parser would make of it first: a text decoder applied to the field's UTF-8
 * text, or, for the built-in types below, the binary format read directly (issue 18: a
 * timestamptz read from its 8 bytes costs a fraction of making and parsing its 22+ characters).
 *
 * Binary is only ever used where it decodes to exactly what the text decoder the connection
 * chose for the column would return (see {@link binaryTwin}); every other column stays text.
 *
 * Not part of the public API.
 */
import pg from 'pg';
import { type Decoder, int8AsNumber, OID, timestamptzAsDate } from './builtin-decoders.js';

/** Decodes the field of `length` bytes at `start` of `bytes` (the message's buffer, reused by the parser afterwards). */
export type RawDecoder = (bytes: Buffer, start: number, length: number) => unknown;

/** Node's UTF-8 decoding of a byte range, without `toString`'s argument checks and encoding lookup. */
type Utf8Slicer = (this: Buffer, start: number, end: number) => string;
const utf8Slice: Utf8Slicer =
  (Buffer.prototype as unknown as { utf8Slice?: Utf8Slicer }).utf8Slice ??
  function (this: Buffer, start: number, end: number) {
    return this.toString('utf8', start, end);
  };

/** `decode` applied to the field's text. */
export function rawTextDecoder(decode: Decoder): RawDecoder {
  return (bytes, start, length) => decode(utf8Slice.call(bytes, start, start + length));
}

/** The field as UTF-8 text: what pg-protocol's parser makes of every field. */
const fieldText: RawDecoder = (bytes, start, length) => utf8Slice.call(bytes, start, start + length);

/** {@link fieldText} for every column a row can have (PostgreSQL allows at most 1664). */
export const TEXT_FIELDS: readonly RawDecoder[] = new Array<RawDecoder>(1664).fill(fieldText);

/**
 * The values of the DataRow message whose field count starts at `start` of `bytes`: field `i`
 * decoded by `decoders[i]`, SQL NULL as `null`, written into `into` (reused by the caller) or a
 * new array.
 */
export function decodeRow(bytes: Buffer, start: number, decoders: readonly RawDecoder[], into?: unknown[]): unknown[] {
  let at = start;
  const count = bytes.readInt16BE(at);
  at += 2;
  const values = into ?? new Array<unknown>(count);
  for (let i = 0; i < count; i++) {
    const length = bytes.readInt32BE(at);
    at += 4;
    if (length < 0) {
      values[i] = null;
    } else {
      values[i] = (decoders[i] as RawDecoder)(bytes, at, length);
      at += length;
    }
  }
  return values;
}

// pg's parsers as they are before any application code could change pg.types: a column whose
// parser is still one of these gets the binary twin; an application's own parser keeps text.
const PG_INT2 = pg.types.getTypeParser(21, 'text');
const PG_INT4 = pg.types.getTypeParser(23, 'text');
const PG_BOOL = pg.types.getTypeParser(16, 'text');

const TWO_32 = 4294967296;
/** Milliseconds from the Unix epoch to PostgreSQL's (2000-01-01 00:00:00 UTC). */
const PG_EPOCH_MS = 946_684_800_000;

const int2Binary: RawDecoder = (bytes, start) => bytes.readInt16BE(start);
const int4Binary: RawDecoder = (bytes, start) => bytes.readInt32BE(start);
const boolBinary: RawDecoder = (bytes, start) => bytes[start] !== 0;
const int8AsBigIntBinary: RawDecoder = (bytes, start) => bytes.readBigInt64BE(start);

/** int8 as a number, failing as {@link int8AsNumber} beyond ±(2^53 − 1). */
const int8AsNumberBinary: RawDecoder = (bytes, start) => {
  const high = bytes.readInt32BE(start);
  const value = high * TWO_32 + bytes.readUInt32BE(start + 4);
  // |high| < 2^21 keeps the value within ±2^53, where the sum above is exact.
  if (high < 0x200000 && high >= -0x200000 && Number.isSafeInteger(value)) return value;
  return int8AsNumber(bytes.readBigInt64BE(start).toString());
};

/**
 * timestamptz (microseconds since 2000-01-01 UTC, ±infinity at the int64 extremes) as the
 * `Date` {@link timestamptzAsDate} makes of its text: whole milliseconds, the fraction dropped
 * (rounded down, as the text path's `Date.UTC` drops it from a positive fraction of a second).
 */
const timestamptzAsDateBinary: RawDecoder = (bytes, start) => {
  const high = bytes.readInt32BE(start);
  const low = bytes.readUInt32BE(start + 4);
  if (high === 0x7fffffff && low === 0xffffffff) return Infinity;
  if (high === -0x80000000 && low === 0) return -Infinity;
  // high·2^32 + low = 1000·(high·4294967) + (high·296 + low), each part exact in a double.
  const rest = high * 296 + low;
  return new Date(high * 4294967 + Math.floor(rest / 1000) + PG_EPOCH_MS);
};

/**
 * The binary-format decoder that returns exactly what `text` (the text decoder a connection
 * chose for type `oid`) returns, or `undefined` when the column is to stay in text format.
 */
export function binaryTwin(oid: number, text: Decoder): RawDecoder | undefined {
  switch (oid) {
    case 16:
      return text === PG_BOOL ? boolBinary : undefined;
    case 21:
      return text === PG_INT2 ? int2Binary : undefined;
    case 23:
      return text === PG_INT4 ? int4Binary : undefined;
    case OID.int8:
      return text === int8AsNumber ? int8AsNumberBinary : text === BigInt ? int8AsBigIntBinary : undefined;
    case OID.timestamptz:
      return text === timestamptzAsDate ? timestamptzAsDateBinary : undefined;
    default:
      return undefined;
  }
}

