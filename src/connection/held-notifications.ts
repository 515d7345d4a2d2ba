import type pg from 'pg';
import { NotificationBuffer } from '../notify/notification-buffer.js';
import type { Notification } from '../notify/notification.js';

/** Notifications a held connection buffers before the oldest are dropped. */
export const HELD_BUFFER_SIZE = 10_000;

/**
 * aiopg-style LISTEN on a connection held from the pool (`conn.listen`, `conn.notifications`):
 * one bounded buffer for all of the connection's channels, fed by its pg client while it is
 * held. Whether LISTEN was ever sent is remembered, so that releasing the connection sends
 * `UNLISTEN *` then and only then (no round trip on other releases), and the next holder never
 * receives this one's notifications.
 *
 * @internal
 */
export class HeldNotifications {
  readonly #client: pg.ClientBase;
  readonly #buffer: NotificationBuffer;
  readonly #onNotification = (message: pg.Notification): void => {
    this.#buffer.push(
      Object.freeze({ channel: message.channel, payload: message.payload ?? '', processId: message.processId }),
    );
  };
  /** A LISTEN was sent (even one that failed): the session must be cleaned on release. */
  #listened = false;

  constructor(client: pg.ClientBase, warn: (message: string) => void) {
    this.#client = client;
    this.#buffer = new NotificationBuffer(HELD_BUFFER_SIZE, (dropped) =>
      warn(
        `${dropped} notification(s) dropped on a held connection: more than ${HELD_BUFFER_SIZE} ` +
          'were waiting to be read from conn.notifications',
      ),
    );
    client.on('notification', this.#onNotification);
  }

  /** True once a LISTEN was sent on this connection. */
  get listened(): boolean {
    return this.#listened;
  }

  /** Records that a LISTEN is about to be sent: the release must clean the session. */
  listening(): void {
    this.#listened = true;
  }

  /** Every notification received while held, in order; loops end when the connection is released. */
  readonly iterable: AsyncIterable<Notification> = {
    [Symbol.asyncIterator]: () => ({ next: () => this.#buffer.next() }),
  };

  /** The connection goes back to the pool: stop receiving, end the loops. */
  detach(): void {
    this.#client.removeListener('notification', this.#onNotification);
    this.#buffer.clear();
  }
}
