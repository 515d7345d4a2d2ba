import type pg from 'pg';
import { nextQueryId, type QueryMessage, queryChannel } from '../diagnostics/channels.js';
import type { StatementCache } from '../protocol/statement-cache.js';
import type { ConnectionSettings } from './pgsa-logger.js';
import type { QueryMetrics } from './query-metrics.js';

/** The `start` message of a statement, kept to build its `end` / `error`. Not part of the public API. */
export type QueryTrace = Extract<QueryMessage, { event: 'start' }>;

/**
 * Publishes a statement's `pgsa:query` `start` message, or returns `undefined` at the cost of
 * one property read when nobody subscribes (the hot path's only diagnostics cost).
 *
 * @internal
 */
export function statementStart(
  options: ConnectionSettings,
  client: pg.ClientBase | undefined,
  cache: StatementCache | undefined,
  sql: string,
  parameters: readonly unknown[],
  backendPid: number,
  pipelined: boolean,
): QueryTrace | undefined {
  if (!queryChannel.hasSubscribers) return undefined;
  const statementName = parameters.length > 0 ? cache?.peek(sql) : undefined;
  const target = client as { host?: string; port?: number; database?: string } | undefined;
  // Object literals of one fixed shape (no spreads): this runs per statement while subscribed.
  const trace: QueryTrace = {
    event: 'start',
    id: nextQueryId(),
    sql,
    backendPid,
    statementName,
    cached: statementName !== undefined,
    pipelined,
    host: target?.host,
    port: target?.port,
    database: target?.database,
  };
  if (options.echoParameters) (trace as { parameters?: readonly unknown[] }).parameters = parameters;
  queryChannel.publish(trace);
  return trace;
}

/**
 * Reports one finished statement, shared by every execution path (checked-out connections and
 * the engine's pipelined autocommit path) so they report identically: the engine's counters,
 * the echo logger, and the `pgsa:query` `end` / `error` message when its `start` was published.
 *
 * @internal
 */
export function echoStatement(
  options: ConnectionSettings,
  metrics: QueryMetrics | undefined,
  sql: string,
  parameters: readonly unknown[],
  started: number,
  rowCount: number | null | undefined,
  error: Error | undefined,
  backendPid: number,
  trace: QueryTrace | undefined,
  cache?: StatementCache,
): void {
  const durationMs = performance.now() - started;
  metrics?.record(durationMs, error !== undefined);
  options.echo?.query?.({
    sql,
    ...(options.echoParameters ? { parameters } : {}),
    durationMs,
    ...(error === undefined ? { rowCount } : { error: error.message }),
    backendPid,
  });
  if (trace === undefined) return;
  const statementName = trace.statementName ?? (parameters.length > 0 ? cache?.peek(sql) : undefined);
  const message: Record<string, unknown> = {
    event: error === undefined ? 'end' : 'error',
    id: trace.id,
    sql,
    backendPid: backendPid || trace.backendPid,
    statementName,
    cached: trace.cached,
    pipelined: trace.pipelined,
    host: trace.host,
    port: trace.port,
    database: trace.database,
    durationMs,
  };
  if (error === undefined) message.rowCount = rowCount ?? null;
  else message.error = error;
  if (trace.parameters !== undefined) message.parameters = trace.parameters;
  queryChannel.publish(message);
}
