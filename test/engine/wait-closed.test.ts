import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { useEngines } from '../support/engine-fixture.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { useTestDatabase } from '../support/test-database.js';

const db = useTestDatabase();
const engines = useEngines(db);

let proxy: TcpProxy;
beforeEach(async () => {
  const target = new URL(db.url);
  proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port) });
});
afterEach(async () => {
  proxy.heal();
  await proxy.close();
});

describe('waitClosed()', () => {
  it('resolves only once every socket of the engine is closed', async () => {
    const engine = await engines.make({ connectionString: proxy.urlFor(db.url), minSize: 3, maxSize: 3 });
    await Promise.all(
      [1, 2, 3].map(async () => {
        await using conn = await engine.acquire();
        await conn.execute('select 1');
      }),
    );
    // A slow link: the server's close of each socket arrives 50 ms after the client's Terminate.
    proxy.latencyMs = 50;
    await engine.close();
    await engine.waitClosed();
    // node-postgres' pool.end() alone resolves once it asked each client to end.
    expect(proxy.connections).toBe(0);
  });

  it('does not wait longer than the connect timeout for a peer that never answers', async () => {
    const engine = await engines.make({ connectionString: proxy.urlFor(db.url), minSize: 2, connectTimeoutMs: 300 });
    proxy.blackHole();
    const started = Date.now();
    await engine.close();
    await engine.waitClosed();
    expect(Date.now() - started).toBeLessThan(1_500);
  });
});
