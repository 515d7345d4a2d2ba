import { OperationalError } from '../errors/database-error.js';
import { InterfaceError } from '../errors/pgsa-error.js';
import { mask } from '../errors/translate-error.js';
import type pg from 'pg';

/** Options of `engine.ping()` and `engine.health()`. */
export interface PingOptions {
  /**
   * Bound on the whole check, the wait for a connection included (default 5000 ms). When it
   * expires, a connection still waiting for the answer is closed (never returned to the pool):
   * the network may be cut.
   */
  readonly timeoutMs?: number | undefined;
}

/** What `engine.health()` found. It never throws: a failure is `ok: false` with `error`. */
export interface HealthReport<Stats = unknown> {
  /** True when the server answered within the timeout and accepts queries. */
  readonly ok: boolean;
  /** Round trip of the check's query in ms; `undefined` when it failed. */
  readonly latencyMs: number | undefined;
  /** `server_version` (e.g. `'16.4'`); `undefined` when the check failed. */
  readonly serverVersion: string | undefined;
  /** True on a standby (`pg_is_in_recovery()`); `undefined` when the check failed. */
  readonly inRecovery: boolean | undefined;
  /** The engine's `stats()` at the end of the check. */
  readonly stats: Stats;
  /** Why the check failed (the error's class and message, never the password). */
  readonly error?: string | undefined;
}

/** The connection a check runs on: a pooled `SAConnection`. Not part of the public API. */
export interface CheckConnection {
  query(sql: string, parameters: readonly unknown[], rowMode: 'array'): Promise<pg.QueryResult>;
  close(): Promise<void>;
  /** Closes the socket now; the statement in flight fails. */
  abandonSocket(): void;
}

/** What the checks need from the engine. Not part of the public API. */
export interface CheckHost<Stats> {
  acquire(): Promise<CheckConnection>;
  stats(): Stats;
  readonly secret: string | undefined;
}

const DEFAULT_TIMEOUT_MS = 5_000;
const HEALTH_SQL = "select current_setting('server_version'), pg_is_in_recovery()";

/** `engine.ping()`: see there. @internal */
export async function ping(host: CheckHost<unknown>, options: PingOptions | undefined): Promise<number> {
  const timeoutMs = checkTimeout(options);
  return (await withDeadline(host, timeoutMs, 'ping', 'select 1')).latencyMs;
}

/** `engine.health()`: see there. @internal */
export async function health<Stats>(
  host: CheckHost<Stats>,
  options: PingOptions | undefined,
): Promise<HealthReport<Stats>> {
  let timeoutMs: number;
  try {
    timeoutMs = checkTimeout(options);
  } catch (error) {
    return failed(host, error);
  }
  try {
    const { latencyMs, row } = await withDeadline(host, timeoutMs, 'health check', HEALTH_SQL);
    return {
      ok: true,
      latencyMs,
      serverVersion: String(row[0]),
      inRecovery: row[1] === true,
      stats: host.stats(),
    };
  } catch (error) {
    return failed(host, error);
  }
}

function failed<Stats>(host: CheckHost<Stats>, error: unknown): HealthReport<Stats> {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return {
    ok: false,
    latencyMs: undefined,
    serverVersion: undefined,
    inRecovery: undefined,
    stats: host.stats(),
    error: mask(text, host.secret),
  };
}

function checkTimeout(options: PingOptions | undefined): number {
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    throw new TypeError('ping/health options must be an object: { timeoutMs }');
  }
  const value = options?.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 2_147_483_647) {
    throw new TypeError(`timeoutMs must be a positive integer, got ${String(value)}`);
  }
  return value;
}

/**
 * Acquires a connection and runs `sql` on it, all within `timeoutMs`. When the deadline passes
 * first, the caller gets an `OperationalError` at once; a connection that arrives later goes
 * back to the pool, and one whose answer is still awaited has its socket closed, so a cut
 * network holds no pool slot.
 */
async function withDeadline(
  host: CheckHost<unknown>,
  timeoutMs: number,
  operation: string,
  sql: string,
): Promise<{ latencyMs: number; row: unknown[] }> {
  let conn: CheckConnection | undefined;
  let expired = false;
  let answered = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      expired = true;
      if (conn !== undefined && !answered) conn.abandonSocket();
      reject(new OperationalError(`${operation} got no answer within ${timeoutMs} ms`));
    }, timeoutMs);
  });
  const acquired = host.acquire();
  // Arriving after the deadline, it is not ours to use: back to the pool.
  acquired.then(
    (late) => {
      if (expired && conn === undefined) void late.close().catch(() => {});
    },
    () => {},
  );
  try {
    conn = await Promise.race([acquired, deadline]);
    const started = performance.now();
    const result = await Promise.race([conn.query(sql, [], 'array'), deadline]);
    answered = true;
    return { latencyMs: performance.now() - started, row: (result.rows[0] ?? []) as unknown[] };
  } catch (error) {
    if (error instanceof InterfaceError || error instanceof OperationalError) throw error;
    throw new OperationalError(`${operation} failed: ${(error as Error).message}`, {}, { cause: error });
  } finally {
    clearTimeout(timer);
    await conn?.close().catch(() => {});
  }
}
