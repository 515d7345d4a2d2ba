import { InterfaceError } from '../errors/pgsa-error.js';
import type { ResultProxy } from './result-proxy.js';

/** Which column `fetchVal` reads: a position (0 = first, negative from the end) or a name. */
export type ColumnSelector = number | string;

/**
 * The value of `column` in the first row of `result` (asyncpg's `fetchval`), or `null` when
 * there is no row or the statement returns no rows at all. The column is checked against the
 * result's columns even when there is no row, so a typo never passes silently as `null`.
 *
 * @throws InterfaceError when the result has no such column (the message lists its columns),
 *   or `column` is neither an integer nor a string.
 * @internal
 */
export function fetchValue(result: ResultProxy<unknown>, column: ColumnSelector = 0): unknown {
  if (!result.returnsRows) return null;
  const keys = result.keys();
  const index = columnIndex(keys, column);
  const row = result.first();
  return row === null ? null : (row.values()[index] ?? null);
}

function columnIndex(keys: readonly string[], column: ColumnSelector): number {
  const listed = keys.length === 0 ? 'it has none' : `its columns are: ${keys.join(', ')}`;
  if (typeof column === 'number') {
    if (!Number.isInteger(column)) {
      throw new InterfaceError(`fetchVal: column must be an integer position or a name, got ${column}`);
    }
    const index = column < 0 ? keys.length + column : column;
    if (index < 0 || index >= keys.length) {
      throw new InterfaceError(
        `fetchVal: no column at position ${column} in the result (${keys.length} columns; ${listed})`,
      );
    }
    return index;
  }
  if (typeof column !== 'string') {
    throw new InterfaceError(
      `fetchVal: column must be an integer position or a name, got ${typeof column}`,
    );
  }
  const first = keys.indexOf(column);
  if (first === -1) throw new InterfaceError(`fetchVal: no column named "${column}" in the result (${listed})`);
  if (keys.indexOf(column, first + 1) !== -1) {
    throw new InterfaceError(
      `fetchVal: column name "${column}" is ambiguous (it appears more than once; ${listed}); pick it by position`,
    );
  }
  return first;
}
