import { OperationalError, QueryCanceledError } from '../errors/database-error.js';
import { translateError } from '../errors/translate-error.js';

/**
 * How long a statement may go on after its `statementTimeoutMs` ran out and the cancel request
 * was sent before the connection is given up: a reachable server ends a cancelled statement
 * within milliseconds, so a statement still running after this is on a connection that no
 * longer answers (a network partition, a hung server).
 *
 * @internal
 */
export const CANCEL_GRACE_MS = 2_000;

/**
 * Runs `start()` and calls `cancel()` (a protocol cancel request) if it has not settled after
 * `timeoutMs`. The `QueryCanceledError` that cancel causes is re-thrown with a message naming
 * the timeout; any other outcome passes through unchanged.
 *
 * When `abandon` is given and the statement has still not settled `graceMs` after the cancel
 * request was sent, the server is taken to be unreachable: `abandon()` is called (it must
 * destroy the connection, whose state is now unknown, so the statement can never complete
 * later) and the call rejects with an `OperationalError` naming the timeout. So a call with a
 * timeout settles within `timeoutMs + graceMs`, whatever the network does.
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
  abandon?: () => void,
  graceMs = CANCEL_GRACE_MS,
): Promise<T> {
  const pending = start();
  let cancelling: Promise<void> | undefined;
  let graceTimer: NodeJS.Timeout | undefined;
  let unreachable: OperationalError | undefined;
  let giveUp: (error: Error) => void = () => {};
  const givenUp = abandon === undefined ? undefined : new Promise<never>((_, reject) => (giveUp = reject));
  const timer = setTimeout(() => {
    cancelling = cancel().catch(() => {});
    if (abandon === undefined) return;
    graceTimer = setTimeout(() => {
      unreachable = new OperationalError(
        `statement did not end: statementTimeoutMs of ${timeoutMs} ms exceeded and the server did ` +
          `not answer the cancel request within ${graceMs} ms; the connection was closed and the ` +
          "statement's outcome is unknown",
      );
      abandon();
      giveUp(unreachable);
    }, graceMs);
  }, timeoutMs);
  try {
    return await (givenUp === undefined ? pending : Promise.race([pending, givenUp]));
  } catch (error) {
    if (error === unreachable) throw error;
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
    clearTimeout(graceTimer);
    // A cancel request to an unreachable server would only time out: not waited for.
    if (cancelling !== undefined && unreachable === undefined) await cancelling;
  }
}
