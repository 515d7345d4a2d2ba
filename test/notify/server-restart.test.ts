import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ListenerReconnect, Notification, NotificationGap } from '../../src/index.js';
import { useEngines } from '../support/engine-fixture.js';
import { type FaultServer, startFaultServer } from '../support/fault-server.js';
import { useTestDatabase, withClient } from '../support/test-database.js';
import { until } from './notify-support.js';

const db = useTestDatabase();
const engines = useEngines(db);

// A server of this file's own: restarting the shared one would break every other test file.
let server: FaultServer;
beforeAll(async () => {
  server = await startFaultServer();
}, 60_000);
afterAll(async () => {
  await server?.close();
});

async function next(iterator: AsyncIterator<Notification>): Promise<Notification> {
  const result = await iterator.next();
  if (result.done) throw new Error('the notifications ended');
  return result.value;
}

describe('the listener connection, when the server restarts mid-stream', () => {
  it('reconnects once the server is back, LISTENs again, reports the gap and delivers what is sent afterwards', async () => {
    const reconnects: ListenerReconnect[] = [];
    const gaps: NotificationGap[] = [];
    const engine = await engines.make({
      connectionString: server.url,
      minSize: 0,
      pipelineConnections: 0,
      connectTimeoutMs: 1_000,
      listener: {
        reconnectBackoff: { initialMs: 50, maxMs: 300 },
        onReconnect: (info) => void reconnects.push(info),
        onGap: (gap) => void gaps.push(gap),
      },
    });
    const subscription = engine.notifications('stream', { bufferSize: 10_000 });
    await subscription.ready;
    const iterator = subscription[Symbol.asyncIterator]();
    await withClient(server.url, (client) =>
      client.query("select pg_notify('stream', i::text) from generate_series(1, 1000) i"),
    );
    // Restarted while the consumer is behind: what was already received stays readable.
    await until(() => subscription.buffered === 1000);
    await server.restart();
    await until(() => reconnects.length === 1, 10_000);
    for (let i = 1; i <= 1000; i++) expect((await next(iterator)).payload).toBe(String(i));
    expect(reconnects[0]!.channels).toEqual(['stream']);
    expect(reconnects[0]!.error.message).toBe('terminating connection due to administrator command');
    expect(gaps).toEqual([{ channel: 'stream', reason: 'reconnect', dropped: undefined }]);
    console.log(`[notify restart] back after ${reconnects[0]!.attempts} attempt(s), ${reconnects[0]!.downtimeMs} ms`);

    await withClient(server.url, (client) =>
      client.query("select pg_notify('stream', 'after ' || i) from generate_series(1, 100) i"),
    );
    for (let i = 1; i <= 100; i++) expect((await next(iterator)).payload).toBe(`after ${i}`);
    await iterator.return?.();
  }, 30_000);
});
