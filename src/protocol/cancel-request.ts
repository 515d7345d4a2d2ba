import { connect } from 'node:net';
import type pg from 'pg';
import { cancelKeys } from './pg-internals.js';

/** The protocol's CancelRequest code (1234 << 16 | 5678). */
const CANCEL_REQUEST_CODE = 80877102;

/**
 * Asks the server to cancel whatever `client` is running, over a separate socket (the
 * protocol's CancelRequest; no login needed). Resolves once the server (or PgBouncer, which
 * forwards it) closed that socket, i.e. received the request. The cancelled statement fails
 * with `QueryCanceledError`.
 *
 * @internal
 */
export function sendCancelRequest(client: pg.ClientBase, timeoutMs = 5_000): Promise<void> {
  const keys = cancelKeys(client);
  if (keys === undefined) return Promise.resolve();
  const packet = Buffer.alloc(16);
  packet.writeInt32BE(16, 0);
  packet.writeInt32BE(CANCEL_REQUEST_CODE, 4);
  packet.writeInt32BE(keys.pid, 8);
  packet.writeInt32BE(keys.key, 12);
  return new Promise((resolve, reject) => {
    const socket = keys.host.startsWith('/')
      ? connect(`${keys.host}/.s.PGSQL.${keys.port}`)
      : connect(keys.port, keys.host);
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error('cancel request timed out')));
    // The server closes the socket once it has the request. Half-closing it ourselves right
    // after the packet makes PgBouncer 1.18 abort (`bad client state`) and drop every client.
    socket.once('connect', () => socket.write(packet));
    socket.once('error', reject);
    socket.once('close', () => resolve());
    socket.resume();
  });
}
