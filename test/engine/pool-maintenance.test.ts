import { describe, expect, it } from 'vitest';
import { PoolTimeoutError } from '../../src/index.js';
import { useEngines } from '../support/engine-fixture.js';
import { rejection } from '../support/rejection.js';
import { observe, useTestDatabase } from '../support/test-database.js';
import { silentServer } from '../support/loopback-servers.js';
import { startTcpProxy } from '../support/tcp-proxy.js';

const db = useTestDatabase();
const engines = useEngines(db);

describe('acquire timeout while a connection is being opened', () => {
  it.each([
    ['longer than', 1_500],
    ['as long as', 300],
  ])('is a PoolTimeoutError, counted, when connectTimeoutMs is %s acquireTimeoutMs', async (_case, connectTimeoutMs) => {
    const silent = await silentServer();
    try {
      const port = (silent.address() as { port: number }).port;
      const engine = await engines.make({
        connectionString: undefined,
        host: '127.0.0.1',
        port,
        user: 'nobody',
        database: 'nowhere',
        minSize: 0,
        pipelineConnections: 0,
        acquireTimeoutMs: 300,
        connectTimeoutMs,
      });
      const started = Date.now();
      const error = await rejection(engine.acquire(), PoolTimeoutError);
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(error.message).toMatch(/^acquire timed out after 300 ms/);
      expect(engine.stats().timeouts).toBe(1);
      await engine.terminate();
    } finally {
      silent.close();
    }
  });
});

describe('minSize', () => {
  it('is restored by opening a new connection after an idle backend is killed', async () => {
    const applicationName = 'pgsa-refill-after-kill';
    const engine = await engines.make({ minSize: 2, maxSize: 4, applicationName, pipelineConnections: 0 });
    const backends = () =>
      observe<{ pid: number }>(db.url, 'select pid from pg_stat_activity where application_name = $1', [
        applicationName,
      ]);
    const before = await backends();
    expect(before).toHaveLength(2);
    await observe(db.url, 'select pg_terminate_backend($1)', [before[0]!.pid]);
    await until(async () => engine.size === 2 && (await backends()).length === 2);
    const after = await backends();
    expect(after.map((row) => row.pid)).not.toContain(before[0]!.pid);
    expect(after.map((row) => row.pid)).toContain(before[1]!.pid);
    expect(engine.stats()).toMatchObject({ size: 2, free: 2, inUse: 0 });
    expect(engine.captured.warnings.some((w) => w.startsWith('idle connection lost'))).toBe(true);
  });
});

describe('minSize after an outage', () => {
  it('is restored once the server is reachable again, refills being retried with backoff', async () => {
    const proxy = await startTcpProxy({ host: '127.0.0.1', port: Number(new URL(db.url).port) });
    try {
      const applicationName = 'pgsa-refill-after-outage';
      const engine = await engines.make({
        connectionString: proxy.urlFor(db.url),
        minSize: 2,
        maxSize: 4,
        applicationName,
        pipelineConnections: 0,
      });
      const backends = () =>
        observe<{ pid: number }>(db.url, 'select pid from pg_stat_activity where application_name = $1', [
          applicationName,
        ]);
      proxy.refuse = true;
      await observe(db.url, 'select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1', [
        applicationName,
      ]);
      const failed = () => engine.captured.warnings.filter((w) => w.startsWith('could not reopen')).length;
      await until(async () => failed() >= 2);
      expect(engine.size).toBeLessThan(2);
      proxy.refuse = false;
      // A reopened connection counts in `size` from its login, and is free once its connect hook
      // (the engine's type lookup) has run.
      await until(async () => engine.freeSize === 2 && (await backends()).length === 2);
      expect(engine.stats()).toMatchObject({ size: 2, free: 2, inUse: 0 });
      await engine.terminate();
    } finally {
      await proxy.close();
    }
  });
});


/** Polls `condition` until it holds; fails the test after `timeoutMs`. */
async function until(condition: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) expect.fail(`condition still false after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

