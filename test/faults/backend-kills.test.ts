import { sql } from 'kysely';
import { describe, expect, it, vi } from 'vitest';
import { OperationalError } from '../../src/index.js';
import { useEngines } from '../support/engine-fixture.js';
import {
  backendRunning,
  expectPoolSettled,
  failOnUnhandled,
  gate,
  timed,
} from '../support/fault-checks.js';
import {
  EMPTY_LEDGER,
  expectLedgerIntact,
  LEDGER_TABLE,
  type LedgerDB,
  LoadDriver,
  type WriteMode,
} from '../support/load-driver.js';
import { killBackend } from '../support/observers.js';
import { observe, useTestDatabase } from '../support/test-database.js';

// Fault kit, part 1: a backend killed (pg_terminate_backend) at each point of a unit of work.
// Every scenario: the call fails with a typed error within a bound, the ledger holds exactly
// what was reported committed, no connection leaks, the pool is back at minSize, and nothing is
// left unhandled.

const db = useTestDatabase();
const engines = useEngines<LedgerDB>(db, {
  setup: LEDGER_TABLE,
  reset: EMPTY_LEDGER,
  defaults: { minSize: 2, maxSize: 4 },
});
failOnUnhandled();

/** Bound on any call in these scenarios: a kill is noticed at once, not after a timeout. */
const MAX_CALL_MS = 3_000;

describe('a backend killed while its statement runs', () => {
  it.each<WriteMode>(['transaction', 'pipelined', 'executeMany'])(
    '%s: OperationalError 57P01 at once, nothing of the unit stored, later units commit',
    async (mode) => {
      const engine = await engines.make();
      const driver = new LoadDriver(engine);
      const marker = `kill-statement-${mode}`;
      const unit = driver.runUnit(0, mode, { at: 'statement', marker });
      await killBackend(db.url, await backendRunning(db.url, marker));
      const record = await unit;
      expect(record.error).toBeInstanceOf(OperationalError);
      expect(record.error).toMatchObject({
        sqlstate: '57P01',
        message: 'terminating connection due to administrator command',
      });
      await driver.runUnit(0, mode);
      const check = await driver.verify(db.url);
      expectLedgerIntact(check, { maxCallMs: MAX_CALL_MS });
      expect(check.committed).toBe(1);
      await expectPoolSettled(engine);
    },
  );

  it('copy: the COPY fails with OperationalError while its source waits, nothing is stored', async () => {
    const engine = await engines.make();
    const driver = new LoadDriver(engine);
    const { until, release } = gate();
    const unit = driver.runUnit(0, 'copy', { at: 'statement', marker: 'COPY "ledger"', until });
    try {
      await killBackend(db.url, await backendRunning(db.url, 'COPY "ledger"'));
      const record = await unit;
      expect(record.error).toBeInstanceOf(OperationalError);
    } finally {
      release();
    }
    await driver.runUnit(0, 'copy');
    const check = await driver.verify(db.url);
    expectLedgerIntact(check, { maxCallMs: MAX_CALL_MS });
    expect(check).toMatchObject({ committed: 1, failed: 0 });
    await expectPoolSettled(engine);
  });
});

describe('a backend killed while idle in a transaction', () => {
  it('fails the next statement with OperationalError; the first INSERT is gone', async () => {
    const engine = await engines.make({ applicationName: 'pgsa-kill-idle-tx' });
    const driver = new LoadDriver(engine);
    const { until, release } = gate();
    const unit = driver.runUnit(0, 'transaction', { at: 'idle', marker: 'idle', until });
    const [row] = await vi.waitFor(async () => {
      const rows = await observeIdleInTransaction('pgsa-kill-idle-tx');
      expect(rows).toHaveLength(1);
      return rows;
    });
    await killBackend(db.url, row!.pid);
    release();
    const record = await unit;
    expect(record.error).toBeInstanceOf(OperationalError);
    expect(record.outcome).toBe('failed');
    const check = await driver.verify(db.url);
    expectLedgerIntact(check, { maxCallMs: MAX_CALL_MS + 5_000 });
    await expectPoolSettled(engine);
  });
});

describe('a backend killed while COMMIT runs', () => {
  it('fails the transaction with OperationalError; the server rolled it back', async () => {
    const engine = await engines.make();
    const driver = new LoadDriver(engine);
    const unit = driver.runUnit(0, 'transaction', { at: 'commit', marker: 'COMMIT' });
    await killBackend(db.url, await backendRunning(db.url, 'COMMIT'));
    const record = await unit;
    expect(record.error).toBeInstanceOf(OperationalError);
    expect(record.outcome).toBe('unknown'); // what the caller can know: COMMIT was sent
    const check = await driver.verify(db.url);
    expectLedgerIntact(check, { maxCallMs: MAX_CALL_MS });
    expect(check.unknownLanded).toBe(0); // killed before the commit finished: it did not land
    await expectPoolSettled(engine);
  });
});

describe('a backend killed while its connection is idle in the pool', () => {
  it('is replaced: the next units commit and the pool is back at minSize', async () => {
    const engine = await engines.make({ applicationName: 'pgsa-kill-idle' });
    const pids = await observeIdle('pgsa-kill-idle');
    expect(pids).toHaveLength(2);
    for (const pid of pids) await killBackend(db.url, pid);
    const driver = new LoadDriver(engine);
    const results = await Promise.all([0, 1, 2].map((writer) => driver.runUnit(writer, 'transaction')));
    // A connection whose death the pool has not noticed yet may fail one unit; none is lost.
    for (const record of results) {
      if (record.error !== undefined) expect(record.error).toBeInstanceOf(OperationalError);
    }
    await driver.runUnit(0, 'transaction');
    const check = await driver.verify(db.url);
    expectLedgerIntact(check, { maxCallMs: MAX_CALL_MS });
    expect(check.committed).toBeGreaterThanOrEqual(1);
    await expectPoolSettled(engine);
    const fresh = await observeIdle('pgsa-kill-idle');
    expect(fresh.some((pid) => pids.includes(pid))).toBe(false);
  });
});

describe('a backend killed during a stream', () => {
  it('ends the loop with OperationalError after the rows already read; the connection is discarded', async () => {
    const engine = await engines.make();
    const conn = await engine.acquire();
    const pid = conn.backendPid;
    let read = 0;
    const outcome = await timed(
      (async () => {
        for await (const _row of conn.stream('select n from generate_series(1, 1000000) n', {
          batchSize: 100,
        })) {
          if (++read === 150) await killBackend(db.url, pid);
        }
      })(),
    );
    expect(outcome.error).toBeInstanceOf(OperationalError);
    expect(outcome.ms).toBeLessThan(MAX_CALL_MS);
    expect(read).toBeGreaterThanOrEqual(150);
    expect(read).toBeLessThan(1_000_000);
    await conn.close();
    await expectPoolSettled(engine);
    await using next = await engine.acquire();
    expect(next.backendPid).not.toBe(pid);
  });
});

describe('the pipelined connection killed', () => {
  it('fails the statements in flight with OperationalError; engine.db works again afterwards', async () => {
    const engine = await engines.make({ pipelineConnections: 1 });
    const driver = new LoadDriver(engine);
    const stalled = driver.runUnit(0, 'pipelined', { at: 'statement', marker: 'kill-pipeline' });
    const pid = await backendRunning(db.url, 'kill-pipeline');
    // Queued behind the sleeping statement on the same pipelined connection.
    const queued = [1, 2, 3].map((writer) => driver.runUnit(writer, 'pipelined'));
    await killBackend(db.url, pid);
    const records = await Promise.all([stalled, ...queued]);
    expect(records[0]!.error).toBeInstanceOf(OperationalError);
    for (const record of records.slice(1)) {
      if (record.error !== undefined) expect(record.error).toBeInstanceOf(OperationalError);
    }
    const after = await driver.runUnit(0, 'pipelined');
    expect(after.outcome).toBe('committed');
    expect(await sql<{ n: number }>`select 1 as n`.execute(engine.db)).toMatchObject({ rows: [{ n: 1 }] });
    const check = await driver.verify(db.url);
    expectLedgerIntact(check, { maxCallMs: MAX_CALL_MS });
    await expectPoolSettled(engine);
  });
});

async function observeIdle(applicationName: string): Promise<number[]> {
  return observePids(applicationName, 'idle');
}

async function observeIdleInTransaction(applicationName: string): Promise<{ pid: number }[]> {
  return (await observePids(applicationName, 'idle in transaction')).map((pid) => ({ pid }));
}

async function observePids(applicationName: string, state: string): Promise<number[]> {
  const rows = await observe<{ pid: number }>(
    db.url,
    'select pid from pg_stat_activity where application_name = $1 and state = $2 order by pid',
    [applicationName, state],
  );
  return rows.map((row) => row.pid);
}
