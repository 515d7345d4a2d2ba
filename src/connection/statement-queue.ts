import { InterfaceError, ResourceClosedError } from '../errors/pgsa-error.js';
import { withStatementTimeout } from './statement-timeout.js';

/**
 * Where a connection's queue stands: `'open'` takes statements; `'holding'` while a stream or
 * `COPY … TO STDOUT` holds the connection (other statements are refused: they could only run
 * after it ends, so awaiting one inside the loop would wait forever); `'closed'` after the
 * connection was closed or released.
 */
export type QueueStatus = 'open' | 'holding' | 'closed';

/** What a stream gets from {@link StatementQueue.hold}. Not part of the public API: kept in the declarations because public ones refer to it. */
export interface Hold {
  /** Settles when every statement queued before the hold is done (never rejects). */
  readonly ready: Promise<void>;
  /** Ends the hold: the queue takes statements again. Harmless when repeated. */
  release(): void;
}

const RESOLVED: Promise<unknown> = Promise.resolve();
const ignore = (): void => {};

/**
 * The one owner of a connection's statement order: every exchange pgsa sends on a connection
 * (statements, transaction control, executeMany, COPY, streams) goes through here, runs after
 * the ones called before it — in call order, whatever options each call has — and never
 * overlaps another on the wire. pgsa keeps its own queue because node-postgres' (calling
 * `client.query()` while busy) is deprecated for pg 9.
 *
 * A call is registered synchronously, before `run()` returns, so callers that must keep an
 * order relative to other calls (sessions) only need to call in that order.
 *
 * @internal
 */
export class StatementQueue {
  #status: QueueStatus = 'open';
  /** Exchanges queued or running, a hold included. */
  #pending = 0;
  /** Settles when the last exchange handed to the queue is done. */
  #tail: Promise<unknown> = RESOLVED;

  /** The one status of the queue. */
  get status(): QueueStatus {
    return this.#status;
  }

  /** True while an exchange is queued, running, or a hold is open. */
  get busy(): boolean {
    return this.#pending > 0;
  }

  /**
   * Throws when the queue takes no statement: `ResourceClosedError` once closed,
   * `InterfaceError` while a stream holds the connection.
   */
  guard(operation: string): void {
    if (this.#status === 'open') return;
    if (this.#status === 'closed') {
      throw new ResourceClosedError(`cannot ${operation}: the connection is closed`);
    }
    throw new InterfaceError(
      `cannot ${operation}: another operation is in progress on this connection ` +
        '(a stream is open; finish or leave its loop first)',
    );
  }

  /**
   * Queues `send` to run once everything queued before it is done, and returns its outcome.
   * The common case, an idle connection, sends at once. The caller calls {@link done} once
   * that promise settled (in a `finally`): written this way, a statement costs the queue no
   * promise of its own.
   *
   * @throws as {@link guard}, before anything is queued.
   */
  run<T>(operation: string, send: () => Promise<T>): Promise<T> {
    this.guard(operation);
    let sent: Promise<T>;
    if (this.#pending++ === 0) {
      try {
        sent = send();
      } catch (error) {
        // As if queued: the caller's `done()` still balances the count.
        sent = Promise.reject(error);
      }
    } else {
      sent = this.#tail.then(send, send);
    }
    this.#tail = sent;
    return sent;
  }

  /**
   * {@link run} under a client-side timer that starts when `send` starts — after the exchanges
   * queued before it — so it measures this exchange alone; when it fires, `cancel` is called
   * (see `withStatementTimeout`). The exchange keeps its place in the call order.
   */
  runTimed<T>(
    operation: string,
    send: () => Promise<T>,
    timeoutMs: number,
    cancel: () => Promise<void>,
    abandon?: () => void,
  ): Promise<T> {
    return this.run(operation, () => withStatementTimeout(send, timeoutMs, cancel, abandon));
  }

  /** Marks the exchange of a {@link run} finished (it settled, either way). */
  done(): void {
    this.#pending--;
  }

  /**
   * Holds the connection for a result read in several round trips (a cursor, `COPY … TO
   * STDOUT`): it queues behind what was called before it, and until `release()` every other
   * call is refused (see {@link guard}).
   *
   * @throws as {@link guard}.
   */
  hold(operation: string): Hold {
    this.guard(operation);
    this.#transition('holding');
    this.#pending++;
    const ready = this.#tail.then(ignore, ignore);
    let released = false;
    let done = ignore;
    this.#tail = new Promise<void>((resolve) => (done = resolve));
    return {
      ready,
      release: () => {
        if (released) return;
        released = true;
        done();
        this.#pending--;
        this.#transition('open');
      },
    };
  }

  /** Refuses every later call; what is queued already still runs. Harmless when repeated. */
  close(): void {
    this.#transition('closed');
  }

  /** The one transition: a closed queue stays closed. */
  #transition(next: QueueStatus): void {
    if (this.#status !== 'closed') this.#status = next;
  }
}
