/**
 * Pure pieces of COPY for `copyFrom` and `copyTo`: the statement for a table and its
 * columns, and PostgreSQL's COPY text format for rows (so the escaping is unit-tested in one
 * place).
 *
 * @internal
 */
import { quoteIdentifier } from '../transaction/transaction-sql.js';
import { prepareValue } from './pg-internals.js';

/** Which way a COPY goes: into a table from the client, or out of it to the client. */
export type CopyDirection = 'from' | 'to';

const METHOD = { from: 'copyFrom', to: 'copyTo' } as const;
const CLAUSE = { from: 'FROM STDIN', to: 'TO STDOUT' } as const;

/**
 * `COPY "schema"."table" ("a", "b") FROM STDIN` (or `TO STDOUT`); `table` may be
 * `schema.table` (as in Kysely).
 *
 * @throws TypeError for an empty table name or column list, or an invalid identifier.
 */
export function copySql(direction: CopyDirection, table: string, columns: readonly string[] | undefined): string {
  const method = METHOD[direction];
  if (typeof table !== 'string' || table.length === 0) {
    throw new TypeError(`${method} takes a table name or a COPY … ${CLAUSE[direction]} statement`);
  }
  const target = table.split('.').map(quoteIdentifier).join('.');
  if (columns === undefined) return `COPY ${target} ${CLAUSE[direction]}`;
  if (!Array.isArray(columns) || columns.length === 0) {
    throw new TypeError(`${method}: columns must be a non-empty array of column names`);
  }
  return `COPY ${target} (${columns.map(quoteIdentifier).join(', ')}) ${CLAUSE[direction]}`;
}

const COPY_STATEMENT = /^\s*copy\s/i;
const DIRECTION = { from: /\bfrom\s+stdin\b/i, to: /\bto\s+stdout\b/i } as const;

/**
 * True when `target` is a whole COPY statement rather than a table name.
 *
 * @throws TypeError for a COPY statement that does not go the `direction` way.
 */
export function isCopyStatement(direction: CopyDirection, target: string): boolean {
  if (!COPY_STATEMENT.test(target)) return false;
  if (!DIRECTION[direction].test(target)) {
    throw new TypeError(
      `${METHOD[direction]} takes a COPY … ${CLAUSE[direction]} statement, not COPY … ${
        direction === 'from' ? 'TO' : 'FROM'
      }`,
    );
  }
  return true;
}

/**
 * The COPY statement for `copyFrom` / `copyTo`'s `target`: a whole COPY statement as it is, or
 * the one for a table name and its `columns`. `statement` says which it was.
 *
 * @throws TypeError for a target that is not a string, a statement going the other way,
 *   columns given with a statement, or what {@link copySql} refuses.
 */
export function copyStatement(
  direction: CopyDirection,
  target: unknown,
  columns: readonly string[] | undefined,
): { readonly sql: string; readonly statement: boolean } {
  const method = METHOD[direction];
  if (typeof target !== 'string') {
    throw new TypeError(`${method} takes a table name or a COPY … ${CLAUSE[direction]} statement`);
  }
  if (!isCopyStatement(direction, target)) {
    return { sql: copySql(direction, target, columns), statement: false };
  }
  if (columns !== undefined) {
    throw new TypeError(`${method}: columns go with a table name, not with a COPY statement`);
  }
  return { sql: target, statement: true };
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
