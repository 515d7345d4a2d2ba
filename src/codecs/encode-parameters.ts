import type pg from 'pg';
import { OID } from './builtin-decoders.js';
import { ConnectionTypes } from './connection-types.js';

const JSON_OID: number = OID.json;
const JSONB_OID: number = OID.jsonb;
const DATE_OID: number = OID.date;

/** The UTC day of `date` as `YYYY-MM-DD` (`… BC` before year 1). */
function utcDay(date: Date): string {
  const year = date.getUTCFullYear();
  const day = `${String(date.getUTCMonth() + 1).padStart(2, '0')}-${String(date.getUTCDate()).padStart(2, '0')}`;
  return year > 0 ? `${String(year).padStart(4, '0')}-${day}` : `${String(1 - year).padStart(4, '0')}-${day} BC`;
}

/**
 * `values` with the registered `encode` of each parameter's type applied (see `TypeCodec`):
 * a value of a type with an encoder becomes the encoder's text, an array for an array of such
 * a type has each element (at any depth) encoded; an array for a `json`/`jsonb` parameter
 * becomes its JSON text; a Date for a `date` parameter, when the engine decodes `date` as
 * `Date`, becomes its UTC day (the inverse of that decoding). NULL and undefined stay as they are. The same array when nothing had
 * to change.
 *
 * @internal
 */
export function encodeParameters(
  client: pg.ClientBase,
  typeOids: readonly number[],
  values: readonly unknown[],
): readonly unknown[] {
  const types = ConnectionTypes.of(client);
  if (types === undefined) return values;
  let encoded: unknown[] | undefined;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (value === null || value === undefined) continue;
    const oid = typeOids[i] as number;
    if ((oid === JSON_OID || oid === JSONB_OID) && Array.isArray(value) && types.codecOf(oid)?.encode === undefined) {
      // node-postgres would send a PostgreSQL array literal, not JSON (and `[]` as `{}`).
      encoded ??= [...values];
      encoded[i] = JSON.stringify(value);
      continue;
    }
    if (oid === DATE_OID && value instanceof Date && types.options.date === 'Date' && types.codecOf(oid) === undefined) {
      // The day `types: { date: 'Date' }` decodes to midnight UTC; node-postgres would send the
      // Date in the process's time zone, a day earlier west of UTC.
      encoded ??= [...values];
      encoded[i] = utcDay(value);
      continue;
    }
    const scalar = types.codecOf(oid)?.encode;
    const element = scalar === undefined ? types.arrayCodecOf(oid)?.encode : undefined;
    if (scalar === undefined && element === undefined) continue;
    encoded ??= [...values];
    encoded[i] = scalar !== undefined ? scalar(value) : encodeElements(value, element as (value: unknown) => string);
  }
  return encoded ?? values;
}

function encodeElements(value: unknown, encode: (value: unknown) => string): unknown {
  if (value === null || value === undefined) return null;
  return Array.isArray(value) ? value.map((element: unknown) => encodeElements(element, encode)) : encode(value);
}
