import { InterfaceError } from '../errors/pgsa-error.js';

/** Called once a deferred BEGIN was answered: `undefined` when it succeeded, else its error. */
export type BeginAnswered = (error: Error | undefined) => void;

/** A deferred control statement taken by the statement that sends it. @internal */
export interface TakenStatement {
  readonly sql: string;
  /** Called once with the server's answer: `undefined` when it succeeded, else its error. */
  settle(error: Error | undefined): void;
}

/**
 * A connection's deferred `BEGIN …` (issue 18): `conn.begin()` (and `transaction(fn)`,
 * `engine.transaction`, sessions) records it here instead of sending it; the next statement on
 * the connection takes it and sends it first — in the same write when it can (see
 * `runStatement`). A transaction ended before any statement ran never reached the server: its
 * COMMIT or ROLLBACK is not sent either ({@link drop}).
 *
 * When the BEGIN fails, the failure is kept until the transaction is ended: statements queued
 * behind it are refused (they would otherwise run outside the transaction, in autocommit), the
 * first with BEGIN's own error, the later ones with an `InterfaceError` naming it.
 *
 * @internal
 */
export class DeferredBegin {
  #sql: string | undefined;
  #answered: BeginAnswered | undefined;
  #failure: Error | undefined;
  #reported = false;
  /** True from the moment a statement took the BEGIN until the server answered it. */
  #inFlight = false;

  /**
   * True while this BEGIN makes the connection's transaction open although the server does not
   * report one (yet): waiting, on its way, or failed and not yet ended.
   */
  get open(): boolean {
    return this.#sql !== undefined || this.#inFlight || this.#failure !== undefined;
  }

  /** True while a BEGIN waits for the next statement. */
  get pending(): boolean {
    return this.#sql !== undefined;
  }

  /** The pending BEGIN's SQL. */
  get sql(): string | undefined {
    return this.#sql;
  }

  /** The error of the BEGIN that failed, until its transaction is ended. */
  get failure(): Error | undefined {
    return this.#failure;
  }

  /** Records `sql` to be sent ahead of the next statement. */
  defer(sql: string, answered: BeginAnswered): void {
    this.#sql = sql;
    this.#answered = answered;
    this.#failure = undefined;
    this.#reported = false;
  }

  /**
   * Forgets the transaction's BEGIN when it never reached the server (still pending) or
   * failed: true then, and the caller sends no COMMIT / ROLLBACK.
   */
  drop(): boolean {
    const unsent = this.#sql !== undefined || this.#failure !== undefined;
    this.#sql = undefined;
    this.#answered = undefined;
    this.#failure = undefined;
    return unsent;
  }

  /**
   * Takes the pending BEGIN for the statement about to be queued. `translate` turns BEGIN's
   * error into the one reported; `echo` logs BEGIN's answer (`undefined`: BEGIN goes out as an
   * exchange of its own, which logs itself, and its failure is reported by the next one).
   */
  take(
    translate: (error: Error) => Error,
    echo: ((error: Error | undefined) => void) | undefined,
  ): TakenStatement | undefined {
    const sql = this.#sql;
    if (sql === undefined) return undefined;
    const answered = this.#answered as BeginAnswered;
    this.#sql = undefined;
    this.#answered = undefined;
    this.#inFlight = true;
    return {
      sql,
      settle: (error) => {
        this.#inFlight = false;
        const translated = error === undefined ? undefined : translate(error);
        if (translated !== undefined) {
          this.#failure = translated;
          // The statement that carried BEGIN rejects with this very error.
          this.#reported = echo !== undefined;
        }
        echo?.(translated);
        answered(translated);
      },
    };
  }

  /**
   * What a statement queued behind a failed BEGIN is refused with: BEGIN's own error when no
   * statement reported it yet, else an `InterfaceError` naming it.
   */
  refusal(operation: string): Error {
    const failure = this.#failure as Error;
    if (!this.#reported) {
      this.#reported = true;
      return failure;
    }
    return new InterfaceError(
      `cannot ${operation}: the transaction's BEGIN failed (${failure.message}); roll the ` +
        'transaction back first',
      { cause: failure },
    );
  }
}
