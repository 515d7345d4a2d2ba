import type { TakenStatement } from './deferred-begin.js';

/** Called once a deferred savepoint command was answered: `undefined` when it succeeded. */
export type SavepointAnswered = (error: Error | undefined) => void;

/** Where a deferred savepoint command is: waiting, on its way, answered, or refused. */
type CommandState = 'pending' | 'sent' | 'done' | 'failed';

/**
 * A savepoint command deferred on a connection; the savepoint object keeps it to end the
 * savepoint without a round trip while it is still pending (see `DeferredSavepoints.drop`).
 *
 * @internal
 */
export class DeferredCommand {
  readonly sql: string;
  #state: CommandState = 'pending';
  readonly #answered: SavepointAnswered;

  constructor(sql: string, answered: SavepointAnswered) {
    this.sql = sql;
    this.#answered = answered;
  }

  get state(): CommandState {
    return this.#state;
  }

  /** Marks it sent. */
  sent(): void {
    this.#state = 'sent';
  }

  /** Records the server's answer and reports it. */
  settle(error: Error | undefined): void {
    this.#state = error === undefined ? 'done' : 'failed';
    this.#answered(error);
  }

  /** Forgets it before it was sent (the connection was released). */
  discard(): void {
    this.#state = 'done';
  }
}

/**
 * A connection's deferred savepoint commands (issue 18): `SAVEPOINT` of `beginNested()` and
 * `RELEASE SAVEPOINT` of a savepoint's `commit()`, inside a transaction that has not failed,
 * are recorded here instead of sent; the next statement on the connection takes them and
 * sends them first, in the same write (after a deferred `BEGIN`, when there is one). A
 * savepoint ended before any statement ran never reached the server: neither its `SAVEPOINT`
 * nor its `RELEASE` / `ROLLBACK TO` is sent ({@link drop}).
 *
 * When one of them fails, the statement that carried them rejects with its error and did not
 * run; the server's transaction is then aborted, so whatever follows fails there (25P02) until
 * it is rolled back — nothing can run outside the transaction, unlike after a failed `BEGIN`.
 *
 * @internal
 */
export class DeferredSavepoints {
  #pending: DeferredCommand[] = [];

  /** True while a command waits for the next statement. */
  get pending(): boolean {
    return this.#pending.length > 0;
  }

  /** Records `sql` to be sent ahead of the next statement. */
  defer(sql: string, answered: SavepointAnswered): DeferredCommand {
    const command = new DeferredCommand(sql, answered);
    this.#pending.push(command);
    return command;
  }

  /**
   * Forgets `command` when it never reached the server (still pending) or failed: true then,
   * and the caller sends nothing to undo it.
   */
  drop(command: DeferredCommand): boolean {
    const at = this.#pending.indexOf(command);
    if (at >= 0) {
      this.#pending.splice(at, 1);
      command.discard();
      return true;
    }
    return command.state === 'failed';
  }

  /**
   * Takes every pending command for the statement about to be queued: `translate` turns a
   * command's error into the one reported, `echo` makes the callback that logs its answer.
   */
  take(
    translate: (error: Error) => Error,
    echo: (sql: string) => ((error: Error | undefined) => void) | undefined,
  ): TakenStatement[] {
    const taken = this.#pending;
    this.#pending = [];
    return taken.map((command) => {
      command.sent();
      const logged = echo(command.sql);
      return {
        sql: command.sql,
        settle: (error: Error | undefined) => {
          const translated = error === undefined ? undefined : translate(error);
          logged?.(translated);
          command.settle(translated);
        },
      };
    });
  }

  /** Forgets every pending command (the connection's transaction is being rolled back). */
  clear(): void {
    for (const command of this.#pending) command.discard();
    this.#pending = [];
  }
}
