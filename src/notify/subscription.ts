import { mask } from '../errors/translate-error.js';
import type { ChannelSubscriber } from './listener-connection.js';
import type { Notification, NotificationGap } from './notification.js';
import { NotificationBuffer } from './notification-buffer.js';

/** What a subscription needs from the engine's listener. Not part of the public API: kept in the declarations because public ones refer to it. */
export interface SubscriptionSource {
  subscribe(channel: string, subscriber: ChannelSubscriber): Promise<void>;
  unsubscribe(channel: string, subscriber: ChannelSubscriber): Promise<void>;
  /** The engine-wide `listener.onGap`. */
  readonly onGap: ((gap: NotificationGap) => void) | undefined;
  readonly warn: (message: string) => void;
  readonly secret: string | undefined;
}

/** Where a subscription stands. */
export type SubscriptionStatus = 'listening' | 'unlistened' | 'failed';

/**
 * One subscriber to one channel of the engine's listener connection, returned by
 * `engine.notifications(channel)` (iterate it) and `engine.listen(channel, handler)`.
 *
 * It buffers at most `bufferSize` notifications; when a notification arrives while the buffer
 * is full, the OLDEST buffered one is dropped, and the number dropped is reported through
 * `onGap({ reason: 'overflow' })` when the reader reaches the gap. After the listener connection
 * was lost and re-established, `onGap({ reason: 'reconnect' })` is called at once. Leaving a
 * `for await` loop over it (break, return, throw) unlistens it.
 *
 * @example
 * ```ts
 * const orders = engine.notifications('orders', { bufferSize: 100, onGap: () => resync() });
 * await orders.ready; // LISTEN is in effect
 * for await (const { payload } of orders) {
 *   if (payload === 'finish') break; // UNLISTEN (when it is the channel's last subscriber)
 * }
 * ```
 */
export class Subscription implements AsyncIterable<Notification> {
  /** The channel, as given. */
  readonly channel: string;
  /**
   * Resolves once LISTEN is in effect (notifications sent from then on are received).
   * Rejects (and the iteration throws the same error) when it could not be made: the engine is
   * closed (`InterfaceError`), the connection cannot be opened (`OperationalError`).
   */
  readonly ready: Promise<void>;
  readonly #source: SubscriptionSource;
  readonly #buffer: NotificationBuffer;
  readonly #subscriber: ChannelSubscriber;
  readonly #onGap: ((gap: NotificationGap) => void) | undefined;
  #status: SubscriptionStatus = 'listening';
  #unlistening: Promise<void> | undefined;

  /** @internal Made by `engine.notifications` / `engine.listen`. */
  constructor(
    channel: string,
    source: SubscriptionSource,
    options: { readonly bufferSize: number; readonly onGap: ((gap: NotificationGap) => void) | undefined },
  ) {
    this.channel = channel;
    this.#source = source;
    this.#onGap = options.onGap;
    this.#buffer = new NotificationBuffer(options.bufferSize, (dropped) =>
      this.#gap(Object.freeze({ channel, reason: 'overflow', dropped }), true),
    );
    this.#subscriber = {
      deliver: (notification) => this.#buffer.push(notification),
      gap: (gap) => this.#gap(gap, false),
      end: (error) => {
        if (this.#status !== 'listening') return;
        this.#status = error === undefined ? 'unlistened' : 'failed';
        if (error === undefined) this.#buffer.close();
        else this.#buffer.fail(error);
      },
    };
    this.ready = source.subscribe(channel, this.#subscriber);
    this.ready.catch((error: unknown) => this.#subscriber.end(error as Error));
  }

  /** `'listening'`, `'unlistened'` (by `unlisten()`, leaving a loop, or the engine closing) or `'failed'`. */
  get status(): SubscriptionStatus {
    return this.#status;
  }

  /** Notifications received and not read yet (never more than `bufferSize`). */
  get buffered(): number {
    return this.#buffer.length;
  }

  /**
   * Stops this subscription: its iteration ends (what is buffered is dropped) and, when it was
   * the channel's last subscriber, UNLISTEN is sent. Harmless when repeated.
   */
  unlisten(): Promise<void> {
    this.#unlistening ??= this.#unlisten();
    return this.#unlistening;
  }

  async #unlisten(): Promise<void> {
    if (this.#status === 'listening') this.#status = 'unlistened';
    this.#buffer.clear();
    await this.ready.catch(() => {});
    await this.#source.unsubscribe(this.channel, this.#subscriber);
  }

  /** Reads the notifications in arrival order; leaving the loop unlistens. */
  [Symbol.asyncIterator](): AsyncIterator<Notification, undefined> {
    return {
      next: () => this.#buffer.next(),
      return: async () => {
        await this.unlisten();
        return { done: true, value: undefined };
      },
    };
  }

  /** `async dispose`: `await using sub = await engine.listen(…)` unlistens at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.unlisten();
  }

  #gap(gap: NotificationGap, fromReader: boolean): void {
    // The engine-wide hook learns about reconnects from the listener itself.
    if (fromReader) this.#call(() => this.#source.onGap?.(gap));
    this.#call(() => this.#onGap?.(gap));
  }

  #call(hook: () => void): void {
    try {
      hook();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.#source.warn(`onGap hook threw: ${mask(message, this.#source.secret)}`);
    }
  }
}

/**
 * Feeds a subscription's notifications to `handler` one at a time, in order: a slow handler
 * only fills its own subscription's buffer, never delays other channels or subscribers. A
 * handler that throws (or rejects) is reported through `warn` and the next notification is
 * handled.
 *
 * @internal
 */
export async function pump(
  subscription: Subscription,
  handler: (notification: Notification) => unknown,
  warn: (message: string) => void,
): Promise<void> {
  const iterator = subscription[Symbol.asyncIterator]();
  for (;;) {
    let next: IteratorResult<Notification, undefined>;
    try {
      next = await iterator.next();
    } catch {
      return; // The listener gave up; it said so already.
    }
    if (next.done) return;
    try {
      await handler(next.value);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      warn(`listen handler for channel "${subscription.channel}" threw: ${message}`);
    }
  }
}
