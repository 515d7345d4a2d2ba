import { describe, expect, it } from 'vitest';
import { OperationalError, PoolTimeoutError } from '../../src/index.js';
import { useEngines } from '../support/engine-fixture.js';
import { expectPoolSettled, failOnUnhandled } from '../support/fault-checks.js';
import {
  EMPTY_LEDGER,
  expectLedgerIntact,
  LEDGER_TABLE,
  type LedgerCheck,
  type LedgerDB,
  LoadDriver,
} from '../support/load-driver.js';
import { useTestDatabase, withClient } from '../support/test-database.js';

// Fault kit, part 4: more callers than connections by far, and backends killed every 100 ms
// under sustained mixed load.

const db = useTestDatabase();
const engines = useEngines<LedgerDB>(db, { setup: LEDGER_TABLE, reset: EMPTY_LEDGER });
failOnUnhandled();

describe('a pool oversubscribed 20×', () => {
  it('serves 80 concurrent writers on 4 connections: every unit commits', async () => {
    const engine = await engines.make({ minSize: 2, maxSize: 4, pipelineConnections: 0 });
    const driver = new LoadDriver(engine);
    await driver.run({ writers: 80, units: 800, mode: ['transaction', 'executeMany', 'copy'] });
    const check = await driver.verify(db.url);
    report('oversubscribed 20x', check);
    expectLedgerIntact(check, { maxCallMs: 10_000 });
    expect(check).toMatchObject({ committed: 800, failed: 0, unknown: 0 });
    expect(engine.stats()).toMatchObject({ timeouts: 0, waiting: 0 });
    expect(engine.stats().size).toBeLessThanOrEqual(4);
    await expectPoolSettled(engine);
  });

  it('with a short acquireTimeoutMs, the callers that wait too long get PoolTimeoutError and write nothing', async () => {
    const engine = await engines.make({
      minSize: 1,
      maxSize: 4,
      pipelineConnections: 0,
      acquireTimeoutMs: 50,
    });
    const driver = new LoadDriver(engine);
    // Every connection taken for 200 ms: the first 80 callers all wait longer than 50 ms.
    const held = await Promise.all([1, 2, 3, 4].map(() => engine.acquire()));
    const blocked = driver.run({ writers: 80, units: 80, mode: 'transaction' });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await Promise.all(held.map((conn) => conn.close()));
    await blocked;
    expect(driver.records.every((record) => record.error instanceof PoolTimeoutError)).toBe(true);
    // Then 80 more at once on the free pool: each commits or times out, nothing else.
    await driver.run({ writers: 80, units: 160, mode: 'transaction' });
    const check = await driver.verify(db.url);
    report('oversubscribed 20x, acquireTimeoutMs 50', check);
    expectLedgerIntact(check, { maxCallMs: 5_000 });
    expect(check.unknown).toBe(0);
    expect(check.committed + check.failed).toBe(160);
    expect(check.failed).toBeGreaterThanOrEqual(80);
    expect(Object.keys(check.errors).every((name) => name === 'PoolTimeoutError')).toBe(true);
    expect(engine.stats().timeouts).toBe(check.failed);
    for (const record of driver.records) {
      if (record.error !== undefined) {
        expect(record.error).toBeInstanceOf(PoolTimeoutError);
        expect((record.error as Error).message).toMatch(/^acquire timed out after 50 ms \(size \d+, in use \d+, waiting \d+\)/);
      }
    }
    await expectPoolSettled(engine);
  });
});

describe('sustained load with a backend killed every 100 ms', () => {
  it('loses no committed unit, writes nothing it reported failed, leaks nothing, and recovers', async () => {
    const applicationName = 'pgsa-kill-loop';
    const engine = await engines.make({
      minSize: 2,
      maxSize: 8,
      pipelineConnections: 1,
      applicationName,
    });
    const driver = new LoadDriver(engine);
    const load = driver.run({
      writers: 8,
      durationMs: 3_000,
      mode: ['transaction', 'pipelined', 'executeMany', 'copy'],
    });
    let kills = 0;
    let running = true;
    void load.finally(() => (running = false));
    await withClient(db.url, async (killer) => {
      while (running) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        const { rows } = await killer.query<{ killed: boolean }>(
          `select pg_terminate_backend(pid) as killed from pg_stat_activity
            where pid = (select pid from pg_stat_activity where application_name = $1
                          order by random() limit 1)`,
          [applicationName],
        );
        if (rows[0]?.killed) kills++;
      }
    });
    await load;
    const check = await driver.verify(db.url);
    report(`sustained load, ${kills} kills`, check);
    expect(kills).toBeGreaterThanOrEqual(20);
    expectLedgerIntact(check, { maxCallMs: 5_000 });
    expect(check.failed + check.unknown).toBeGreaterThan(0); // the kills really hit the writers
    expect(check.committed).toBeGreaterThan(check.failed + check.unknown);
    for (const record of driver.records) {
      if (record.error !== undefined) expect(record.error).toBeInstanceOf(OperationalError);
    }
    await expectPoolSettled(engine);
    // Recovered: every mode works again.
    const after = await Promise.all(
      (['transaction', 'pipelined', 'executeMany', 'copy'] as const).map((mode) => driver.runUnit(0, mode)),
    );
    expect(after.map((record) => record.outcome)).toEqual(['committed', 'committed', 'committed', 'committed']);
  });
});

function report(label: string, check: LedgerCheck): void {
  console.log(
    `[faults] ${label}: ` +
      JSON.stringify({
        committed: check.committed,
        failed: check.failed,
        unknown: check.unknown,
        unknownLanded: check.unknownLanded,
        lost: check.lostCommits.length,
        phantom: check.phantomRows.length,
        torn: check.torn.length,
        errors: check.errors,
        slowestMs: check.slowestMs,
      }),
  );
}
