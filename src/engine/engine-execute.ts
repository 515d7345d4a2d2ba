import type { ResultProxy } from '../result/result-proxy.js';
import type { Executable } from '../connection/executable.js';
import { compileStatement } from '../connection/compile-statement.js';
import { resultOf } from '../connection/result-of.js';
import {
  type ExecuteOptions,
  statementArguments,
  statementTimeout,
} from '../connection/stream-options.js';
import type { Kysely } from 'kysely';
import type pg from 'pg';
import type { ShapeCache } from '../result/shape-cache.js';

/** What `engineExecute` needs of the engine (which implements it). Not part of the public API: kept in the declarations because public ones refer to it. */
export interface ExecutingEngine {
  readonly db: Kysely<unknown>;
  readonly shapes: ShapeCache;
  queryAutocommit(sql: string, parameters: readonly unknown[], rowMode: 'array'): Promise<pg.QueryResult> | undefined;
  acquire(): Promise<{
    execute(query: Executable<unknown>, options?: ExecuteOptions): Promise<ResultProxy<unknown>>;
    close(): Promise<void>;
  }>;
}

/**
 * `engine.execute`: one statement outside any transaction. It takes the pipelined autocommit
 * path when the engine has one and the statement is safe for it (as `engine.db` does), else a
 * pooled connection, released before the result is returned. A per-call `statementTimeoutMs`
 * needs a connection of its own to cancel, so it always takes the pool.
 *
 * @internal
 */
export async function engineExecute(
  engine: ExecutingEngine,
  query: Executable<unknown> | string,
  paramsOrOptions: readonly unknown[] | ExecuteOptions | undefined,
  options: ExecuteOptions | undefined,
): Promise<ResultProxy<unknown>> {
  const args = statementArguments(paramsOrOptions, options);
  const compiled = compileStatement(query, args.params, engine.db);
  if (statementTimeout(args.options) === 0) {
    const piped = engine.queryAutocommit(compiled.sql, compiled.parameters, 'array');
    if (piped !== undefined) return resultOf(await piped, compiled, engine.shapes);
  }
  const conn = await engine.acquire();
  try {
    // `compiled` is passed on whole: it carries the builder's plugins.
    return await conn.execute(compiled as Executable<unknown>, args.options);
  } finally {
    await conn.close();
  }
}
