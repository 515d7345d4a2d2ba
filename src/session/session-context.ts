import { AsyncLocalStorage } from 'node:async_hooks';
import type { Engine } from '../engine/engine.js';
import { Session } from './session.js';

/** Runs before each session with an open transaction is committed at the end of a context. */
export type BeforeCommitHook = (session: Session<unknown>) => void | Promise<void>;

const ENDED = 'the session is closed: its context has ended';
const ignore = (): void => {};

/**
 * One async context's sessions (one per engine), created lazily and ended together by
 * `runInNewContext` or the request middleware.
 *
 * @internal
 */
export class SessionContext {
  // Made synchronously on first use, so concurrent first calls share one session.
  readonly #sessions = new Map<object, Session<unknown>>();
  #ended = false;
  #finishing: Promise<void> | undefined;
  #readOnly = false;

  /**
   * True when `dbSession(engine)` without a `readOnly` option gives the read-only session (a
   * read-only route of the middleware).
   */
  get readOnly(): boolean {
    return this.#readOnly;
  }

  /** Makes the context's default session read-only (see `readOnly`). */
  preferReadOnly(): void {
    this.#readOnly = true;
  }

  /** True once the context committed or rolled back its sessions and closed them. */
  get ended(): boolean {
    return this.#ended;
  }

  /**
   * This context's session for `engine`, created (without a connection) on first use: the
   * read-only one (keyed by `engine.readonly`) or the read-write one.
   */
  sessionFor<DB>(engine: Engine<DB>, readOnly = false): Session<DB> {
    const key = sessionKey(engine, readOnly);
    let session = this.#sessions.get(key);
    if (session === undefined) {
      session = new Session<DB>(engine, readOnly) as unknown as Session<unknown>;
      this.#sessions.set(key, session);
    }
    return session as unknown as Session<DB>;
  }

  /** The session for `engine` if one was created. */
  existing<DB>(engine: Engine<DB>, readOnly = false): Session<DB> | undefined {
    return this.#sessions.get(sessionKey(engine, readOnly)) as unknown as Session<DB> | undefined;
  }

  /** Forgets the session for `engine` (the caller closes it): the next use creates a new one. */
  detach<DB>(engine: Engine<DB>, readOnly = false): Session<DB> | undefined {
    const session = this.existing(engine, readOnly);
    this.#sessions.delete(sessionKey(engine, readOnly));
    return session;
  }

  /**
   * Commits (after `beforeCommit`) or rolls back every session, then closes them all, once.
   * When a commit fails, the sessions not yet committed are rolled back and the error is
   * thrown. Commits of several engines' sessions are not atomic together.
   */
  finish(outcome: 'commit' | 'rollback', beforeCommit?: BeforeCommitHook): Promise<void> {
    if (this.#finishing === undefined) {
      const only = this.#sessions.size === 1 ? this.#sessions.values().next().value : undefined;
      if (only !== undefined && outcome === 'commit' && beforeCommit === undefined) {
        // The common case (one engine, no hook), without #finish's frame.
        this.#finishing = this.#commitOnly(only);
      } else {
        this.#finishing = this.#finish(outcome, beforeCommit);
      }
    }
    return this.#finishing;
  }

  async #finish(outcome: 'commit' | 'rollback', beforeCommit?: BeforeCommitHook): Promise<void> {
    let failure: { error: unknown } | undefined;
    if (outcome === 'commit') {
      try {
        if (beforeCommit) {
          for (const session of this.#all()) {
            if (session.inTransaction) await beforeCommit(session);
          }
        }
        const all = this.#all();
        if (all.length === 1) {
          await this.#commitOnly(all[0] as Session<unknown>);
          return;
        }
        for (const session of all) await session.commit();
      } catch (error) {
        failure = { error };
      }
    }
    this.#ended = true;
    const sessions = this.#all();
    this.#sessions.clear();
    // Closing rolls back whatever is still open: everything on rollback or after a failure.
    if (sessions.length === 1) await (sessions[0] as Session<unknown>).endContext(ENDED).catch(ignore);
    else await Promise.all(sessions.map((session) => session.endContext(ENDED).catch(ignore)));
    if (failure) throw failure.error;
  }

  /** The context's only session: committed and closed in one step (the common case). */
  #commitOnly(session: Session<unknown>): Promise<void> {
    this.#ended = true;
    this.#sessions.clear();
    return session.commitAndEndContext(ENDED);
  }

  #all(): Session<unknown>[] {
    return [...this.#sessions.values()];
  }
}

/** A context keeps one read-write and one read-only session per engine. */
function sessionKey<DB>(engine: Engine<DB>, readOnly: boolean): object {
  return readOnly ? engine.readonly : engine;
}

const storage = new AsyncLocalStorage<SessionContext>();

/** The context the caller runs in, ended or not. @internal */
export function currentContext(): SessionContext | undefined {
  return storage.getStore();
}

/** True when the caller runs in a context that has not ended. @internal */
export function hasActiveContext(): boolean {
  const context = storage.getStore();
  return context !== undefined && !context.ended;
}

/** Runs `fn` with `context` as the current context (and so do its child tasks). @internal */
export function runInContext<T>(context: SessionContext, fn: () => T): T {
  return storage.run(context, fn);
}
