import { SessionContext, runInContext } from './session-context.js';

/**
 * Runs `fn(...args)` in a fresh session context: `dbSession()` inside it returns new sessions;
 * when `fn` succeeds, all of them are committed, when it throws they are rolled back and the
 * error is rethrown; their connections are always released. The caller's context, if any, is
 * untouched.
 *
 * @returns what `fn` returns.
 * @throws what `fn` throws, or the commit's error (e.g. `IntegrityError`).
 * @example
 * ```ts
 * await Promise.all([
 *   insertAudit('renamed'),                   // the caller's session
 *   runInNewContext(insertAudit, 'renamed'),  // its own session, committed when done
 *   runInNewContext(renameUser, 1, 'x'),      // with arguments
 * ]);
 * ```
 */
export function runInNewContext<A extends unknown[], R>(
  fn: (...args: A) => R | PromiseLike<R>,
  ...args: A
): Promise<R> {
  const context = new SessionContext();
  const rollBack = (error: unknown): Promise<never> => context.finish('rollback').then(() => Promise.reject(error));
  // Reactions rather than an async frame: each promise here costs an AsyncLocalStorage hook.
  return runInContext(context, () => {
    let pending: R | PromiseLike<R>;
    try {
      pending = fn(...args);
    } catch (error) {
      return rollBack(error);
    }
    return Promise.resolve(pending).then(
      (result) => context.finish('commit').then(() => result),
      rollBack,
    );
  });
}
