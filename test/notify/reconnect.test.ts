import { afterEach, describe, expect, it } from 'vitest';
import {
  type ListenerReconnect,
  type Notification,
  type NotificationGap,
  OperationalError,
} from '../../src/index.js';
import { useEngines } from '../support/engine-fixture.js';
import { killBackend } from '../support/observers.js';
import { rejection } from '../support/rejection.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { observe, useTestDatabase } from '../support/test-database.js';
import { until } from './notify-support.js';

const db = useTestDatabase();
const engines = useEngines(db);

let proxy: TcpProxy | undefined;
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
});

/** What the hooks were told. */
function recorder() {
  const reconnects: ListenerReconnect[] = [];
  const gaps: NotificationGap[] = [];
  return {
    reconnects,
    gaps,
    hooks: { onReconnect: (info: ListenerReconnect) => void reconnects.push(info), onGap: (gap: NotificationGap) => void gaps.push(gap) },
  };
}

async function listenerPid(applicationName: string): Promise<number> {
  const rows = await observe<{ pid: number }>(db.url, 'select pid from pg_stat_activity where application_name = $1', [
    applicationName,
  ]);
  expect(rows).toHaveLength(1);
  return rows[0]!.pid;
}

async function next(iterator: AsyncIterator<Notification>): Promise<Notification> {
  const result = await iterator.next();
  if (result.done) throw new Error('the notifications ended');
  return result.value;
}

describe('the listener connection, when its backend is terminated', () => {
  it('reconnects, LISTENs every channel again, reports the gap and delivers what is sent afterwards', async () => {
    const applicationName = 'pgsa-reconnect-kill';
    const { reconnects, gaps, hooks } = recorder();
    const engine = await engines.make({
      minSize: 0,
      pipelineConnections: 0,
      applicationName,
      listener: { ...hooks, reconnectBackoff: { initialMs: 20, maxMs: 200 } },
    });
    const subscriptionGaps: NotificationGap[] = [];
    const orders = engine.notifications('orders', { onGap: (gap) => void subscriptionGaps.push(gap) });
    const handled: string[] = [];
    await engine.listen('jobs', ({ payload }) => void handled.push(payload));
    await orders.ready;
    const iterator = orders[Symbol.asyncIterator]();
    await observe(db.url, "select pg_notify('orders', 'before')");
    expect((await next(iterator)).payload).toBe('before');

    const pid = await listenerPid(applicationName);
    await killBackend(db.url, pid);
    await until(() => reconnects.length === 1);
    expect(reconnects[0]).toMatchObject({ attempts: 1, channels: ['orders', 'jobs'] });
    expect(reconnects[0]!.error).toBeInstanceOf(OperationalError);
    expect(reconnects[0]!.error.message).toBe('terminating connection due to administrator command');
    expect(gaps).toEqual([
      { channel: 'orders', reason: 'reconnect', dropped: undefined },
      { channel: 'jobs', reason: 'reconnect', dropped: undefined },
    ]);
    expect(subscriptionGaps).toEqual([{ channel: 'orders', reason: 'reconnect', dropped: undefined }]);
    expect(await listenerPid(applicationName)).not.toBe(pid);
    expect(engine.captured.warnings[0]).toBe(
      'listener connection lost (terminating connection due to administrator command); reconnecting',
    );

    await observe(db.url, "select pg_notify('orders', 'after'), pg_notify('jobs', 'after')");
    expect((await next(iterator)).payload).toBe('after');
    await until(() => handled.length === 1);
    expect(handled).toEqual(['after']);
    await iterator.return?.();
  });

  it('gives up after maxReconnectAttempts: the loop throws an OperationalError saying so', async () => {
    const target = new URL(db.url);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port) });
    const applicationName = 'pgsa-reconnect-give-up';
    const engine = await engines.make({
      connectionString: proxy.urlFor(db.url),
      minSize: 0,
      pipelineConnections: 0,
      applicationName,
      listener: { maxReconnectAttempts: 2, reconnectBackoff: { initialMs: 10, maxMs: 20 } },
    });
    const subscription = engine.notifications('jobs');
    await subscription.ready;
    const loop = (async () => {
      for await (const _notification of subscription) {
        // nothing is sent
      }
    })();
    // Attached before the failure can happen, so it never counts as unhandled.
    const failed = rejection(loop, OperationalError);
    proxy.refuse = true;
    await killBackend(db.url, await listenerPid(applicationName));
    const error = await failed;
    expect(error.message).toMatch(
      /^the listener connection was lost and could not be re-established after 2 attempt\(s\) \(maxReconnectAttempts\): /,
    );
    expect(error.message).not.toContain(db.password);
    expect(subscription.status).toBe('failed');
    // A later subscription starts over with a new connection.
    proxy.refuse = false;
    const again = await engine.listen('jobs', () => {});
    expect(again.status).toBe('listening');
  });
});

describe('the listener connection, while it reconnects', () => {
  it('lets a new subscription wait for the connection, then LISTENs it; a throwing hook is only logged', async () => {
    const target = new URL(db.url);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port) });
    const applicationName = 'pgsa-reconnect-wait';
    const engine = await engines.make({
      connectionString: proxy.urlFor(db.url),
      minSize: 0,
      pipelineConnections: 0,
      applicationName,
      listener: {
        reconnectBackoff: { initialMs: 20, maxMs: 50 },
        onReconnect: () => {
          throw new Error('hook failed');
        },
      },
    });
    await engine.listen('old', () => {});
    proxy.refuse = true;
    await killBackend(db.url, await listenerPid(applicationName));
    await until(() => engine.captured.warnings.some((w) => w.startsWith('listener reconnection attempt 1 failed')));
    const seen: string[] = [];
    let listening = false;
    const subscribing = engine.listen('new', ({ payload }) => void seen.push(payload)).then((subscription) => {
      listening = true;
      return subscription;
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(listening).toBe(false);
    proxy.refuse = false;
    const subscription = await subscribing;
    expect(subscription.status).toBe('listening');
    await observe(db.url, "select pg_notify('new', 'hello')");
    await until(() => seen.length === 1);
    expect(seen).toEqual(['hello']);
    expect(engine.captured.warnings).toContain('listener onReconnect hook threw: hook failed');
  });
});

describe('the listener connection, when the network goes silent', () => {
  it('notices within the ping bounds, reconnects once the network heals, and delivers again', async () => {
    const target = new URL(db.url);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port) });
    const applicationName = 'pgsa-reconnect-blackhole';
    const { reconnects, gaps, hooks } = recorder();
    const engine = await engines.make({
      connectionString: proxy.urlFor(db.url),
      minSize: 0,
      pipelineConnections: 0,
      applicationName,
      connectTimeoutMs: 400,
      listener: { ...hooks, pingIntervalMs: 200, pingTimeoutMs: 300, reconnectBackoff: { initialMs: 50, maxMs: 200 } },
    });
    const subscription = engine.notifications('jobs');
    await subscription.ready;
    const iterator = subscription[Symbol.asyncIterator]();

    proxy.blackHole();
    const cut = Date.now();
    await until(() => engine.captured.warnings.length > 0, 3_000);
    const detectedMs = Date.now() - cut;
    console.log(`[notify black hole] detected after ${detectedMs} ms (ping every 200 ms, timeout 300 ms)`);
    expect(detectedMs).toBeLessThan(1_500);
    expect(engine.captured.warnings[0]).toBe(
      'listener connection lost (the listener connection did not answer a ping within 300 ms); reconnecting',
    );
    // Sent while the listener is cut off: lost, and reported as a gap.
    await observe(db.url, "select pg_notify('jobs', 'lost')");
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(reconnects).toEqual([]);

    proxy.heal();
    await until(() => reconnects.length === 1, 5_000);
    expect(reconnects[0]!.channels).toEqual(['jobs']);
    expect(gaps).toEqual([{ channel: 'jobs', reason: 'reconnect', dropped: undefined }]);
    await observe(db.url, "select pg_notify('jobs', 'after')");
    expect((await next(iterator)).payload).toBe('after');
    await iterator.return?.();
  });
});
