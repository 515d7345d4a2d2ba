import type { Engine } from '../engine/engine.js';
import { runAtomically } from './atomic.js';
import { Session } from './session.js';
import type { DbSessionOptions } from './db-session.js';

/**
 * A session outside the async context, for explicit (e.g. parallel) work: nobody commits it
 * for you. It takes no connection until its first query; disposing of it rolls back what is
 * uncommitted and releases the connection. `{ readOnly: true }` makes it read-only, as
 * `dbSession`'s option: on `engine.readonly`, its transactions `READ ONLY`.
 *
 * @example
 * ```ts
 * await using session = await newSession(engine);
 * await session.execute("insert into users (name) values ('ann')");
 * await session.commit();
 * ```
 */
export async function newSession<DB>(engine: Engine<DB>, options?: DbSessionOptions): Promise<Session<DB>> {
  return new Session<DB>(engine, options?.readOnly === true);
}

/**
 * Runs `fn(session)` on a new session outside the context: commits when `fn` succeeds, rolls
 * back and rethrows when it throws, and always releases the connection.
 *
 * @returns what `fn` returns.
 * @throws what `fn` or the commit throws.
 * @example
 * ```ts
 * const id = await newAtomicSession(engine, async (session) =>
 *   session.scalar("insert into users (name) values ('ann') returning id"),
 * );
 * ```
 */
export async function newAtomicSession<DB, R>(
  engine: Engine<DB>,
  fn: (session: Session<DB>) => R | PromiseLike<R>,
): Promise<R> {
  const session = new Session<DB>(engine);
  try {
    return await runAtomically(session, fn);
  } finally {
    await session.close();
  }
}
