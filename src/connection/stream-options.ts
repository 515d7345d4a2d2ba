import { InterfaceError } from '../errors/pgsa-error.js';

/**
 * Per-call options of `SAConnection.execute()` and `scalar()`.
 *
 * @example
 * ```ts
 * await conn.execute('select pg_sleep($1)', [10], { statementTimeoutMs: 500 }); // QueryCanceledError
 * await conn.execute(conn.db.selectFrom('users').selectAll(), { statementTimeoutMs: 500 });
 * ```
 */
export interface ExecuteOptions {
  /**
   * Cancel the statement when it runs longer than this (ms), with `QueryCanceledError`.
   * The clock starts when the statement is sent, i.e. after statements queued before it on
   * this connection finished. `0` or absent: only the engine's `statementTimeoutMs` applies.
   *
   * The call settles within `statementTimeoutMs` plus a grace of 2 s whatever the network
   * does: when the server does not end the statement within 2 s of the cancel request (a
   * network partition, a hung server), the call rejects with `OperationalError` ("statement
   * did not end: statementTimeoutMs of … ms exceeded …") and the connection, whose state is
   * then unknown, is closed and discarded (never returned to the pool): the statement may or
   * may not have been applied, and it can never complete later.
   */
  readonly statementTimeoutMs?: number | undefined;
}

/**
 * Options of `SAConnection.stream()`.
 *
 * @example
 * ```ts
 * for await (const row of conn.stream('select * from big', [], { batchSize: 1000 })) console.log(row);
 * ```
 */
export interface StreamOptions {
  /** Rows fetched from the server per round trip, and so held in memory at once (default 100). */
  readonly batchSize?: number | undefined;
}

/** Default `batchSize` of `stream()` (Kysely's `.stream()` default too). */
export const DEFAULT_BATCH_SIZE = 100;

/** The arguments after the query, sorted into parameters and options. Not part of the public API: kept in the declarations because public ones refer to it. */
export interface StatementArguments<O> {
  readonly params: readonly unknown[] | undefined;
  readonly options: O | undefined;
}

/**
 * Sorts `execute(query, params?, options?)` / `execute(query, options?)` arguments: an array is
 * the parameter list, a plain object the options.
 *
 * @throws InterfaceError when the second argument is neither, or a third follows an object.
 * @internal
 */
export function statementArguments<O extends object>(
  second: readonly unknown[] | O | undefined,
  third: O | undefined,
): StatementArguments<O> {
  if (second === undefined || Array.isArray(second)) {
    return { params: second as readonly unknown[] | undefined, options: third };
  }
  if (typeof second === 'object' && second !== null && third === undefined) {
    return { params: undefined, options: second as O };
  }
  throw new InterfaceError(
    'expected (query, params?, options?) with params an array and options an object',
  );
}

/**
 * Validates a per-call statement timeout (a non-negative integer, or undefined).
 *
 * @throws RangeError otherwise.
 * @internal
 */
export function statementTimeout(options: ExecuteOptions | undefined): number {
  const value = options?.statementTimeoutMs;
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new RangeError(`statementTimeoutMs must be a non-negative integer, got ${String(value)}`);
  }
  return value;
}

/**
 * Validates `batchSize` (a positive integer; default {@link DEFAULT_BATCH_SIZE}).
 *
 * @throws RangeError otherwise.
 * @internal
 */
export function batchSizeOf(options: StreamOptions | undefined): number {
  const value = options?.batchSize ?? DEFAULT_BATCH_SIZE;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new RangeError(`batchSize must be a positive integer, got ${String(value)}`);
  }
  return value;
}
