/** Statements that start like this run in one implicit transaction and leave no session state. */
const AUTOCOMMIT_KEYWORDS = new Set(['select', 'insert', 'update', 'delete', 'with', 'values', 'table', 'merge']);

/**
 * True when `sql` may run on a connection shared in pipeline mode: a single plain DML or query
 * statement. Transaction control (`BEGIN`, `COMMIT` …), `SET`, `LISTEN`, DDL and, without
 * parameters, strings holding several statements (simple protocol) must run on a connection of
 * their own, because they would change the shared session under other callers' statements.
 *
 * @internal
 */
export function isPipelineSafe(sql: string, parameterCount: number): boolean {
  const keyword = firstKeyword(sql);
  if (keyword === undefined || !AUTOCOMMIT_KEYWORDS.has(keyword)) return false;
  // With parameters pg uses the extended protocol, which rejects multi-statement strings; a
  // parameterless string goes out as a simple Query that could hold `select 1; begin`.
  return parameterCount > 0 || !/;\s*\S/.test(sql);
}

/** The first word of `sql`, lower-cased, after whitespace, comments and opening parentheses. */
export function firstKeyword(sql: string): string | undefined {
  let index = 0;
  const length = sql.length;
  while (index < length) {
    const char = sql.charCodeAt(index);
    if (char === 32 || char === 9 || char === 10 || char === 13 || char === 40 /* ( */) {
      index++;
    } else if (sql.startsWith('--', index)) {
      const end = sql.indexOf('\n', index);
      index = end === -1 ? length : end + 1;
    } else if (sql.startsWith('/*', index)) {
      const end = sql.indexOf('*/', index + 2);
      index = end === -1 ? length : end + 2;
    } else {
      break;
    }
  }
  const match = /^[A-Za-z_]+/.exec(sql.slice(index, index + 16));
  return match ? match[0].toLowerCase() : undefined;
}
