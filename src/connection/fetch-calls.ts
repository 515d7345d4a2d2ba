import type { ColumnSelector } from '../result/fetch-value.js';
import { fetchValue } from '../result/fetch-value.js';
import type { ResultProxy } from '../result/result-proxy.js';
import type { RowProxy } from '../result/row-shape.js';
import type { Executable } from './executable.js';
import { statementArguments, type ExecuteOptions } from './stream-options.js';

/**
 * Options of `fetchVal`: `column` picks the value's column by position (0 = first, the
 * default; negative counts from the end) or by name; plus {@link ExecuteOptions}.
 */
export interface FetchValOptions<Column extends string = string> extends ExecuteOptions {
  /** Which column: its position (0 first, negative from the end) or its name; default 0. */
  readonly column?: Column | number | undefined;
}

/**
 * The type of `fetchVal`'s value: the named column's type, or (by position or by default)
 * any column's type; `null` when there is no row.
 */
export type FetchedValue<Row, Column extends string> = unknown extends Row
  ? unknown
  : [Column] extends [never]
    ? Row[keyof Row] | null
    : Column extends keyof Row
      ? Row[Column] | null
      : never;

/** Anything with `execute(query, params?, options?)`: an engine, a connection, a session. Not part of the public API: kept in the declarations because public ones refer to it. */
export interface Executor {
  execute(
    query: Executable<unknown> | string,
    paramsOrOptions?: readonly unknown[] | ExecuteOptions,
    options?: ExecuteOptions,
  ): Promise<ResultProxy<unknown>>;
}

type Second = readonly unknown[] | ExecuteOptions | undefined;

/** asyncpg's `fetch`: every row of `executor.execute(…)`. @internal */
export async function fetchAllOf(
  executor: Executor,
  query: Executable<unknown> | string,
  second: Second,
  third: ExecuteOptions | undefined,
): Promise<RowProxy<unknown>[]> {
  return (await executor.execute(query, second, third)).fetchAll();
}

/**
 * asyncpg's `fetchrow`: the first row of `executor.execute(…)`, or `null`; a statement that
 * returns no rows at all (an UPDATE without RETURNING) gives `null` too. @internal
 */
export async function fetchRowOf(
  executor: Executor,
  query: Executable<unknown> | string,
  second: Second,
  third: ExecuteOptions | undefined,
): Promise<RowProxy<unknown> | null> {
  const result = await executor.execute(query, second, third);
  return result.returnsRows ? result.first() : null;
}

/**
 * asyncpg's `fetchval`: one value of the first row (see `fetchValue`). The column is
 * checked before anything is sent only for its type; its name is checked against the result.
 * @internal
 */
export async function fetchValOf(
  executor: Executor,
  query: Executable<unknown> | string,
  second: readonly unknown[] | FetchValOptions | undefined,
  third: FetchValOptions | undefined,
): Promise<unknown> {
  const { options } = statementArguments<FetchValOptions>(second, third);
  const column: ColumnSelector = options?.column ?? 0;
  return fetchValue(await executor.execute(query, second, third), column);
}
