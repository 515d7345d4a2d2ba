/**
 * PostgreSQL's COPY text format for rows sent by `copyFrom(table, rows)` (so the escaping is
 * unit-tested in one place); the statements are built in `src/sql/copy-sql.ts`.
 *
 * Not part of the public API.
 */
import { prepareParameter } from './protocol-query.js';
import { isWellFormed } from '../sql/well-formed.js';

const SPECIAL = /[\\\n\r\t]/;
const SPECIAL_ALL = /[\\\n\r\t]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * One row in COPY text format: fields separated by tabs, `\N` for NULL, backslash, newline,
 * carriage return and tab escaped, a newline at the end. Values are converted as node-postgres
 * converts parameters (dates, arrays, JSON objects, `toPostgres()`); a Buffer becomes bytea's
 * hex form.
 *
 * @throws ProgrammingError when a value cannot be sent (as for a parameter); DataError for a
 *   string with an unpaired UTF-16 surrogate.
 */
export function encodeCopyRow(values: readonly unknown[]): string {
  let line = '';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) line += '\t';
    const raw = values[i];
    // Numbers and strings (most values) skip pg's conversion: it would only call toString().
    if (typeof raw === 'string' && isWellFormed(raw)) {
      line += escapeText(raw);
    } else if ((typeof raw === 'number' && !Object.is(raw, -0)) || typeof raw === 'bigint') {
      line += String(raw);
    } else {
      line += encodeValue(prepareParameter(raw));
    }
  }
  return `${line}\n`;
}

function encodeValue(value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  if (value instanceof Uint8Array) {
    return `\\\\x${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')}`;
  }
  return escapeText(String(value));
}

function escapeText(text: string): string {
  return SPECIAL.test(text) ? text.replace(SPECIAL_ALL, (c) => ESCAPES[c] as string) : text;
}
