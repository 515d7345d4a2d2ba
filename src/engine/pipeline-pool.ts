import type pg from 'pg';
import type { RowMode } from '../protocol/protocol-query.js';
import { runStatement } from '../protocol/run-statement.js';
import { backendProcessId, socketOf } from '../protocol/pg-internals.js';
import { StatementCache } from '../protocol/statement-cache.js';
import { echoStatement, type QueryTrace, statementStart } from '../connection/statement-echo.js';
import type { QueryMetrics } from '../connection/query-metrics.js';
import { queryChannel } from '../diagnostics/channels.js';
import { ResponseWatchdog } from '../connection/response-watchdog.js';
import { OperationalError } from '../errors/database-error.js';
import { InterfaceError } from '../errors/pgsa-error.js';
import { isConnectionFailure, translateError } from '../errors/translate-error.js';
import type { ResolvedEngineOptions } from './engine-options.js';
import { connectWithRetries } from './connect-retries.js';
import type { HostSelector } from './host-selection.js';

/** What the pipeline needs from its engine. Not part of the public API: kept in the declarations because public ones refer to it. */
export interface PipelineHost {
  readonly options: ResolvedEngineOptions;
  readonly secret: string | undefined;
  /** Counts every statement and its latency (`engine.stats()`). */
  readonly metrics?: QueryMetrics | undefined;
  /** A new, unconnected client configured like the pool's, with `pipeline: true`. */
  createPipelineClient(): pg.Client;
  /** Runs the engine's `onConnect` hook on a freshly connected client. */
  prepareClient(client: pg.Client): Promise<void>;
  /** The error `acquire()` would raise for this connect failure (names host, never the password). */
  connectError(error: unknown): Error;
  /** A multi-host engine's host selection: new connections try host after host, stale ones are dropped. */
  readonly hostSelector?: HostSelector | undefined;
}

interface Slot {
  client: pg.Client | undefined;
  cache: StatementCache | undefined;
  /** Bounds the answers when the engine has a `statementTimeoutMs`. */
  watchdog: ResponseWatchdog | undefined;
  opening: Promise<pg.Client> | undefined;
  /** Start times of the statements in flight, oldest first (answers come back in order). */
  starts: number[];
  head: number;
  /** True while the socket is corked until the end of the current tick. */
  corked: boolean;
}

/** A statement at the head of a pipeline for this long makes new statements avoid it. */
const STALL_MS = 50;

type Status = 'open' | 'closed';

/**
 * A few connections, outside the pool, shared by concurrent autocommit statements in pg's
 * pipeline mode: each statement is written at once, with its own Sync, instead of waiting for a
 * free pooled connection. Every statement is its own implicit transaction, so a failing one
 * fails alone. A connection that breaks is dropped and replaced on the next statement; its
 * in-flight statements fail with `OperationalError`.
 *
 * A statement that runs long delays the ones behind it on the same connection (head-of-line
 * blocking), so while a connection's oldest statement has been running for more than 50 ms the
 * caller is told to use the pool instead ({@link PipelinePool.available}).
 *
 * @internal
 */
export class PipelinePool {
  readonly #host: PipelineHost;
  readonly #slots: Slot[];
  #status: Status = 'open';
  #next = 0;

  constructor(host: PipelineHost, size: number) {
    this.#host = host;
    this.#slots = Array.from({ length: size }, () => ({
      client: undefined,
      cache: undefined,
      watchdog: undefined,
      opening: undefined,
      starts: [],
      head: 0,
      corked: false,
    }));
  }

  /** Open pipelined connections. */
  get size(): number {
    return this.#slots.filter((slot) => slot.client !== undefined).length;
  }

  /**
   * Runs one autocommit statement on a pipelined connection, with the same statement cache,
   * echo logging and error translation as `SAConnection.query`; `undefined` (nothing sent) when
   * the pipeline is closed or every connection is stuck behind a slow statement, so the caller
   * uses a pooled connection instead.
   *
   * The promise rejects with DatabaseError subclasses by SQLSTATE, or OperationalError when the
   * connection is lost or cannot be opened.
   */
  tryQuery(
    sql: string,
    parameters: readonly unknown[],
    rowMode: RowMode,
  ): Promise<pg.QueryResult> | undefined {
    if (this.#status !== 'open') return undefined;
    const slot = this.#pick();
    return slot === undefined ? undefined : this.#query(slot, sql, parameters, rowMode);
  }

  async #query(
    slot: Slot,
    sql: string,
    parameters: readonly unknown[],
    rowMode: RowMode,
  ): Promise<pg.QueryResult> {
    const host = this.#host;
    const started = performance.now();
    let trace: QueryTrace | undefined;
    let client: pg.Client | undefined;
    try {
      // A connection whose server changed role or was lost (multi-host engines) is not reused.
      if (slot.client !== undefined && host.hostSelector?.isStale(slot.client) === true) {
        this.#discard(slot, slot.client, true);
      }
      client = slot.client ?? (await this.#open(slot));
      if (queryChannel.hasSubscribers) {
        trace = statementStart(host.options, client, slot.cache, sql, parameters, pid(client), true);
      }
      slot.starts.push(performance.now());
      this.#batchWrites(slot, client);
      const watchdog = slot.watchdog;
      watchdog?.begin();
      let result: pg.QueryResult;
      try {
        result = await runStatement(client, slot.cache, sql, parameters, rowMode, host.secret);
      } finally {
        watchdog?.end();
        this.#finished(slot);
      }
      // Not expected from a pipeline-safe statement, but a transaction left open would capture
      // everyone else's statements: drop the connection rather than share it.
      if (client.getTransactionStatus() !== 'I') this.#discard(slot, client, true);
      echoStatement(host.options, host.metrics, sql, parameters, started, result.rowCount, undefined, pid(client), trace, slot.cache);
      return result;
    } catch (error) {
      // A FATAL error (e.g. pg_terminate_backend) or a dead socket ends the session; pg only
      // notices once the socket closes, so drop the client now or the next caller gets it.
      const translated = translateError(error, host.secret);
      if (client !== undefined && slot.client === client && isFatal(error)) {
        host.options.logger.warn?.(`pipelined connection lost: ${(translated as Error).message}`);
        this.#discard(slot, client, true);
      }
      echoStatement(host.options, host.metrics, sql, parameters, started, undefined, translated as Error, pid(client), trace, slot.cache);
      throw translated;
    }
  }

  /** Ends every connection once its statements are answered. */
  async close(): Promise<void> {
    this.#status = 'closed';
    await Promise.all(this.#slots.map((slot) => this.#endSlot(slot, false)));
  }

  /** Closes every connection now: statements in flight fail with `OperationalError`. */
  async terminate(): Promise<void> {
    this.#status = 'closed';
    await Promise.all(this.#slots.map((slot) => this.#endSlot(slot, true)));
  }

  #pick(): Slot | undefined {
    const slots = this.#slots;
    const now = performance.now();
    let best: Slot | undefined;
    let bestPending = Number.POSITIVE_INFINITY;
    for (let offset = 0; offset < slots.length; offset++) {
      const slot = slots[(this.#next + offset) % slots.length] as Slot;
      const pending = slot.starts.length - slot.head;
      if (pending > 0 && now - (slot.starts[slot.head] as number) > STALL_MS) continue;
      if (pending < bestPending) {
        best = slot;
        bestPending = pending;
        if (pending === 0) break;
      }
    }
    this.#next = (this.#next + 1) % slots.length;
    return best;
  }

  /**
   * Holds the socket's writes until the current tick ends, so every statement issued in this
   * tick (typically many callers resumed by one batch of answers) leaves in one `writev` instead
   * of one system call each: the system call, not pg's encoding, dominates client CPU here.
   */
  #batchWrites(slot: Slot, client: pg.Client): void {
    if (slot.corked) return;
    const stream = socketOf(client);
    slot.corked = true;
    stream.cork();
    process.nextTick(() => {
      slot.corked = false;
      stream.uncork();
    });
  }

  #finished(slot: Slot): void {
    slot.head++;
    if (slot.head >= slot.starts.length) {
      slot.starts.length = 0;
      slot.head = 0;
    }
  }

  #open(slot: Slot): Promise<pg.Client> {
    const host = this.#host;
    const selector = host.hostSelector;
    slot.opening ??= connectWithRetries(
      () => (selector === undefined ? this.#connect(slot) : selector.connect(() => this.#connect(slot))),
      host.options.connectRetries,
      undefined,
      () => this.#status !== 'open',
    ).finally(() => {
      slot.opening = undefined;
    });
    return slot.opening;
  }

  async #connect(slot: Slot): Promise<pg.Client> {
    const host = this.#host;
    const client = host.createPipelineClient();
    client.on('error', (error: Error) => {
      // Without a listener a dead socket would crash the process; the statements in flight
      // already fail with this error, later ones get a fresh connection.
      if (slot.client !== client) return;
      host.options.logger.warn?.(
        `pipelined connection lost: ${(translateError(error, host.secret) as Error).message}`,
      );
      this.#discard(slot, client, false);
    });
    client.on('end', () => this.#discard(slot, client, false));
    try {
      await client.connect();
      await host.prepareClient(client);
    } catch (error) {
      client.end().catch(() => {});
      throw error instanceof OperationalError || error instanceof InterfaceError
        ? error
        : host.connectError(error);
    }
    if (this.#status !== 'open') {
      await client.end().catch(() => {});
      throw new InterfaceError('cannot execute: the engine is closed');
    }
    slot.client = client;
    slot.cache = StatementCache.of(client, host.options.statementCacheSize);
    slot.watchdog = ResponseWatchdog.of(socketOf(client), host.options.statementTimeoutMs);
    return client;
  }

  #discard(slot: Slot, client: pg.Client, end: boolean): void {
    if (slot.client !== client) return;
    slot.client = undefined;
    slot.cache = undefined;
    if (end) client.end().catch(() => {});
  }

  async #endSlot(slot: Slot, now: boolean): Promise<void> {
    const client = slot.client ?? (await slot.opening?.catch(() => undefined));
    if (client === undefined) return;
    slot.client = undefined;
    slot.cache = undefined;
    if (now) {
      // pg's end() waits for the pipeline to drain; terminate must not.
      socketOf(client).destroy();
    }
    await client.end().catch(() => {});
  }
}

function isFatal(error: unknown): boolean {
  const severity = (error as { severity?: unknown } | null)?.severity;
  if (severity === 'FATAL' || severity === 'PANIC') return true;
  return error instanceof Error && !('severity' in error) && isConnectionFailure(error);
}

function pid(client: pg.Client | undefined): number {
  return client === undefined ? 0 : (backendProcessId(client) ?? 0);
}
