import { savepointName } from '../sql/transaction-sql.js';

/**
 * The transactions a connection has open, outermost first: the transaction that sent `BEGIN`
 * (a `Transaction`, `NestedTransaction` or `TwoPhaseTransaction`) and then one
 * `NestedTransaction` per open savepoint. Inner `begin()` transactions own nothing on the
 * server and are not frames. Out-of-order commits are detected against this stack. Frames are
 * stored as plain objects so one stack serves transactions of any `DB` type. Each
 * connection owns one (`TransactionHost.frames`).
 *
 * Not part of the public API.
 */
export class TransactionFrames {
  readonly #frames: object[] = [];
  #savepoints = 0;

  /** Open frames (0 when pgsa has no transaction open on the connection). */
  get depth(): number {
    return this.#frames.length;
  }

  /** The innermost open frame. */
  /** The outermost transaction pgsa opened (what a cursor lives as long as), if any. */
  outermost(): object | undefined {
    return this.#frames[0];
  }

  top(): object | undefined {
    return this.#frames.at(-1);
  }

  has(tx: object): boolean {
    return this.#frames.includes(tx);
  }

  push(tx: object): void {
    this.#frames.push(tx);
  }

  /**
   * Removes `tx` and every frame opened after it (they ended with it: a ROLLBACK or ROLLBACK
   * TO discards inner savepoints). Returns the inner frames that were removed.
   */
  pop(tx: object): object[] {
    const index = this.#frames.indexOf(tx);
    if (index < 0) return [];
    return this.#frames.splice(index).slice(1);
  }

  /** A savepoint name unique on this connection. */
  nextSavepointName(): string {
    this.#savepoints += 1;
    return savepointName(this.#savepoints);
  }
}
