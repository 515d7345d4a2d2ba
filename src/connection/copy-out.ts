import { sendCancelRequest } from '../protocol/cancel-request.js';
import { CopyOutQuery } from '../protocol/copy-out-query.js';
import type { ExchangeHost } from './exchange-host.js';

/**
 * The chunks of a `COPY … TO STDOUT` on `conn` (see `SAConnection.copyTo`), read while the
 * connection is held as for a stream.
 *
 * @internal
 */
export async function* copyOut(conn: ExchangeHost, sql: string): AsyncGenerator<Buffer, void, undefined> {
  yield* conn.hold<Buffer>(sql, [], 'copy', (client, translate, check) => {
    const copy = new CopyOutQuery(client, sql);
    client.query(copy);
    return {
      items: async function* () {
        for (;;) {
          let data: Buffer | undefined;
          try {
            data = await copy.read();
          } catch (error) {
            throw translate(error);
          }
          check();
          if (data === undefined) return;
          yield data;
        }
      },
      rowCount: () => copy.rowCount,
      close: () => copy.close(() => sendCancelRequest(client)),
    };
  });
}
