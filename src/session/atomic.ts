import type { Engine } from '../engine/engine.js';
import { InterfaceError } from '../errors/pgsa-error.js';
import { dbSession } from './db-session.js';
import type { Session } from './session.js';

/**
 * What `atomic()` does when the context's session already has an open transaction:
 * `'commit'` it first (the default), `'rollback'` it first, `'append'` (join it: `fn`'s work
 * becomes part of it and is committed with it; an error in `fn` rolls back the earlier work
 * too), or `'raise'` an `InterfaceError`.
 */
export type OnOpenTransaction = 'commit' | 'rollback' | 'append' | 'raise';

/** Options of {@link atomic}. */
export interface AtomicOptions {
  /** See {@link OnOpenTransaction}; default `'commit'`. */
  readonly onOpenTransaction?: OnOpenTransaction;
}

const MODES: ReadonlySet<string> = new Set(['commit', 'rollback', 'append', 'raise']);

/**
 * Runs `fn(session)` in a transaction of its own on the context's session for `engine`: it
 * commits when `fn` succeeds, rolls back and rethrows when `fn` throws. The session stays
 * usable afterwards (the next query begins a new transaction).
 *
 * @returns what `fn` returns.
 * @throws InterfaceError outside a context, with `onOpenTransaction: 'raise'` when a
 *   transaction is open, or for an unknown mode; otherwise what `fn` or the commit throws.
 * @example
 * ```ts
 * await atomic(engine, async (session) => {
 *   await session.db.updateTable('users').set({ name: 'bo' }).where('id', '=', 1).execute();
 * }); // committed here, not at the end of the request
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
    if (mode === 'append') return runOrRollback(session, fn);
    if (mode === 'commit') await session.commit();
    else await session.rollback();
  }
  return runAtomically(session, fn);
}

/** `fn(session)`, then commit; on error roll back and rethrow. @internal */
export async function runAtomically<DB, R>(
  session: Session<DB>,
  fn: (session: Session<DB>) => R | PromiseLike<R>,
): Promise<R> {
  const result = await runOrRollback(session, fn);
  await session.commit();
  return result;
}

async function runOrRollback<DB, R>(
  session: Session<DB>,
  fn: (session: Session<DB>) => R | PromiseLike<R>,
): Promise<R> {
  try {
    return await fn(session);
  } catch (error) {
    try {
      await session.rollback();
    } catch (rollbackError) {
      // Never hide the user's error behind the rollback's.
      session.engine.options.logger.warn?.(
        `rollback after a failed atomic block failed too: ${(rollbackError as Error).message}`,
      );
    }
    throw error;
  }
}
