import type pg from 'pg';

/**
 * Runs one statement with node-postgres' callback API, which allocates less than its promise
 * API on the hot path. Statements on one client run in the order they were submitted.
 *
 * @internal
 */
export function runQuery(client: pg.ClientBase, config: pg.QueryConfig): Promise<pg.QueryResult> {
  return new Promise((resolve, reject) => {
    client.query(config, (error: Error | undefined, result: pg.QueryResult) => {
      if (error) reject(error);
      else resolve(result);
    });
  });
}
