/** One `acquire()` waiting for a client: timed out by {@link AcquireDeadlines} unless settled. */
export interface AcquireWait {
  /** When it times out, in `performance.now()` milliseconds. */
  readonly deadline: number;
  /** Called once, when the deadline passes before the wait was settled. */
  readonly expire: () => void;
  /** Set by `settle()` (served or failed) or on expiry: the timer skips it. */
  settled: boolean;
}

/**
 * The `acquireTimeoutMs` of an engine's waiting `acquire()` calls, with one timer for all of
 * them instead of a `setTimeout` + `clearTimeout` per checkout (a timer object, a timer-list
 * insert and removal, and an async-resource hook under the request middleware, on every
 * request). Every wait of an engine has the same timeout, so deadlines come in the order the
 * waits start: the timer is armed for the oldest unsettled one, and when it fires it expires
 * those whose deadline passed and re-arms for the next. A wait served early costs a flag.
 *
 * The timer never keeps the process alive by itself (as pg-pool's own).
 *
 * @internal
 */
export class AcquireDeadlines {
  readonly #timeoutMs: number;
  /** Waits in start order; `#head` is the first that may be unsettled. */
  #waits: AcquireWait[] = [];
  #head = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
  }

  /** Starts timing a wait: `expire()` is called after the engine's timeout unless settled first. */
  start(expire: () => void): AcquireWait {
    const wait: AcquireWait = { deadline: performance.now() + this.#timeoutMs, expire, settled: false };
    this.#waits.push(wait);
    if (this.#timer === undefined) this.#arm(this.#timeoutMs);
    return wait;
  }

  /** Ends a wait without expiry (its client arrived, or its attempt failed). */
  settle(wait: AcquireWait): void {
    wait.settled = true;
    this.#dropSettled();
  }

  #arm(delayMs: number): void {
    // At least 1 ms: setTimeout rounds down, and a deadline must not fire before it passed.
    this.#timer = setTimeout(() => this.#fire(), Math.max(1, Math.ceil(delayMs)));
    this.#timer.unref();
  }

  #fire(): void {
    this.#timer = undefined;
    const now = performance.now();
    const waits = this.#waits;
    while (this.#head < waits.length) {
      const wait = waits[this.#head] as AcquireWait;
      if (!wait.settled) {
        if (wait.deadline > now) break;
        wait.settled = true;
        wait.expire();
      }
      this.#head += 1;
    }
    this.#compact();
    const next = this.#waits[this.#head];
    if (next !== undefined) this.#arm(next.deadline - now);
  }

  #dropSettled(): void {
    const waits = this.#waits;
    while (this.#head < waits.length && (waits[this.#head] as AcquireWait).settled) this.#head += 1;
    this.#compact();
  }

  /** Releases the dropped prefix once it is most of the array. */
  #compact(): void {
    if (this.#head === this.#waits.length) {
      this.#waits = [];
      this.#head = 0;
    } else if (this.#head > 64 && this.#head * 2 > this.#waits.length) {
      this.#waits = this.#waits.slice(this.#head);
      this.#head = 0;
    }
  }
}
