import type { PgsaLogger } from '../connection/pgsa-logger.js';
import type pg from 'pg';
import { isReadyForQuery } from '../protocol/pg-internals.js';

/** What the warning reads from a held connection (an `SAConnection`). */
export interface HeldConnection {
  readonly backendPid: number;
  readonly inTransaction: boolean;
  readonly raw: pg.ClientBase;
}

/**
 * How long `waitClosed()` waits for acquired connections before it logs which ones are still
 * out (once per engine; it keeps waiting afterwards).
 */
export const HELD_CONNECTIONS_GRACE_MS = 5_000;

/**
 * The connections an engine has handed out, with the time each was acquired, so that a
 * `waitClosed()` left waiting by a connection nobody releases says which one (the classic case:
 * an `await using conn` whose scope ends only after `await engine.waitClosed()`).
 *
 * @internal
 */
export class HeldConnections<C extends HeldConnection> {
  /** Each held connection and when it was acquired (`Date.now()`). */
  readonly #since = new Map<C, number>();
  #watched = false;

  /** Connections currently held. */
  get size(): number {
    return this.#since.size;
  }

  /** Records `conn` as acquired now. */
  add(conn: C): void {
    this.#since.set(conn, Date.now());
  }

  /** Forgets `conn` (released or discarded). */
  delete(conn: C): void {
    this.#since.delete(conn);
  }

  [Symbol.iterator](): IterableIterator<C> {
    return this.#since.keys();
  }

  /**
   * Logs once, through `logger.warn`, the connections still held `graceMs` after the first
   * call, unless `ended` (the engine's end) settled first. Later calls do nothing. The timer
   * never keeps the process alive by itself.
   */
  watch(ended: Promise<void>, logger: PgsaLogger, graceMs = HELD_CONNECTIONS_GRACE_MS): void {
    if (this.#watched) return;
    this.#watched = true;
    const timer = setTimeout(() => {
      if (this.size > 0) logger.warn?.(this.describe(graceMs));
    }, graceMs);
    timer.unref();
    const stop = (): void => clearTimeout(timer);
    ended.then(stop, stop);
  }

  /** The warning: how many are held, then each one's backend pid, age, and activity. */
  describe(graceMs: number, now = Date.now()): string {
    const lines = [...this.#since].map(([conn, since]) => {
      const age = ((now - since) / 1000).toFixed(1);
      return `backend pid ${String(conn.backendPid)} acquired ${age} s ago ` +
        `(${new Date(since).toISOString()})${activity(conn)}`;
    });
    return (
      `waitClosed() has waited ${graceMs} ms: ${lines.length} connection(s) still acquired; ` +
      'the engine closes once they are released (conn.close(), engine.release(conn), the end ' +
      "of an 'await using' scope) or on engine.terminate(): " +
      lines.join('; ')
    );
  }
}

function activity(conn: HeldConnection): string {
  const doing: string[] = [];
  if (conn.inTransaction) doing.push('in a transaction');
  // A running statement, an open stream or COPY: the server has not said ReadyForQuery yet.
  if (!isReadyForQuery(conn.raw)) doing.push('running a statement or reading a stream');
  return doing.length === 0 ? ', idle' : `, ${doing.join(', ')}`;
}
