/**
 * Pure pieces of `COPY … FROM STDIN` for `copyFrom`: the statement for a table and its
 * columns, and PostgreSQL's COPY text format for rows (so the escaping is unit-tested in one
 * place).
 *
 * @internal
 */
import { quoteIdentifier } from '../transaction/transaction-sql.js';
import { prepareValue } from './protocol-query.js';

/** `COPY "schema"."table" ("a", "b") FROM STDIN`; `table` may be `schema.table` (as in Kysely). */
export function copyFromSql(table: string, columns: readonly string[] | undefined): string {
  if (typeof table !== 'string' || table.length === 0) {
    throw new TypeError('copyFrom takes a table name or a COPY … FROM STDIN statement');
  }
  const target = table.split('.').map(quoteIdentifier).join('.');
  if (columns === undefined) return `COPY ${target} FROM STDIN`;
  if (!Array.isArray(columns) || columns.length === 0) {
    throw new TypeError('copyFrom: columns must be a non-empty array of column names');
  }
  return `COPY ${target} (${columns.map(quoteIdentifier).join(', ')}) FROM STDIN`;
}

const COPY_STATEMENT = /^\s*copy\s/i;
const FROM_STDIN = /\bfrom\s+stdin\b/i;

/**
 * True when `target` is a whole COPY statement rather than a table name.
 *
 * @throws TypeError for a COPY statement that does not read `FROM STDIN`.
 */
export function isCopyStatement(target: string): boolean {
  if (!COPY_STATEMENT.test(target)) return false;
  if (!FROM_STDIN.test(target)) {
    throw new TypeError('copyFrom takes a COPY … FROM STDIN statement, not COPY … TO');
  }
  return true;
}

const SPECIAL = /[\\\n\r\t]/;
const SPECIAL_ALL = /[\\\n\r\t]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * One row in COPY text format: fields separated by tabs, `\N` for NULL, backslash, newline,
 * carriage return and tab escaped, a newline at the end. Values are converted as node-postgres
 * converts parameters (dates, arrays, JSON objects, `toPostgres()`); a Buffer becomes bytea's
 * hex form.
 *
 * @throws TypeError when a value cannot be converted (as for a parameter).
 */
export function encodeCopyRow(values: readonly unknown[]): string {
  let line = '';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) line += '\t';
    const raw = values[i];
    // Numbers and strings (most values) skip pg's conversion: it would only call toString().
    if (typeof raw === 'string') {
      line += escapeText(raw);
    } else if (typeof raw === 'number' || typeof raw === 'bigint') {
      line += String(raw);
    } else {
      line += encodeValue(prepareValue(raw));
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
