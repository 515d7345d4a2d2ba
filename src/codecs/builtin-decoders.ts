/**
 * Decoders for PostgreSQL's built-in types, as an engine's {@link ResolvedTypeOptions} choose,
 * and for the arrays of built-in types. pg's parsers for the chosen types are taken from
 * `pg.types` when this module loads (an application's later `pg.types.setTypeParser` does not
 * undo an engine's choice); the other types' parsers are read from `pg.types` when a
 * connection first meets the type. `pg.types` itself is never changed.
 *
 * Not part of the public API.
 */
import pg from 'pg';
import { DataError } from '../errors/database-error.js';
import { type ElementDecoder, parseArrayLiteral } from './array-literal.js';
import type { ResolvedTypeOptions } from './type-options.js';

/** A text-format decoder. */
export type Decoder = (text: string) => unknown;

/** Built-in type oids with a choice (see `TypeOptions`). */
export const OID = {
  bytea: 17,
  int8: 20,
  json: 114,
  date: 1082,
  timestamp: 1114,
  timestamptz: 1184,
  interval: 1186,
  numeric: 1700,
  uuid: 2950,
  jsonb: 3802,
} as const;

/** Array type oid → [element type oid, delimiter] for the built-in types. */
const BUILTIN_ARRAYS: ReadonlyMap<number, readonly [number, string]> = new Map([
  [1000, [16, ',']], // bool
  [1001, [17, ',']], // bytea
  [1002, [18, ',']], // char
  [1003, [19, ',']], // name
  [1016, [20, ',']], // int8
  [1005, [21, ',']], // int2
  [1007, [23, ',']], // int4
  [1009, [25, ',']], // text
  [1028, [26, ',']], // oid
  [199, [114, ',']], // json
  [143, [142, ',']], // xml
  [1017, [600, ',']], // point
  [1020, [603, ';']], // box
  [651, [650, ',']], // cidr
  [1021, [700, ',']], // float4
  [1022, [701, ',']], // float8
  [791, [790, ',']], // money
  [1040, [829, ',']], // macaddr
  [1041, [869, ',']], // inet
  [1014, [1042, ',']], // bpchar
  [1015, [1043, ',']], // varchar
  [1182, [1082, ',']], // date
  [1183, [1083, ',']], // time
  [1115, [1114, ',']], // timestamp
  [1185, [1184, ',']], // timestamptz
  [1187, [1186, ',']], // interval
  [1270, [1266, ',']], // timetz
  [1561, [1560, ',']], // bit
  [1563, [1562, ',']], // varbit
  [1231, [1700, ',']], // numeric
  [2951, [2950, ',']], // uuid
  [3807, [3802, ',']], // jsonb
  [3905, [3904, ',']], // int4range
  [3907, [3906, ',']], // numrange
  [3909, [3908, ',']], // tsrange
  [3911, [3910, ',']], // tstzrange
  [3913, [3912, ',']], // daterange
  [3927, [3926, ',']], // int8range
]);

const identity: Decoder = (text) => text;

function pgParser(oid: number): Decoder {
  return pg.types.getTypeParser(oid, 'text') as Decoder;
}

// pg's parsers as they are before any application code could change pg.types.
const PG_TIMESTAMP = pgParser(OID.timestamp);
const PG_TIMESTAMPTZ = pgParser(OID.timestamptz);
const PG_INTERVAL = pgParser(OID.interval);

/** The value of the `count` ASCII digits at `at`, or -1 when one is not a digit. */
function digitsAt(text: string, at: number, count: number): number {
  let value = 0;
  for (let i = at; i < at + count; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/**
 * timestamptz as a `Date`: the same `Date` as pg's parser (postgres-date), with a fast path
 * for what the server sends under the ISO DateStyle, `YYYY-MM-DD HH:MM:SS[.ffffff]±HH[:MM]` with
 * a year of 1000 or more, read without regular expressions (pg's parser costs about 15 % of
 * the client CPU of a 100-row read of a timestamptz column; issue 18). Anything else (BC,
 * ±infinity, years before 1000 or after 9999, second offsets) goes to pg's parser.
 */
export const timestamptzAsDate: Decoder = (text) => {
  const length = text.length;
  if (length < 22 || text.charCodeAt(10) !== 32) return PG_TIMESTAMPTZ(text);
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 2);
  const day = digitsAt(text, 8, 2);
  const hour = digitsAt(text, 11, 2);
  const minute = digitsAt(text, 14, 2);
  const second = digitsAt(text, 17, 2);
  if (
    year < 1000 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0 ||
    text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45 || text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58
  ) {
    return PG_TIMESTAMPTZ(text);
  }
  let at = 19;
  let ms = 0;
  if (text.charCodeAt(19) === 46) {
    at = 20;
    while (at < length && digitsAt(text, at, 1) >= 0) at++;
    if (at === 20) return PG_TIMESTAMPTZ(text);
    // As postgres-date: Date.UTC truncates the fraction of milliseconds.
    ms = 1000 * Number.parseFloat(text.slice(19, at));
  }
  const sign = text.charCodeAt(at);
  const zone = length - at;
  if ((sign !== 43 && sign !== 45) || (zone !== 3 && zone !== 6)) return PG_TIMESTAMPTZ(text);
  const zoneHours = digitsAt(text, at + 1, 2);
  const zoneMinutes = zone === 6 ? digitsAt(text, at + 4, 2) : 0;
  if (zoneHours < 0 || zoneMinutes < 0 || (zone === 6 && text.charCodeAt(at + 3) !== 58)) return PG_TIMESTAMPTZ(text);
  const offsetMs = (zoneHours * 3600 + zoneMinutes * 60) * 1000 * (sign === 45 ? -1 : 1);
  return new Date(Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMs);
};
const PG_BYTEA = pgParser(OID.bytea);

export const int8AsNumber: Decoder = (text) => {
  const value = Number(text);
  if (Number.isSafeInteger(value)) return value;
  throw new DataError(
    `int8 value ${text} is beyond ±(2^53 − 1) and would lose digits as a number; ` +
      "choose types: { bigint: 'bigint' } or { bigint: 'string' } for this engine, or cast it to text",
    {},
  );
};

const DATE = /^(\d{4,})-(\d\d)-(\d\d)( BC)?$/;

/** `YYYY-MM-DD` (also `… BC`) as midnight UTC of that day; `±infinity` as `±Infinity`. */
const dateAsDate: Decoder = (text) => {
  if (text === 'infinity') return Infinity;
  if (text === '-infinity') return -Infinity;
  const match = DATE.exec(text);
  if (match === null) return text;
  const year = Number(match[1]);
  const date = new Date(0);
  // setUTCFullYear, unlike Date.UTC, does not move the years 0-99 to 1900-1999.
  date.setUTCFullYear(match[4] === undefined ? year : 1 - year, Number(match[2]) - 1, Number(match[3]));
  return date;
};

/**
 * The decoder of the built-in type `oid` under `options` (a chosen type, or an array of a
 * built-in type), or `undefined` when pgsa leaves it to pg's parser.
 */
export function builtinDecoder(oid: number, options: ResolvedTypeOptions): Decoder | undefined {
  switch (oid) {
    case OID.int8:
      return options.bigint === 'bigint' ? BigInt : options.bigint === 'number' ? int8AsNumber : identity;
    case OID.numeric:
      return options.numeric === 'number' ? Number : identity;
    case OID.date:
      return options.date === 'Date' ? dateAsDate : identity;
    case OID.json:
    case OID.jsonb:
      return options.json === 'parse' ? JSON.parse : identity;
    case OID.timestamp:
      return options.timestamp === 'Date' ? PG_TIMESTAMP : identity;
    case OID.timestamptz:
      return options.timestamptz === 'Date' ? timestamptzAsDate : identity;
    case OID.interval:
      return options.interval === 'object' ? PG_INTERVAL : identity;
    case OID.bytea:
      return options.bytea === 'Buffer' ? PG_BYTEA : identity;
    case OID.uuid:
      return identity;
    default: {
      const array = BUILTIN_ARRAYS.get(oid);
      if (array === undefined) return undefined;
      const [element, delimiter] = array;
      return arrayDecoder(builtinDecoder(element, options) ?? pgParser(element), delimiter);
    }
  }
}

/** A decoder for an array whose elements `decode` decodes. */
export function arrayDecoder(decode: ElementDecoder, delimiter: string): Decoder {
  return (text) => parseArrayLiteral(text, decode, delimiter);
}

/** pg's own parser for `oid` (pg.types as it is now): for the types pgsa leaves to pg. */
export function pgDecoder(oid: number, format: 'text' | 'binary'): Decoder {
  return pg.types.getTypeParser(oid, format) as Decoder;
}
