import { afterEach, beforeEach, expect, vi } from 'vitest';
import { withClient } from './test-database.js';

// The checks every fault scenario ends with, besides the ledger (load-driver.ts).

/**
 * Collects unhandled rejections and uncaught exceptions during each test of the calling file and
 * fails the test that had any. Call at the file's top level.
 */
export function failOnUnhandled(): void {
  const seen: unknown[] = [];
  const record = (reason: unknown): void => void seen.push(reason);
  beforeEach(() => {
    seen.length = 0;
    process.on('unhandledRejection', record);
    process.on('uncaughtException', record);
  });
  afterEach(async () => {
    // A rejection surfaces on the microtask queue after the promise settles: let it arrive.
    await new Promise((resolve) => setTimeout(resolve, 20));
    process.off('unhandledRejection', record);
    process.off('uncaughtException', record);
    expect(seen, 'unhandled rejections or uncaught exceptions').toEqual([]);
  });
}

/**
 * Waits (at most `timeoutMs`) until the engine holds no connection (`size == freeSize`) and is
 * back at `minSize`, then asserts it. The leak and the refill are both part of "recovered".
 */
export async function expectPoolSettled(
  engine: { readonly size: number; readonly freeSize: number; readonly minSize: number },
  timeoutMs = 10_000,
): Promise<void> {
  await vi.waitFor(
    () => {
      expect(engine.size - engine.freeSize, 'connections still held').toBe(0);
      expect(engine.size, 'pool size back at minSize').toBeGreaterThanOrEqual(engine.minSize);
    },
    { timeout: timeoutMs, interval: 25 },
  );
}

/** Resolves with the pid of the backend running a statement containing `marker`. */
export async function backendRunning(url: string, marker: string, timeoutMs = 5_000): Promise<number> {
  return withClient(url, async (client) => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const { rows } = await client.query<{ pid: number }>(
        `select pid from pg_stat_activity
          where state = 'active' and pid <> pg_backend_pid() and position($1 in query) > 0`,
        [marker],
      );
      if (rows[0]) return rows[0].pid;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`no backend ran ${marker} within ${timeoutMs} ms`);
  });
}

/** Measures how long `promise` takes to settle; resolves with the settled value or error. */
export async function timed<T>(promise: Promise<T>): Promise<{ ms: number; value?: T; error?: unknown }> {
  const started = Date.now();
  try {
    const value = await promise;
    return { ms: Date.now() - started, value };
  } catch (error) {
    return { ms: Date.now() - started, error };
  }
}

/** A promise the test opens when it is ready: `until` resolves on `release()`. */
export function gate(): { until: Promise<void>; release: () => void } {
  let release = (): void => {};
  const until = new Promise<void>((resolve) => (release = resolve));
  return { until, release };
}
