import type { Engine } from '../engine/engine.js';
import { InterfaceError } from '../errors/pgsa-error.js';
import { dbSession } from './db-session.js';
import type { Session } from './session.js';

/**
 * What `atomic()` does when the context's session already has an open transaction:
 * `'commit'` it first (the default), `'rollback'` it first, `'append'` (join it: `fn`'s work
 * becomes part of it, and the block commits the whole transaction when `fn` succeeds; an error
 * in `fn` rolls back the earlier work too), or `'raise'` an `InterfaceError`. These are
 * context-async-sqlalchemy's `atomic_db_session(current_transaction=…)` choices.
 */
export type OnOpenTransaction = 'commit' | 'rollback' | 'append' | 'raise';

/** Options of {@link atomic}. */
export interface AtomicOptions {
  /** See {@link OnOpenTransaction}; default `'commit'`. */
  readonly onOpenTransaction?: OnOpenTransaction | undefined;
}

const MODES: ReadonlySet<string> = new Set(['commit', 'rollback', 'append', 'raise']);

/**
 * Runs `fn(session)` in a transaction of its own on the context's session for `engine`: it
 * commits when `fn` succeeds, rolls back and rethrows when `fn` throws (a failing rollback is
 * logged, never thrown instead). With `onOpenTransaction: 'append'` an open transaction is
 * joined and committed (or rolled back) with the block's work. The session stays usable
 * afterwards (the next query begins a new transaction).
 *
 * @returns what `fn` returns.
 * @throws InterfaceError outside a context, with `onOpenTransaction: 'raise'` when a
 *   transaction is open, or for an unknown mode; otherwise what `fn` or the commit throws.
 * @example
 * ```ts
 * await atomic(engine, async (session) => {
 *   await session.db.updateTable('users').set({ name: 'bo' }).where('id', '=', 1).execute();
 * }); // committed here, not at the end of the request
 *
 * await session.execute("insert into users (name) values ('ann')"); // open work …
 * await atomic(engine, (s) => s.execute("insert into users (name) values ('bob')"), {
 *   onOpenTransaction: 'append',
 * }); // … ann and bob committed together here
 * ```
 */
export async function atomic<DB, R>(
  engine: Engine<DB>,
  fn: (session: Session<DB>) => R | PromiseLike<R>,
  options: AtomicOptions = {},
): Promise<R> {
  const mode = options.onOpenTransaction ?? 'commit';
  if (!MODES.has(mode)) {
    throw new InterfaceError(
      `unknown onOpenTransaction ${JSON.stringify(mode)}: use 'commit', 'rollback', 'append' or 'raise'`,
    );
  }
  const session = await dbSession(engine);
  if (session.inTransaction) {
    if (mode === 'raise') {
      throw new InterfaceError(
        "cannot start an atomic block: the session already has an open transaction (onOpenTransaction: 'raise')",
      );
    }
    if (mode === 'commit') await session.commit();
    else if (mode === 'rollback') await session.rollback();
    // 'append': the block's work joins the open transaction, which the block then ends.
  }
  return runAtomically(session, fn);
}

/**
 * `fn(session)`, then commit the session's transaction; on error (also the commit's) roll back
 * and rethrow. @internal
 */
export async function runAtomically<DB, R>(
  session: Session<DB>,
  fn: (session: Session<DB>) => R | PromiseLike<R>,
): Promise<R> {
  try {
    const result = await fn(session);
    await session.commit();
    return result;
  } catch (error) {
    if (!session.closed) await session.rollBackAfter(error);
    throw error;
  }
}
