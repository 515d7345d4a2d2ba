import type pg from 'pg';
import type { DatabaseError } from '../errors/database-error.js';
import { StaleStatementError } from '../errors/stale-statement-error.js';
import { translateError } from '../errors/translate-error.js';
import type { RowMode } from './sa-connection.js';
import { PreparedQuery } from './prepared-query.js';
import { afterError, runQuery } from './run-query.js';
import { type StatementCache, staleStatementReason } from './statement-cache.js';

/**
 * Sends one statement on `client` through its prepared-statement cache (when there is one):
 * parameterized SQL runs as a named server-side statement, prepared on first use.
 *
 * When the server rejects a cached statement (schema change: 0A000 "cached plan must not change
 * result type"; dropped statement: 26000), the statement is forgotten and, if the connection is
 * outside a transaction, prepared again and retried once — nothing was committed or aborted.
 * Inside a transaction the server has already aborted it, so a {@link StaleStatementError} is
 * thrown instead. Other errors are rethrown untranslated (the caller translates them).
 *
 * Shared by `SAConnection.query` and the engine's pipelined autocommit path.
 *
 * @internal
 */
export function runStatement(
  client: pg.ClientBase,
  cache: StatementCache | undefined,
  sql: string,
  parameters: readonly unknown[],
  rowMode: RowMode,
  secret: string | undefined,
): Promise<pg.QueryResult> {
  if (cache === undefined) return runQuery(client, queryConfig(sql, parameters, rowMode, undefined));
  return run(client, cache, sql, parameters, rowMode, secret, true);
}

// Written with pg's callback API and no async frames: this runs once per statement.
function run(
  client: pg.ClientBase,
  cache: StatementCache,
  sql: string,
  parameters: readonly unknown[],
  rowMode: RowMode,
  secret: string | undefined,
  mayRetry: boolean,
): Promise<pg.QueryResult> {
  // Evicted statements are dropped ahead of this one, in one round trip; their failure
  // (already gone) must not fail the user's statement.
  const deallocations = cache.takeDeallocations();
  if (deallocations.length > 0) {
    const next = () => run(client, cache, sql, parameters, rowMode, secret, mayRetry);
    return runQuery(client, { text: deallocations.join('; ') }).then(next, next);
  }
  const name = cache.nameFor(sql, parameters.length);
  if (name === undefined) return runQuery(client, queryConfig(sql, parameters, rowMode, undefined));
  return new Promise((resolve, reject) => {
    const done = (error: Error | null, result?: pg.QueryResult) => {
      if (!error) {
        resolve(result as pg.QueryResult);
        return;
      }
      // The transaction status read below is only current after ReadyForQuery.
      afterError(client, error, () => {
        const reason = staleStatementReason(error);
        if (reason === undefined) {
          reject(error);
          return;
        }
        cache.invalidate(sql, name);
        const idle = client.getTransactionStatus?.() === 'I';
        if (idle && mayRetry) {
          resolve(run(client, cache, sql, parameters, rowMode, secret, false));
        } else if (idle) {
          reject(error);
        } else {
          reject(staleInTransaction(error, reason, secret));
        }
      });
    };
    client.query(new PreparedQuery(cache, sql, name, parameters, rowMode, done));
  });
}

function staleInTransaction(error: Error, reason: string, secret: string | undefined): Error {
  const translated = translateError(error, secret) as DatabaseError;
  return new StaleStatementError(
    `cached prepared statement is no longer valid (${reason}: ${translated.message}); ` +
      'the transaction is aborted: roll it back and run it again ' +
      '(the statement will be prepared afresh)',
    translated,
    { cause: translated },
  );
}

function queryConfig(
  text: string,
  values: readonly unknown[],
  rowMode: RowMode,
  name: string | undefined,
): pg.QueryConfig {
  // Always the same four keys, so pg's per-query copy of the config stays monomorphic.
  return {
    text,
    values: values as unknown[],
    name,
    rowMode: rowMode === 'array' ? 'array' : undefined,
  } as pg.QueryConfig;
}
