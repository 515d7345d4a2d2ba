import type { Engine } from '../engine/engine.js';
import { InterfaceError } from '../errors/pgsa-error.js';
import type { Session } from './session.js';
import { currentContext, type SessionContext } from './session-context.js';

/** Which of the context's sessions for an engine `dbSession` and its companions mean. */
export interface DbSessionOptions {
  /**
   * `true`: the read-only session, on `engine.readonly` (a replica when one is usable), its
   * transactions `READ ONLY`; `false`: the read-write session, on the primary. Default: the
   * read-only one on a route the middleware marks read-only, else the read-write one.
   */
  readonly readOnly?: boolean | undefined;
}

function readOnlyOf(context: SessionContext | undefined, options: DbSessionOptions | undefined): boolean {
  const readOnly = options?.readOnly;
  if (readOnly !== undefined && typeof readOnly !== 'boolean') {
    throw new TypeError(`readOnly must be a boolean, got ${JSON.stringify(readOnly)}`);
  }
  return readOnly ?? context?.readOnly ?? false;
}

/**
 * The session of the current async context for `engine`: the same object for every call in
 * the context and in its child tasks (`Promise.all`, timers started in it), so functions deep
 * in a request share one transaction without passing it around. It takes no connection until
 * its first query. A context holds one read-write and one read-only session per engine:
 * `{ readOnly: true }` (or a read-only route of the middleware) gives the read-only one, whose
 * connection comes from `engine.readonly` and whose transactions are `READ ONLY`.
 *
 * @throws TypeError for a `readOnly` that is not a boolean; InterfaceError outside a context ("no session context: …") and in a context that
 *   has already ended.
 * @example
 * ```ts
 * app.post('/users', async (request) => {
 *   const session = await dbSession(engine);
 *   await session.db.insertInto('users').values({ name: 'ann' }).execute();
 * }); // the middleware commits when the handler succeeds
 * app.get('/users', async () => {
 *   const reader = await dbSession(engine, { readOnly: true }); // a replica, BEGIN READ ONLY
 *   return reader.db.selectFrom('users').selectAll().execute();
 * });
 * ```
 */
export async function dbSession<DB>(engine: Engine<DB>, options?: DbSessionOptions): Promise<Session<DB>> {
  const context = currentContext();
  const readOnly = readOnlyOf(context, options);
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
  return context.sessionFor(engine, readOnly);
}

/**
 * Commits the transaction of the context's session for `engine` (the one `options` picks, as `dbSession`); does nothing outside a
 * context, when the context has no session for it, or when no transaction is open.
 *
 * @throws what `Session.commit()` throws (e.g. `IntegrityError` for a deferred constraint).
 * @example
 * ```ts
 * await commitDbSession(engine); // make the work so far durable before calling a slow API
 * ```
 */
export async function commitDbSession<DB>(engine: Engine<DB>, options?: DbSessionOptions): Promise<void> {
  const context = currentContext();
  const session = context?.existing(engine, readOnlyOf(context, options));
  if (session) await session.commit();
}

/**
 * Rolls back the transaction of the context's session for `engine` (picked as `dbSession` does); does nothing outside a
 * context, when there is no session or no open transaction.
 *
 * @example
 * ```ts
 * await rollbackDbSession(engine);
 * ```
 */
export async function rollbackDbSession<DB>(engine: Engine<DB>, options?: DbSessionOptions): Promise<void> {
  const context = currentContext();
  const session = context?.existing(engine, readOnlyOf(context, options));
  if (session) await session.rollback();
}

/**
 * Closes the context's session for `engine` (picked as `dbSession` does) early: rolls back what is uncommitted and returns
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
export async function closeDbSession<DB>(engine: Engine<DB>, options?: DbSessionOptions): Promise<void> {
  const context = currentContext();
  const session = context?.detach(engine, readOnlyOf(context, options));
  if (session) await session.close();
}
