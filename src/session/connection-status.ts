import type { SAConnection } from '../connection/sa-connection.js';

/** How long to wait for the server's ReadyForQuery after a failed statement. */
const SETTLE_TIMEOUT_MS = 5_000;

/**
 * Waits until the client processed the server's ReadyForQuery after a failed statement.
 * node-postgres rejects a statement on its ErrorResponse, which may arrive in an earlier
 * packet than the ReadyForQuery carrying the new transaction status; until then
 * `inTransaction` would report the status from before the failure.
 *
 * @internal
 */
export async function settled<DB>(conn: SAConnection<DB>): Promise<void> {
  const client = conn.raw as unknown as {
    readyForQuery?: boolean;
    _ending?: boolean;
    connection?: NodeJS.EventEmitter;
  };
  const connection = client.connection;
  if (client.readyForQuery !== false || client._ending || connection === undefined) return;
  await new Promise<void>((resolve) => {
    // Bounded: a connection that never becomes ready is broken and gets discarded anyway.
    const timer = setTimeout(done, SETTLE_TIMEOUT_MS);
    // Our listener runs after the client's own, i.e. once the status is updated.
    connection.once('readyForQuery', done);
    connection.once('end', done);
    function done(): void {
      clearTimeout(timer);
      connection?.off('readyForQuery', done);
      connection?.off('end', done);
      resolve();
    }
  });
}

/** True when the server reports the connection's transaction as failed (aborted). @internal */
export function failed<DB>(conn: SAConnection<DB>): boolean {
  return conn.raw.getTransactionStatus?.() === 'E';
}
