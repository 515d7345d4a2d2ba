import { describe, expect, it } from 'vitest';
import { InterfaceError, type Notification, type NotificationGap, OperationalError } from '../../src/index.js';
import { useEngines } from '../support/engine-fixture.js';
import { rejection } from '../support/rejection.js';
import { observe, useTestDatabase, withClient } from '../support/test-database.js';
import { until } from './notify-support.js';

const db = useTestDatabase();
const engines = useEngines(db);

/** No pooled connection and no pipeline: the application name then shows only the listener. */
function listenerEngine(applicationName: string, listener = {}) {
  return engines.make({ minSize: 0, pipelineConnections: 0, applicationName, listener });
}

/** The listener connection's backend as the server lists it. */
async function listenerBackend(applicationName: string): Promise<{ pid: number; query: string } | undefined> {
  const rows = await observe<{ pid: number; query: string }>(
    db.url,
    'select pid, query from pg_stat_activity where application_name = $1',
    [applicationName],
  );
  return rows[0];
}

async function next(iterator: AsyncIterator<Notification>): Promise<Notification> {
  const result = await iterator.next();
  if (result.done) throw new Error('the notifications ended');
  return result.value;
}

describe('engine.listen', () => {
  it('calls the handler for every notification once LISTEN is in effect, until unlisten()', async () => {
    const engine = await listenerEngine('pgsa-listen-handler');
    const seen: string[] = [];
    const subscription = await engine.listen('jobs', ({ payload }) => void seen.push(payload));
    expect(subscription.status).toBe('listening');
    await observe(db.url, "select pg_notify('jobs', 'one'), pg_notify('jobs', 'two')");
    await until(() => seen.length === 2);
    await subscription.unlisten();
    expect(subscription.status).toBe('unlistened');
    expect((await listenerBackend('pgsa-listen-handler'))?.query).toBe('UNLISTEN "jobs"');
    await observe(db.url, "select pg_notify('jobs', 'three')");
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(seen).toEqual(['one', 'two']);
  });

  it('shares one connection outside the pool for all channels', async () => {
    const engine = await listenerEngine('pgsa-listen-shared');
    const a = await engine.listen('a', () => {});
    const b = await engine.listen('b', () => {});
    const backends = await observe(db.url, 'select pid from pg_stat_activity where application_name = $1', [
      'pgsa-listen-shared',
    ]);
    expect(backends).toHaveLength(1);
    expect(engine.stats()).toMatchObject({ size: 0, inUse: 0 });
    await a.unlisten();
    await b.unlisten();
  });

  it('keeps handling after a handler throws, and logs the error', async () => {
    const engine = await listenerEngine('pgsa-listen-throws');
    const seen: string[] = [];
    await engine.listen('jobs', ({ payload }) => {
      seen.push(payload);
      if (payload === 'bad') throw new Error('handler failed');
    });
    await observe(db.url, "select pg_notify('jobs', 'bad'), pg_notify('jobs', 'good')");
    await until(() => seen.length === 2);
    expect(seen).toEqual(['bad', 'good']);
    expect(engine.captured.warnings).toContain('listen handler for channel "jobs" threw: handler failed');
  });

  it('does not let a slow handler delay another channel, and reports what its full buffer dropped', async () => {
    const engineGaps: NotificationGap[] = [];
    const engine = await listenerEngine('pgsa-listen-slow', { onGap: (gap: NotificationGap) => void engineGaps.push(gap) });
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const slow: string[] = [];
    const gaps: NotificationGap[] = [];
    await engine.listen(
      'slow',
      async ({ payload }) => {
        slow.push(payload);
        await gate;
      },
      { bufferSize: 3, onGap: (gap) => void gaps.push(gap) },
    );
    const fast: string[] = [];
    await engine.listen('fast', ({ payload }) => void fast.push(payload));
    await observe(
      db.url,
      "select pg_notify('slow', i::text) from generate_series(1, 10) i union all select pg_notify('fast', 'x')",
    );
    await until(() => fast.length === 1);
    expect(slow).toEqual(['1']);
    open();
    await until(() => slow.length === 4);
    // The oldest were dropped: the newest three were kept.
    expect(slow).toEqual(['1', '8', '9', '10']);
    expect(gaps).toEqual([{ channel: 'slow', reason: 'overflow', dropped: 6 }]);
    expect(engineGaps).toEqual(gaps);
  });
});

describe('engine.notifications', () => {
  it('delivers 10,000 notifications on 5 channels in order per channel, none lost', async () => {
    const engine = await listenerEngine('pgsa-listen-10k');
    const channels = ['c0', 'c1', 'c2', 'c3', 'c4'];
    const subscriptions = channels.map((channel) => engine.notifications(channel, { bufferSize: 2_000 }));
    await Promise.all(subscriptions.map((subscription) => subscription.ready));
    const reading = subscriptions.map(async (subscription) => {
      const payloads: number[] = [];
      for await (const { payload } of subscription) {
        payloads.push(Number(payload));
        if (payloads.length === 2_000) break;
      }
      return payloads;
    });
    await withClient(db.url, async (client) => {
      // Ten transactions of 1,000 from one sender: the server queues them in commit order.
      for (let batch = 0; batch < 10; batch++) {
        await client.query(
          "select pg_notify('c' || (i % 5), i::text) from generate_series($1::int, $1::int + 999) i",
          [batch * 1_000],
        );
      }
    });
    const received = await Promise.all(reading);
    channels.forEach((_channel, index) => {
      const expected = Array.from({ length: 2_000 }, (_, k) => k * 5 + index);
      expect(received[index]).toEqual(expected);
    });
  });

  it('unlistens when the last subscriber of a channel leaves its loop, not before', async () => {
    const engine = await listenerEngine('pgsa-listen-leave', { pingIntervalMs: 0 });
    const first = engine.notifications('shared');
    const second = engine.notifications('shared');
    await Promise.all([first.ready, second.ready]);
    await observe(db.url, "select pg_notify('shared', 'one')");
    for await (const notification of first) {
      expect(notification.payload).toBe('one');
      break;
    }
    expect(first.status).toBe('unlistened');
    expect((await listenerBackend('pgsa-listen-leave'))?.query).toBe('LISTEN "shared"');
    const iterator = second[Symbol.asyncIterator]();
    expect((await next(iterator)).payload).toBe('one');
    await observe(db.url, "select pg_notify('shared', 'two')");
    expect((await next(iterator)).payload).toBe('two');
    await iterator.return?.();
    expect((await listenerBackend('pgsa-listen-leave'))?.query).toBe('UNLISTEN "shared"');
  });

  it('ends every loop and closes the listener connection when the engine closes', async () => {
    const engine = await listenerEngine('pgsa-listen-close');
    const subscription = engine.notifications('jobs');
    await subscription.ready;
    const loop = (async () => {
      let count = 0;
      for await (const _notification of subscription) count++;
      return count;
    })();
    await engine.close();
    await engine.waitClosed();
    expect(await loop).toBe(0);
    expect(await listenerBackend('pgsa-listen-close')).toBeUndefined();
    expect(() => engine.notifications('jobs')).toThrow(new InterfaceError('cannot listen: the engine is closed'));
  });

  it('refuses an empty channel name and an unknown option with a TypeError', async () => {
    const engine = await listenerEngine('pgsa-listen-args');
    expect(() => engine.notifications('')).toThrow(new TypeError('a channel name must be a non-empty string'));
    expect(() => engine.notifications('x', { bufferSize: 0 })).toThrow(
      new TypeError('bufferSize must be a positive integer, got 0'),
    );
    expect(() => engine.notifications('x', { size: 1 } as never)).toThrow(
      new TypeError('unknown notifications options option(s): size'),
    );
    await expect(engine.listen('x', undefined as never)).rejects.toThrow(
      new TypeError('listen(channel, handler) expects a function'),
    );
  });
});

describe('a consumer that stops reading', () => {
  it('keeps memory bounded while 100,000 notifications arrive, and reports what was dropped', async () => {
    const engine = await listenerEngine('pgsa-listen-memory');
    const bufferSize = 1_000;
    const gaps: NotificationGap[] = [];
    const stalled = engine.notifications('flood', { bufferSize, onGap: (gap) => void gaps.push(gap) });
    const done = engine.notifications('flood-done');
    await Promise.all([stalled.ready, done.ready]);
    const padding = 'x'.repeat(500);
    globalThis.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    const started = Date.now();
    await withClient(db.url, async (client) => {
      for (let batch = 0; batch < 10; batch++) {
        await client.query(
          "select pg_notify('flood', i::text || ':' || $2) from generate_series($1::int + 1, $1::int + 10000) i",
          [batch * 10_000, padding],
        );
      }
      await client.query("select pg_notify('flood-done', '')");
    });
    const doneIterator = done[Symbol.asyncIterator]();
    await next(doneIterator);
    // The consumer stays away for 5 s in all.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 5_000 - (Date.now() - started))));
    globalThis.gc?.();
    const growthMb = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
    console.log(
      `[notify memory] 100,000 notifications of ~500 bytes while not reading: heap growth ${growthMb.toFixed(1)} MB ` +
        `(unbounded would hold ~${((100_000 * 520) / 2 ** 20).toFixed(0)} MB), buffered ${stalled.buffered}`,
    );
    expect(stalled.buffered).toBe(bufferSize);
    expect(growthMb).toBeLessThan(25);
    const iterator = stalled[Symbol.asyncIterator]();
    const first = await next(iterator);
    expect(first.payload.split(':')[0]).toBe(String(100_000 - bufferSize + 1));
    expect(gaps).toEqual([{ channel: 'flood', reason: 'overflow', dropped: 100_000 - bufferSize }]);
    await iterator.return?.();
    await doneIterator.return?.();
  }, 20_000);
});

describe('the first listener connection', () => {
  it('fails listen() with an OperationalError that hides the password when it cannot be opened', async () => {
    const engine = await engines.make({
      connectionString: db.url.replace(/:\d+\//, ':1/'),
      minSize: 0,
      pipelineConnections: 0,
    });
    const error = await rejection(engine.listen('jobs', () => {}), OperationalError);
    expect(error.message).toMatch(/^could not open the listener connection: connect ECONNREFUSED 127\.0\.0\.1:1/);
    expect(error.message).not.toContain(db.password);
  });
});
