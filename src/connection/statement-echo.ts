import type { ConnectionSettings } from './pgsa-logger.js';

/**
 * Sends one echo event for a finished statement, shared by every execution path (checked-out
 * connections and the engine's pipelined autocommit path) so they log identically.
 *
 * @internal
 */
export function echoStatement(
  options: ConnectionSettings,
  sql: string,
  parameters: readonly unknown[],
  started: number,
  rowCount: number | null | undefined,
  error: string | undefined,
  backendPid: number,
): void {
  options.echo?.query?.({
    sql,
    ...(options.echoParameters ? { parameters } : {}),
    durationMs: performance.now() - started,
    ...(error === undefined ? { rowCount } : { error }),
    backendPid,
  });
}
