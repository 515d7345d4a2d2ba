import { QueryCanceledError } from '../errors/database-error.js';
import { translateError } from '../errors/translate-error.js';

/**
 * Runs `start()` and calls `cancel()` (a protocol cancel request) if it has not settled after
 * `timeoutMs`. The `QueryCanceledError` that cancel causes is re-thrown with a message naming
 * the timeout; any other outcome passes through unchanged.
 *
 * A client-side timer rather than `SET statement_timeout`: one round trip, and nothing that
 * could leak into the session or a surrounding transaction. When the statement ends just as
 * the timer fires, this waits for the cancel request to complete before settling, so the server
 * receives it while idle (and ignores it) instead of during the caller's next statement.
 *
 * @internal
 */
export async function withStatementTimeout<T>(
  start: () => Promise<T>,
  timeoutMs: number,
  cancel: () => Promise<void>,
): Promise<T> {
  const pending = start();
  let cancelling: Promise<void> | undefined;
  const timer = setTimeout(() => {
    cancelling = cancel().catch(() => {});
  }, timeoutMs);
  try {
    return await pending;
  } catch (error) {
    if (cancelling !== undefined) {
      // `start` may reject with node-postgres' error (57014) or pgsa's translation of it.
      const translated = translateError(error);
      if (translated instanceof QueryCanceledError) {
        throw new QueryCanceledError(
          `canceling statement: statementTimeoutMs of ${timeoutMs} ms exceeded`,
          translated,
          { cause: translated },
        );
      }
    }
    throw error;
  } finally {
    clearTimeout(timer);
    if (cancelling !== undefined) await cancelling;
  }
}
