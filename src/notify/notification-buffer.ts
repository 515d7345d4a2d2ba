import type { Notification } from './notification.js';

/** Buffered notifications a subscriber keeps when none is given (engine option `listener.bufferSize`). */
export const DEFAULT_BUFFER_SIZE = 1000;

interface Waiter {
  resolve(result: IteratorResult<Notification, undefined>): void;
  reject(error: unknown): void;
}

const DONE: IteratorResult<Notification, undefined> = Object.freeze({ done: true, value: undefined });

/**
 * A bounded FIFO of notifications between the connection that receives them and one consumer.
 * It never holds more than `capacity`: when a notification arrives while it is full, the OLDEST
 * buffered one is dropped (the newest state is usually what matters, and a consumer that
 * resyncs after a gap needs the latest announcements). The number dropped is reported through
 * `onOverflow` when the reader reaches the gap, i.e. just before it reads the first notification
 * that followed the dropped ones.
 *
 * @internal
 */
export class NotificationBuffer {
  readonly capacity: number;
  readonly #items: (Notification | undefined)[];
  readonly #onOverflow: (dropped: number) => void;
  #head = 0;
  #length = 0;
  /** Dropped since the reader last took an item. */
  #dropped = 0;
  readonly #waiters: Waiter[] = [];
  #status: 'open' | 'closed' | 'failed' = 'open';
  #error: unknown;

  constructor(capacity: number, onOverflow: (dropped: number) => void) {
    this.capacity = capacity;
    this.#items = new Array<Notification | undefined>(capacity);
    this.#onOverflow = onOverflow;
  }

  /** Notifications waiting to be read. */
  get length(): number {
    return this.#length;
  }

  /** False once closed or failed: pushes are ignored. */
  get open(): boolean {
    return this.#status === 'open';
  }

  /** Hands `notification` to a waiting reader, or buffers it (dropping the oldest when full). */
  push(notification: Notification): void {
    if (this.#status !== 'open') return;
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) {
      waiter.resolve({ done: false, value: notification });
      return;
    }
    const capacity = this.capacity;
    if (this.#length === capacity) {
      this.#items[this.#head] = notification;
      this.#head = (this.#head + 1) % capacity;
      this.#dropped++;
      return;
    }
    this.#items[(this.#head + this.#length) % capacity] = notification;
    this.#length++;
  }

  /**
   * The next notification: a buffered one at once, otherwise the next to arrive. After
   * `close()` the buffered ones are still read, then the iteration is done; after `fail()` the
   * buffered ones are read, then the error is thrown once, then the iteration is done.
   */
  next(): Promise<IteratorResult<Notification, undefined>> {
    if (this.#length > 0) {
      const value = this.#items[this.#head] as Notification;
      this.#items[this.#head] = undefined;
      this.#head = (this.#head + 1) % this.capacity;
      this.#length--;
      if (this.#dropped > 0) {
        const dropped = this.#dropped;
        this.#dropped = 0;
        this.#onOverflow(dropped);
      }
      return Promise.resolve({ done: false, value });
    }
    if (this.#status === 'failed') {
      this.#status = 'closed';
      return Promise.reject(this.#error);
    }
    if (this.#status === 'closed') return Promise.resolve(DONE);
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /** No more notifications: readers finish once the buffered ones are read. Harmless when repeated. */
  close(): void {
    if (this.#status !== 'open') return;
    this.#status = 'closed';
    for (const waiter of this.#waiters.splice(0)) waiter.resolve(DONE);
  }

  /** Drops what is buffered and finishes at once (the reader left). */
  clear(): void {
    this.close();
    this.#items.fill(undefined);
    this.#length = 0;
    this.#dropped = 0;
  }

  /** No more notifications because of `error`: a waiting reader (or the next) gets it. */
  fail(error: unknown): void {
    if (this.#status !== 'open') return;
    const waiters = this.#waiters.splice(0);
    if (waiters.length > 0) {
      this.#status = 'closed';
      const [first, ...rest] = waiters as [Waiter, ...Waiter[]];
      first.reject(error);
      for (const waiter of rest) waiter.resolve(DONE);
      return;
    }
    this.#status = 'failed';
    this.#error = error;
  }
}
