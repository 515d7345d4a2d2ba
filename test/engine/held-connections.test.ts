import { describe, expect, it } from 'vitest';
import { HELD_CONNECTIONS_GRACE_MS } from '../../src/engine/held-connections.js';
import { useEngines } from '../support/engine-fixture.js';
import { useTestDatabase } from '../support/test-database.js';

const db = useTestDatabase();
const engines = useEngines(db);

const isWaitClosedWarning = (message: string): boolean => message.startsWith('waitClosed()');

/** Settles with 'pending' when `promise` has not settled within `ms`. */
function within(promise: Promise<unknown>, ms: number): Promise<'settled' | 'pending'> {
  return Promise.race([
    promise.then(() => 'settled' as const),
    new Promise<'pending'>((resolve) => setTimeout(() => resolve('pending'), ms)),
  ]);
}

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('waitClosed() while connections are held', () => {
  it(
    'logs once, after the grace period, which connections are still out and what they do, and keeps waiting',
    async () => {
      const engine = await engines.make({ minSize: 1, maxSize: 3 });
      const idle = await engine.acquire();
      const inTransaction = await engine.acquire();
      await inTransaction.begin();
      const streaming = await engine.acquire();
      const stream = streaming.stream('select generate_series(1, 1000) as n', { batchSize: 10 });
      const rows = stream[Symbol.asyncIterator]();
      expect((await rows.next()).value?.n).toBe(1);

      await engine.close();
      const started = Date.now();
      const closed = engine.waitClosed();
      const again = engine.waitClosed();
      await until(
        () => engine.captured.warnings.some(isWaitClosedWarning),
        HELD_CONNECTIONS_GRACE_MS + 3_000,
      );
      const elapsed = Date.now() - started;

      const warnings = engine.captured.warnings.filter(isWaitClosedWarning);
      expect(warnings).toHaveLength(1);
      expect(elapsed).toBeGreaterThanOrEqual(HELD_CONNECTIONS_GRACE_MS - 50);
      const [warning] = warnings as [string];
      expect(warning).toMatch(
        /^waitClosed\(\) has waited 5000 ms: 3 connection\(s\) still acquired; the engine closes once they are released/,
      );
      const timestamp = String.raw`\(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\)`;
      expect(warning).toMatch(
        new RegExp(`backend pid ${idle.backendPid} acquired \\d+\\.\\d s ago ${timestamp}, idle`),
      );
      expect(warning).toMatch(
        new RegExp(`backend pid ${inTransaction.backendPid} acquired \\d+\\.\\d s ago ${timestamp}, in a transaction(;|$)`),
      );
      expect(warning).toMatch(
        new RegExp(
          `backend pid ${streaming.backendPid} acquired \\d+\\.\\d s ago ${timestamp}, ` +
            'running a statement or reading a stream',
        ),
      );
      // Still waiting after the warning; a second waitClosed() did not warn again.
      expect(await within(closed, 200)).toBe('pending');
      expect(await within(again, 0)).toBe('pending');

      await rows.return?.();
      await streaming.close();
      await inTransaction.close();
      expect(await within(closed, 200)).toBe('pending');
      await idle.close();
      expect(await within(Promise.all([closed, again]), 5_000)).toBe('settled');
      expect(engine.captured.warnings.filter(isWaitClosedWarning)).toHaveLength(1);
    },
    HELD_CONNECTIONS_GRACE_MS + 15_000,
  );

  it(
    'says nothing when the connections are released within the grace period',
    async () => {
      const engine = await engines.make({ minSize: 1, maxSize: 2 });
      const conn = await engine.acquire();
      await engine.close();
      const closed = engine.waitClosed();
      expect(await within(closed, 100)).toBe('pending');
      await conn.close();
      await closed;
      await new Promise((resolve) => setTimeout(resolve, HELD_CONNECTIONS_GRACE_MS + 300));
      expect(engine.captured.warnings).toEqual([]);
    },
    HELD_CONNECTIONS_GRACE_MS + 10_000,
  );

  it('says nothing when no connection is held', async () => {
    const engine = await engines.make({ minSize: 2, maxSize: 2 });
    await engine.close();
    await engine.waitClosed();
    expect(engine.size).toBe(0);
    expect(engine.captured.warnings).toEqual([]);
  });
});
