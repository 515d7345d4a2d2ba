import type pg from 'pg';
import { type DisconnectReason, type PoolMessage, poolChannel } from '../diagnostics/channels.js';
import { backendProcessId } from '../protocol/pg-internals.js';

/**
 * Publishes an engine's `pgsa:pool` messages. Acquire and release are reported by the engine;
 * connects and disconnects come from pg-pool's events, each disconnect with the reason recorded
 * when pgsa or the pool decided it (discarded, socket error), else `idle` or `closed`.
 *
 * @internal
 */
export class PoolEvents {
  readonly #dsn: string;
  readonly #reasons = new WeakMap<object, DisconnectReason>();

  constructor(pool: pg.Pool, dsn: string, closing: () => boolean) {
    this.#dsn = dsn;
    pool.on('connect', (client) => {
      this.#publish(() => ({ event: 'connect', dsn, backendPid: pid(client) }));
    });
    pool.on('error', (_error, client) => {
      this.#reasons.set(client, 'error');
    });
    pool.on('remove', (client) => {
      const reason = this.#reasons.get(client) ?? (closing() ? 'closed' : 'idle');
      this.#publish(() => ({ event: 'disconnect', dsn, backendPid: pid(client), reason }));
    });
  }

  /** `acquire()` was called; `waiting` callers wait already. */
  acquire(waiting: number): void {
    this.#publish(() => ({ event: 'acquire', dsn: this.#dsn, waiting }));
  }

  acquired(client: pg.ClientBase, started: number): void {
    this.#publish(() => ({
      event: 'acquired',
      dsn: this.#dsn,
      backendPid: pid(client),
      waitMs: performance.now() - started,
    }));
  }

  timeout(waitMs: number): void {
    this.#publish(() => ({ event: 'timeout', dsn: this.#dsn, waitMs }));
  }

  release(client: pg.ClientBase, discarded: boolean): void {
    if (discarded) this.#reasons.set(client, 'discarded');
    this.#publish(() => ({ event: 'release', dsn: this.#dsn, backendPid: pid(client), discarded }));
  }

  #publish(make: () => PoolMessage): void {
    if (poolChannel.hasSubscribers) poolChannel.publish(make());
  }
}

function pid(client: pg.ClientBase): number {
  return backendProcessId(client) ?? 0;
}
