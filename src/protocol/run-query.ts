import type pg from 'pg';
import { isReadyForQuery, onNextReadyForQuery } from './pg-internals.js';

/**
 * Runs one statement (SQL text, a config, or a query object of pgsa's own without a callback) with
 * node-postgres' callback API, which allocates less than its promise
 * API on the hot path. Statements on one client run in the order they were submitted.
 *
 * A statement the server rejects settles only once the server's ReadyForQuery arrived:
 * node-postgres reports the ErrorResponse before it, and until then its transaction status
 * (`inTransaction`, a transaction's `'failed'` status, the release check) would be stale.
 *
 * @internal
 */
export function runQuery(
  client: pg.ClientBase,
  config: pg.QueryConfig | pg.Submittable | string,
): Promise<pg.QueryResult> {
  return new Promise((resolve, reject) => {
    const query = config as pg.QueryConfig;
    client.query(query, (error: Error | undefined, result: pg.QueryResult) => {
      if (!error) resolve(result);
      else afterError(client, error, () => reject(error));
    });
  });
}

/**
 * Calls `settle` once the transaction status reflects a failed statement: after the server's
 * ReadyForQuery for an ERROR, at once for FATAL/PANIC or when it already arrived.
 *
 * @internal
 */
export function afterError(client: pg.ClientBase, error: Error, settle: () => void): void {
  if (awaitsReadyForQuery(client, error)) onNextReadyForQuery(client, settle);
  else settle();
}

function awaitsReadyForQuery(client: pg.ClientBase, error: Error): boolean {
  const severity = (error as { severity?: unknown }).severity;
  // ERROR is followed by ReadyForQuery; FATAL/PANIC end the connection instead.
  return (
    !isReadyForQuery(client) &&
    typeof severity === 'string' &&
    severity !== 'FATAL' &&
    severity !== 'PANIC'
  );
}
