const ignore = (): void => {};
const RESOLVED: Promise<unknown> = Promise.resolve();

/** `step()` started now, a synchronous throw as its rejection. */
function started<T>(step: () => Promise<T>): Promise<T> {
  try {
    return step();
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * Keeps a session's calls in call order around its lazy steps (taking a connection, `BEGIN`,
 * `COMMIT`). It is not a statement queue: the connection already sends statements in the order
 * they reach it, and a call reaches it synchronously when nothing is pending here. Only while a
 * step is pending do later calls wait, each as a step of its own, so none overtakes an earlier
 * one; a statement's step ends as soon as the statement is handed to the connection, so waiting
 * statements still go out back to back.
 *
 * A step that fails (e.g. the pool timed out) fails only its own call: the next step runs.
 *
 * @internal
 */
export class SessionGate {
  #tail: Promise<unknown> = RESOLVED;
  #pending = 0;
  /** Settles (never rejects) when the statement handed to the connection last has settled. */
  #lastStatement: Promise<unknown> = RESOLVED;
  readonly #stepDone = (): void => {
    this.#pending -= 1;
  };
  /** Statements handed to the connection that have not settled yet. */
  #inFlight = 0;
  readonly #statementDone = (): void => {
    this.#inFlight -= 1;
  };

  /** Settles (never rejects, with `undefined`) once the step called last has settled. */
  get tail(): Promise<void> {
    return this.#tail as Promise<void>;
  }

  /** True when no step is pending: a call may go straight to the connection. */
  get open(): boolean {
    return this.#pending === 0;
  }

  /**
   * Runs `step` once every step before it has settled (either way): at once (synchronously)
   * when none is pending, which spares a reaction per step.
   */
  step<T>(step: () => Promise<T>): Promise<T> {
    const result = this.#pending++ === 0 ? started(step) : this.#tail.then(step);
    // Registered before the caller's own reaction: the count drops before the caller resumes.
    this.#tail = result.then(this.#stepDone, this.#stepDone);
    return result;
  }

  /**
   * Remembers `statement` as the last one handed to the connection. The connection completes
   * statements in order, so when it settles every earlier one has too.
   */
  track(statement: Promise<unknown>): void {
    this.#inFlight += 1;
    this.#lastStatement = statement.then(this.#statementDone, this.#statementDone);
  }

  /**
   * The items of an iterator made by `start`, run as a step: the iterator is asked for its
   * first item inside the step, so it takes the connection before any call after it; the rest
   * is read outside the gate. Leaving the loop early closes the iterator.
   */
  async *iterate<T>(
    start: () => Promise<AsyncGenerator<T, void, undefined>>,
  ): AsyncGenerator<T, void, undefined> {
    const { items, first } = await this.step(async () => {
      const items = await start();
      const first = items.next();
      first.catch(ignore); // read right after the step; never an unhandled rejection
      return { items, first };
    });
    try {
      const head = await first;
      if (head.done) return;
      yield head.value;
      yield* items;
    } finally {
      await items.return(undefined);
    }
  }

  /** True when every statement handed to the connection so far has settled. */
  get idle(): boolean {
    return this.#inFlight === 0;
  }

  /** Resolves once every statement handed to the connection so far has settled. */
  settled(): Promise<unknown> {
    return this.#lastStatement;
  }
}
