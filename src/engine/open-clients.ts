import type pg from 'pg';
import { socketOf } from '../protocol/pg-internals.js';

/**
 * The pool's connected clients whose sockets are still open. node-postgres' `pool.end()`
 * resolves once it has asked every client to end, before their sockets have closed; the engine
 * waits for those too, so that after `waitClosed()` no session of the engine is left on the
 * server.
 *
 * @internal
 */
export class OpenClients {
  readonly #clients = new Set<pg.Client>();
  #drained: (() => void) | undefined;

  /** Tracks `client` from its login to the end of its socket. */
  track(client: pg.Client): void {
    client.once('connect', () => {
      this.#clients.add(client);
      client.once('end', () => {
        this.#clients.delete(client);
        if (this.#clients.size === 0) this.#drained?.();
      });
    });
  }

  /**
   * Resolves once every tracked socket has closed. A socket still open after `graceMs` (its
   * peer does not answer: a partitioned network) is destroyed, so this never waits longer.
   */
  async closed(graceMs: number): Promise<void> {
    if (this.#clients.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((resolve) => (this.#drained = resolve)),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs))),
    ]);
    clearTimeout(timer);
    for (const client of this.#clients) socketOf(client).destroy();
  }
}
