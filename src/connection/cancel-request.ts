import { connect } from 'node:net';
import type pg from 'pg';

/** The protocol's CancelRequest code (1234 << 16 | 5678). */
const CANCEL_REQUEST_CODE = 80877102;

interface ClientKeys {
  readonly processID: number | null;
  readonly secretKey: number | null;
  readonly host: string;
  readonly port: number;
}

/**
 * Asks the server to cancel whatever `client` is running, over a separate socket (the
 * protocol's CancelRequest; no login needed). Resolves once the server closed that socket,
 * i.e. received the request. The cancelled statement fails with `QueryCanceledError`.
 *
 * @internal
 */
export function sendCancelRequest(client: pg.ClientBase, timeoutMs = 5_000): Promise<void> {
  const keys = client as unknown as ClientKeys;
  if (keys.processID === null || keys.secretKey === null) return Promise.resolve();
  const packet = Buffer.alloc(16);
  packet.writeInt32BE(16, 0);
  packet.writeInt32BE(CANCEL_REQUEST_CODE, 4);
  packet.writeInt32BE(keys.processID, 8);
  packet.writeInt32BE(keys.secretKey, 12);
  return new Promise((resolve, reject) => {
    const socket = keys.host.startsWith('/')
      ? connect(`${keys.host}/.s.PGSQL.${keys.port}`)
      : connect(keys.port, keys.host);
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error('cancel request timed out')));
    socket.once('connect', () => socket.end(packet));
    socket.once('error', reject);
    socket.once('close', () => resolve());
    socket.resume();
  });
}
