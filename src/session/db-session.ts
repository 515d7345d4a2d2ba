import type { Engine } from '../engine/engine.js';
import { InterfaceError } from '../errors/pgsa-error.js';
import type { Session } from './session.js';
import { currentContext } from './session-context.js';

/**
 * The session of the current async context for `engine`: the same object for every call in
 * the context and in its child tasks (`Promise.all`, timers started in it), so functions deep
 * in a request share one transaction without passing it around. It takes no connection until
 * its first query.
 *
 * @throws InterfaceError outside a context ("no session context: …") and in a context that
 *   has already ended.
 * @example
 * ```ts
 * app.post('/users', async (request) => {
 *   const session = await dbSession(engine);
 *   await session.db.insertInto('users').values({ name: 'ann' }).execute();
 * }); // the middleware commits when the handler succeeds
 * ```
 */
export async function dbSession<DB>(engine: Engine<DB>): Promise<Session<DB>> {
  const context = currentContext();
  if (context === undefined) {
    throw new InterfaceError(
      'no session context: wrap the work in runInNewContext or use the middleware',
    );
  }
  if (context.ended) {
    throw new InterfaceError(
      'no session context: the context this code runs in has ended (its sessions were ' +
        'committed or rolled back and closed); start the work in runInNewContext',
    );
  }
  return context.sessionFor(engine);
}

/**
 * Commits the transaction of the context's session for `engine`; does nothing outside a
 * context, when the context has no session for it, or when no transaction is open.
 *
 * @throws what `Session.commit()` throws (e.g. `IntegrityError` for a deferred constraint).
 * @example
 * ```ts
 * await commitDbSession(engine); // make the work so far durable before calling a slow API
 * ```
 */
export async function commitDbSession<DB>(engine: Engine<DB>): Promise<void> {
  const session = currentContext()?.existing(engine);
  if (session) await session.commit();
}

/**
 * Rolls back the transaction of the context's session for `engine`; does nothing outside a
 * context, when there is no session or no open transaction.
 *
 * @example
 * ```ts
 * await rollbackDbSession(engine);
 * ```
 */
export async function rollbackDbSession<DB>(engine: Engine<DB>): Promise<void> {
  const session = currentContext()?.existing(engine);
  if (session) await session.rollback();
}

/**
 * Closes the context's session for `engine` early: rolls back what is uncommitted and returns
 * its connection to the pool (for long non-database work after the queries). A later
 * `dbSession(engine)` in the same context creates a new session with a fresh connection.
 * Never throws; does nothing without a context or session.
 *
 * @example
 * ```ts
 * await commitDbSession(engine);
 * await closeDbSession(engine); // the connection goes back to the pool
 * await renderLargeReport();
 * ```
 */
export async function closeDbSession<DB>(engine: Engine<DB>): Promise<void> {
  const session = currentContext()?.detach(engine);
  if (session) await session.close();
}
