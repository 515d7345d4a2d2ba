import type { ExecuteOptions } from './stream-options.js';
import type { ExchangeHost } from './exchange-host.js';
import {
  type CopyData,
  CopyInQuery,
  type CopyRecords,
  CopySourceFailure,
  dataChunks,
  recordChunks,
} from '../protocol/copy-in-query.js';
import { copyStatement } from '../sql/copy-sql.js';
import { checkParameterSets } from '../protocol/execute-many-query.js';
import { runMany } from '../protocol/run-statement.js';
import { runQuery } from '../protocol/run-query.js';

/**
 * The bulk writes of `SAConnection` (`executeMany`, `copyFrom`), kept out of its file; each
 * runs as one exchange of the connection's execution path (`SAConnection.exchange`).
 *
 * @internal
 */

/** See `SAConnection.executeMany`. @internal */
export async function executeMany(
  conn: ExchangeHost,
  sql: string,
  parameterSets: readonly (readonly unknown[])[],
  options: ExecuteOptions | undefined,
): Promise<number> {
  checkParameterSets(sql, parameterSets);
  if (parameterSets.length === 0) {
    conn.guardOpen('execute');
    return 0;
  }
  const result = await conn.exchange(
    sql,
    parameterSets,
    (client, cache, secret) => runMany(client, cache, sql, parameterSets, secret),
    options,
  );
  return result.rowCount ?? 0;
}

/** Options of `copyTo(table, options)`. */
export interface CopyToOptions<Column extends string = string> {
  /** The columns copied, in order (default: all, in table order). */
  readonly columns?: readonly Column[] | undefined;
}

/** Options of `copyFrom(table, rows, options)`: `columns` are those each row's values go to. */
export interface CopyFromOptions<Column extends string = string>
  extends CopyToOptions<Column>,
    ExecuteOptions {}

/** See `SAConnection.copyFrom`. @internal */
export async function copyFrom(
  conn: ExchangeHost,
  target: string,
  source: CopyRecords | CopyData,
  options: CopyFromOptions | undefined,
): Promise<number> {
  const { sql, statement } = copyStatement('from', target, options?.columns);
  const chunks = statement ? dataChunks(asData(source)) : recordChunks(asRecords(source));
  try {
    const copy = new CopyInQuery(sql, chunks);
    const result = await conn.exchange(sql, [], (client) => runQuery(client, copy), options, () =>
      copy.abort(),
    );
    return result.rowCount ?? 0;
  } catch (error) {
    throw error instanceof CopySourceFailure ? error.cause : error;
  }
}

function asData(source: CopyRecords | CopyData): CopyData {
  if (typeof source === 'string' || source instanceof Uint8Array) return [source];
  if (!isIterable(source)) {
    throw new TypeError('copyFrom: COPY data must be a string, bytes, or an iterable of them');
  }
  return source as CopyData;
}

function asRecords(source: CopyRecords | CopyData): CopyRecords {
  if (typeof source === 'string' || !isIterable(source)) {
    throw new TypeError('copyFrom: rows must be an iterable of arrays (one array per row)');
  }
  return source as CopyRecords;
}

function isIterable(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    (Symbol.iterator in value || Symbol.asyncIterator in value)
  );
}
