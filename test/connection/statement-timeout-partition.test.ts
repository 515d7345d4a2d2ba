import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CANCEL_GRACE_MS } from '../../src/connection/statement-timeout.js';
import { OperationalError } from '../../src/index.js';
import { useEngines } from '../support/engine-fixture.js';
import { rejection } from '../support/rejection.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { useTestDatabase } from '../support/test-database.js';

// Issue 16, defect 5: under a network partition the cancel request of a timed-out statement
// never arrives; the call must still settle in bounded time, and never succeed later.

const db = useTestDatabase();
const engines = useEngines(db, { defaults: { minSize: 1, maxSize: 1, pipelineConnections: 0 } });

let proxy: TcpProxy;
beforeEach(async () => {
  const target = new URL(db.url);
  proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port) });
});
afterEach(async () => {
  await proxy.close();
});

const TIMEOUT_MS = 200;

describe('statementTimeoutMs under a black-holed network', () => {
  it('rejects within the timeout plus the grace with an OperationalError naming the timeout', async () => {
    const e = await engines.make({ connectionString: proxy.urlFor(db.url) });
    try {
      await using conn = await e.acquire();
      proxy.blackHole();
      const started = performance.now();
      const call = conn.execute('select 1 as one', [], { statementTimeoutMs: TIMEOUT_MS });
      // Bounded: a call still pending well after the grace fails the test instead of hanging it.
      const bound = new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error('still pending')), TIMEOUT_MS + CANCEL_GRACE_MS + 3_000).unref(),
      );
      const error = await rejection(Promise.race([call, bound]), OperationalError);
      const elapsed = performance.now() - started;
      expect(error.message).toBe(
        `statement did not end: statementTimeoutMs of ${TIMEOUT_MS} ms exceeded and the server did ` +
          `not answer the cancel request within ${CANCEL_GRACE_MS} ms; the connection was closed and ` +
          "the statement's outcome is unknown",
      );
      expect(elapsed).toBeGreaterThanOrEqual(TIMEOUT_MS + CANCEL_GRACE_MS - 50);
      expect(elapsed).toBeLessThan(TIMEOUT_MS + CANCEL_GRACE_MS + 1_000);
    } finally {
      proxy.heal();
      await e.close();
    }
  });

  it('discards the connection instead of returning it to the pool', async () => {
    const e = await engines.make({ connectionString: proxy.urlFor(db.url) });
    try {
      const conn = await e.acquire();
      const pid = conn.backendPid;
      proxy.blackHole();
      await rejection(conn.execute('select 1 as one', [], { statementTimeoutMs: TIMEOUT_MS }), OperationalError);
      expect(conn.closed).toBe(false);
      await conn.close();
      proxy.heal();
      await using next = await e.acquire();
      expect(next.backendPid).not.toBe(pid);
      expect((await next.execute('select 1 as one')).scalar()).toBe(1);
    } finally {
      proxy.heal();
      await e.close();
    }
  });
});
