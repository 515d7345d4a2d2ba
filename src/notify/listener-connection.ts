import type pg from 'pg';
import { OperationalError } from '../errors/database-error.js';
import { InterfaceError } from '../errors/pgsa-error.js';
import { mask, translateError } from '../errors/translate-error.js';
import { socketOf } from '../protocol/pg-internals.js';
import { listenSql, unlistenSql } from '../sql/notify-sql.js';
import { backoffDelay } from '../transaction/run-engine-transaction.js';
import type { ResolvedListenerOptions } from './listener-options.js';
import type { ListenerReconnect, Notification, NotificationGap } from './notification.js';

/** One receiver of a channel's notifications (a subscription's buffer). Not part of the public API: kept in the declarations because public ones refer to it. */
export interface ChannelSubscriber {
  deliver(notification: Notification): void;
  /** Notifications were lost (the connection was re-established). */
  gap(gap: NotificationGap): void;
  /** No more notifications: the engine closed (no error) or reconnection was given up. */
  end(error: Error | undefined): void;
}

/** What the listener connection needs from the engine. Not part of the public API: kept in the declarations because public ones refer to it. */
export interface ListenerHost {
  /** A new, unconnected client configured like the pool's (its own connect timeout). */
  createClient(): pg.Client;
  /** The password, masked out of every message. */
  readonly secret: string | undefined;
  readonly warn: (message: string) => void;
  readonly settings: ResolvedListenerOptions;
}

type Status = 'idle' | 'connecting' | 'ready' | 'reconnecting' | 'closed';

interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Nobody may be waiting when it fails (every subscriber already left).
  promise.catch(() => {});
  return { promise, resolve, reject };
}

/** How long `close()` waits for the server to acknowledge the end before the socket is destroyed. */
const END_GRACE_MS = 1000;

/**
 * The engine's one dedicated LISTEN connection, outside the pool: opened on the first
 * subscription, shared by every channel, closed with the engine. When it is lost (backend
 * terminated, server restart, network cut — a ping that goes unanswered counts) it reconnects
 * with exponential, jittered backoff, LISTENs every channel again and reports a gap to every
 * subscriber, since PostgreSQL keeps no notification for a session that is not listening.
 *
 * States: `idle` (no connection; the next subscription opens one), `connecting` (the first
 * connection is being opened; it failing fails the waiting subscriptions), `ready`,
 * `reconnecting` (subscriptions made meanwhile wait for it), `closed`.
 *
 * @internal
 */
export class ListenerConnection {
  readonly #host: ListenerHost;
  readonly #channels = new Map<string, Set<ChannelSubscriber>>();
  #status: Status = 'idle';
  #client: pg.Client | undefined;
  /** A client being opened (closed with the listener if it is closed meanwhile). */
  #opening: pg.Client | undefined;
  /** Channels LISTENed on `#client`. */
  #listening = new Set<string>();
  /** Settles when the connection is (again) ready; replaced on every loss. */
  #ready: Deferred<pg.Client> = deferred();
  #pingTimer: ReturnType<typeof setInterval> | undefined;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #retryWake: (() => void) | undefined;
  #closing: Promise<void> | undefined;

  constructor(host: ListenerHost) {
    this.#host = host;
  }

  /**
   * Adds `subscriber` to `channel` and resolves once the channel is LISTENed (after a reconnect
   * under way, if need be).
   *
   * @throws InterfaceError when the engine is closed; OperationalError when the first
   *   connection cannot be opened or reconnection is given up.
   */
  async subscribe(channel: string, subscriber: ChannelSubscriber): Promise<void> {
    if (this.#status === 'closed') throw new InterfaceError('cannot listen: the engine is closed');
    let subscribers = this.#channels.get(channel);
    if (subscribers === undefined) {
      subscribers = new Set();
      this.#channels.set(channel, subscribers);
    }
    subscribers.add(subscriber);
    try {
      await this.#listen(channel);
    } catch (error) {
      this.#remove(channel, subscriber);
      throw error;
    }
  }

  /** Removes `subscriber`; the channel's last one leaving sends UNLISTEN. Harmless when repeated. */
  async unsubscribe(channel: string, subscriber: ChannelSubscriber): Promise<void> {
    const client = this.#client;
    if (!this.#remove(channel, subscriber) || !this.#listening.delete(channel)) return;
    if (client === undefined || this.#status !== 'ready') return;
    // A lost connection has nothing left to unlisten; the reconnect skips the channel.
    await client.query(unlistenSql(channel)).catch(() => {});
  }

  /** Ends every subscription and closes the connection. Harmless when repeated. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#status = 'closed';
    this.#stopPing();
    clearTimeout(this.#retryTimer);
    this.#retryWake?.();
    this.#ready.reject(new InterfaceError('cannot listen: the engine is closed'));
    const subscribers = [...this.#channels.values()].flatMap((set) => [...set]);
    this.#channels.clear();
    for (const subscriber of subscribers) subscriber.end(undefined);
    const clients = [this.#client, this.#opening].filter((c): c is pg.Client => c !== undefined);
    this.#client = undefined;
    this.#opening = undefined;
    await Promise.all(clients.map(endClient));
  }

  /** True when `subscriber` was there; deletes an emptied channel. */
  #remove(channel: string, subscriber: ChannelSubscriber): boolean {
    const subscribers = this.#channels.get(channel);
    if (subscribers === undefined || !subscribers.delete(subscriber)) return false;
    if (subscribers.size > 0) return false;
    this.#channels.delete(channel);
    return true;
  }

  async #listen(channel: string): Promise<void> {
    for (;;) {
      const client = await this.#connected();
      if (!this.#channels.has(channel) || this.#listening.has(channel)) return;
      try {
        await client.query(listenSql(channel));
        if (client !== this.#client) return; // the reconnect LISTENs it
        if (this.#channels.has(channel)) this.#listening.add(channel);
        // Its last subscriber left during the round trip: nobody would read it.
        else await client.query(unlistenSql(channel)).catch(() => {});
        return;
      } catch (error) {
        // Lost under the LISTEN: the reconnect LISTENs every channel; wait for it.
        if (client === this.#client && this.#status === 'ready') {
          throw translateError(error, this.#host.secret) as Error;
        }
      }
    }
  }

  /** The ready client: opens the first connection, or waits for the reconnect under way. */
  #connected(): Promise<pg.Client> {
    if (this.#status === 'ready' && this.#client !== undefined) return Promise.resolve(this.#client);
    if (this.#status === 'closed') {
      return Promise.reject(new InterfaceError('cannot listen: the engine is closed'));
    }
    if (this.#status === 'idle') {
      this.#status = 'connecting';
      this.#ready = deferred();
      const ready = this.#ready;
      this.#open().then(
        () => undefined,
        (error: unknown) => {
          if (this.#status !== 'connecting') return;
          this.#status = 'idle';
          ready.reject(this.#connectError(error));
        },
      );
    }
    return this.#ready.promise;
  }

  /** Opens a client, LISTENs every channel on it in one round trip, and makes it current. */
  async #open(): Promise<pg.Client> {
    const client = this.#host.createClient();
    let alive = true;
    const lost = (error: Error): void => {
      if (!alive) return;
      alive = false;
      this.#lost(client, error);
    };
    client.on('error', (error) => lost(error));
    client.on('end', () => lost(new OperationalError('the listener connection was closed')));
    client.on('notification', (message) => {
      if (alive) this.#dispatch(message);
    });
    this.#opening = client;
    let channels: string[] = [];
    try {
      await client.connect();
      channels = [...this.#channels.keys()];
      if (channels.length > 0) await client.query(channels.map(listenSql).join('; '));
      if (this.#status === 'closed') throw new InterfaceError('cannot listen: the engine is closed');
    } catch (error) {
      alive = false;
      if (this.#opening === client) this.#opening = undefined;
      void endClient(client);
      throw error;
    }
    this.#opening = undefined;
    this.#client = client;
    // Subscriptions made or left during the round trip: the former wait in #listen and LISTEN
    // then; the latter are unlistened.
    this.#listening = new Set(channels.filter((channel) => this.#channels.has(channel)));
    const left = channels.filter((channel) => !this.#channels.has(channel));
    if (left.length > 0) client.query(left.map(unlistenSql).join('; ')).catch(() => {});
    this.#status = 'ready';
    this.#startPing(client);
    this.#ready.resolve(client);
    return client;
  }

  #dispatch(message: pg.Notification): void {
    const subscribers = this.#channels.get(message.channel);
    if (subscribers === undefined) return;
    const notification: Notification = Object.freeze({
      channel: message.channel,
      payload: message.payload ?? '',
      processId: message.processId,
    });
    for (const subscriber of subscribers) subscriber.deliver(notification);
  }

  /** The current client was lost: drop it and reconnect (subscribers waiting meanwhile). */
  #lost(client: pg.Client, cause: Error): void {
    if (client !== this.#client || this.#status !== 'ready') return;
    this.#client = undefined;
    this.#listening.clear();
    this.#stopPing();
    client.removeAllListeners('notification');
    void endClient(client);
    const error = translateError(cause, this.#host.secret) as Error;
    this.#host.warn(`listener connection lost (${mask(error.message, this.#host.secret)}); reconnecting`);
    this.#status = 'reconnecting';
    this.#ready = deferred();
    void this.#reconnect(error, performance.now());
  }

  async #reconnect(cause: Error, since: number): Promise<void> {
    const { maxReconnectAttempts, reconnectBackoff } = this.#host.settings;
    let lastError: unknown = cause;
    for (let attempt = 1; this.#status === 'reconnecting'; attempt++) {
      try {
        await this.#open();
      } catch (error) {
        if (this.#status !== 'reconnecting') return;
        lastError = error;
        if (attempt >= maxReconnectAttempts) {
          this.#giveUp(attempt, lastError);
          return;
        }
        const delayMs = Math.round(backoffDelay(attempt, reconnectBackoff));
        this.#host.warn(
          `listener reconnection attempt ${attempt} failed (retrying in ${delayMs} ms): ` +
            mask(messageOf(error), this.#host.secret),
        );
        await this.#sleep(delayMs);
        continue;
      }
      this.#reconnected({
        attempts: attempt,
        downtimeMs: Math.round(performance.now() - since),
        channels: [...this.#listening],
        error: cause,
      });
      return;
    }
  }

  #reconnected(info: ListenerReconnect): void {
    this.#host.warn(
      `listener connection re-established after ${info.attempts} attempt(s) and ` +
        `${info.downtimeMs} ms; notifications sent meanwhile are lost`,
    );
    call(this.#host, 'onReconnect', () => this.#host.settings.onReconnect?.(Object.freeze(info)));
    for (const [channel, subscribers] of this.#channels) {
      const gap: NotificationGap = Object.freeze({ channel, reason: 'reconnect', dropped: undefined });
      call(this.#host, 'onGap', () => this.#host.settings.onGap?.(gap));
      for (const subscriber of subscribers) subscriber.gap(gap);
    }
  }

  #giveUp(attempts: number, lastError: unknown): void {
    const error = new OperationalError(
      `the listener connection was lost and could not be re-established after ${attempts} ` +
        `attempt(s) (maxReconnectAttempts): ${mask(messageOf(lastError), this.#host.secret)}`,
      {},
      { cause: lastError },
    );
    this.#host.warn(error.message);
    this.#status = 'idle';
    this.#ready.reject(error);
    const subscribers = [...this.#channels.values()].flatMap((set) => [...set]);
    this.#channels.clear();
    for (const subscriber of subscribers) subscriber.end(error);
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.#retryWake = resolve;
      this.#retryTimer = setTimeout(resolve, ms);
    });
  }

  /**
   * Pings the connection every `pingIntervalMs`: an answer that does not come within
   * `pingTimeoutMs` means the network is gone even though no socket error says so (a
   * black-holed route only fails after TCP's retransmission timeout, many minutes later).
   */
  #startPing(client: pg.Client): void {
    const { pingIntervalMs, pingTimeoutMs } = this.#host.settings;
    if (pingIntervalMs === 0) return;
    let inFlight = false;
    this.#pingTimer = setInterval(() => {
      if (inFlight || client !== this.#client) return;
      inFlight = true;
      const timer = setTimeout(() => {
        // Destroying the socket makes pg emit 'error' / 'end', hence the reconnect.
        this.#lost(
          client,
          new OperationalError(`the listener connection did not answer a ping within ${pingTimeoutMs} ms`),
        );
      }, pingTimeoutMs);
      const settle = (): void => {
        clearTimeout(timer);
        inFlight = false;
      };
      client.query('select 1').then(settle, settle);
    }, pingIntervalMs);
    // The ping alone does not keep the process alive.
    this.#pingTimer.unref();
  }

  #stopPing(): void {
    clearInterval(this.#pingTimer);
    this.#pingTimer = undefined;
  }

  #connectError(error: unknown): Error {
    if (error instanceof InterfaceError) return error;
    const translated = translateError(error, this.#host.secret);
    return new OperationalError(
      `could not open the listener connection: ${mask(messageOf(error), this.#host.secret)}`,
      translated instanceof OperationalError ? translated : {},
      { cause: translated },
    );
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Runs an application hook; one that throws is reported, never propagated into the listener. */
function call(host: ListenerHost, name: string, hook: () => void): void {
  try {
    hook();
  } catch (error) {
    host.warn(`listener ${name} hook threw: ${mask(messageOf(error), host.secret)}`);
  }
}

/** Ends a client, destroying its socket when the server does not acknowledge in time. */
async function endClient(client: pg.Client): Promise<void> {
  const timer = setTimeout(() => socketOf(client).destroy(), END_GRACE_MS);
  try {
    await client.end();
  } catch {
    // Already ended or never connected.
  } finally {
    clearTimeout(timer);
  }
}
