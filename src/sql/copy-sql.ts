/**
 * The COPY statements of `copyFrom` and `copyTo`, as pure text: a table and its columns quoted,
 * or a whole statement checked for its direction.
 *
 * Not part of the public API.
 */
import { quoteIdentifier } from './quote.js';

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
  const target = quoteTableName(method, table);
  if (columns === undefined) return `COPY ${target} ${CLAUSE[direction]}`;
  if (!Array.isArray(columns) || columns.length === 0) {
    throw new TypeError(`${method}: columns must be a non-empty array of column names`);
  }
  return `COPY ${target} (${columns.map(quoteIdentifier).join(', ')}) ${CLAUSE[direction]}`;
}

/**
 * A table name as SQL: `table` or `schema.table`, each part either as written (any characters
 * but `.` and `"`, taken verbatim: not case-folded) or double-quoted with `""` for a quote (so a
 * part may contain a dot). Never anything but an identifier: every part comes out quoted.
 *
 * @throws TypeError for more than two parts, an empty part, or a malformed quoted part.
 */
export function quoteTableName(method: string, table: string): string {
  const parts: string[] = [];
  let i = 0;
  for (;;) {
    let part: string;
    if (table[i] === '"') {
      part = '';
      i++;
      for (;;) {
        const close = table.indexOf('"', i);
        if (close < 0) throw new TypeError(`${method}: unterminated quoted name in table ${JSON.stringify(table)}`);
        part += table.slice(i, close);
        i = close + 1;
        if (table[i] !== '"') break;
        part += '"';
        i++;
      }
      if (i < table.length && table[i] !== '.') {
        throw new TypeError(`${method}: a quoted name must end at a "." or the end, in table ${JSON.stringify(table)}`);
      }
    } else {
      const end = table.indexOf('.', i);
      part = table.slice(i, end < 0 ? table.length : end);
      if (part.includes('"')) {
        throw new TypeError(`${method}: a quote may only open a name, in table ${JSON.stringify(table)}`);
      }
      i += part.length;
    }
    parts.push(quoteIdentifier(part));
    if (i >= table.length) break;
    i++; // the "."
    if (i >= table.length) throw new TypeError(`${method}: table name ${JSON.stringify(table)} ends with "."`);
  }
  if (parts.length > 2) {
    throw new TypeError(`${method} takes a table name or schema.table, got ${JSON.stringify(table)}`);
  }
  return parts.join('.');
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
