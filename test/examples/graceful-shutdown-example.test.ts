import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { observe, useTestDatabase } from '../support/test-database.js';

const db = useTestDatabase();
const ROOT = resolve(import.meta.dirname, '../..');

interface Service {
  readonly child: ChildProcess;
  readonly url: string;
  /** Every line printed so far. */
  readonly lines: string[];
  readonly exited: Promise<number | null>;
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

/** Starts examples/graceful-shutdown.ts and waits until it listens. */
async function startService(deadlineMs: number): Promise<Service> {
  const child = spawn(process.execPath, ['--conditions=pgsa-source', '--import', 'tsx', 'examples/graceful-shutdown.ts'], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: db.url, SHUTDOWN_DEADLINE_MS: String(deadlineMs) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  const lines: string[] = [];
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  const url = await new Promise<string>((resolvePromise, reject) => {
    let buffered = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      const parts = buffered.split('\n');
      buffered = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line);
        if (line.startsWith('listening ')) resolvePromise(line.slice('listening '.length));
      }
    });
    void exited.then((code) => reject(new Error(`the service exited (${code}) before listening`)));
  });
  return { child, url, lines, exited };
}

/** Waits until the service's `pg_sleep` runs on the server. */
async function sleeping(): Promise<void> {
  await expect
    .poll(
      async () =>
        (
          await observe(
            db.url,
            "select 1 from pg_stat_activity where application_name = 'pgsa-shutdown-demo' and query like 'select pg_sleep%' and state = 'active'",
          )
        ).length,
      { timeout: 5_000 },
    )
    .toBe(1);
}

describe('examples/graceful-shutdown.ts', () => {
  it('on SIGTERM finishes the request in flight, refuses new ones, closes the engine and exits 0', async () => {
    const service = await startService(5_000);
    const inFlight = fetch(`${service.url}/sleep?ms=700`);
    await sleeping();
    service.child.kill('SIGTERM');
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ slept: 700 });
    expect(await service.exited).toBe(0);
    await expect(fetch(`${service.url}/sleep?ms=1`)).rejects.toThrow();
    expect(service.lines.filter((line) => line.startsWith('shutdown:'))).toEqual([
      'shutdown: SIGTERM received',
      'shutdown: stopped accepting requests',
      'shutdown: every connection released and closed',
      'shutdown: closed',
    ]);
    expect(await observe(db.url, "select 1 from pg_stat_activity where application_name = 'pgsa-shutdown-demo'")).toEqual([]);
  }, 30_000);

  it('terminates the connections still in use once the deadline passes', async () => {
    const service = await startService(300);
    const inFlight = fetch(`${service.url}/sleep?ms=20000`).then(
      (response) => response.status,
      () => 'no response',
    );
    await sleeping();
    const started = performance.now();
    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(['no response', 500]).toContain(await inFlight);
    expect(service.lines.filter((line) => line.startsWith('shutdown:'))).toEqual([
      'shutdown: SIGTERM received',
      'shutdown: stopped accepting requests',
      'shutdown: deadline of 300 ms passed, terminating the connections still in use',
      'shutdown: terminated',
    ]);
    // The server side is gone too: the sleeping backend was terminated with its connection.
    await expect
      .poll(async () => (await observe(db.url, "select 1 from pg_stat_activity where application_name = 'pgsa-shutdown-demo'")).length)
      .toBe(0);
  }, 30_000);
});
