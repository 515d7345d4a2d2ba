import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OperationalError } from '../../src/index.js';
import { useEngines } from '../support/engine-fixture.js';
import { backendRunning, expectPoolSettled, failOnUnhandled } from '../support/fault-checks.js';
import { type FaultServer, startFaultServer } from '../support/fault-server.js';
import {
  EMPTY_LEDGER,
  expectLedgerIntact,
  LEDGER_TABLE,
  type LedgerDB,
  LoadDriver,
} from '../support/load-driver.js';
import { observe, type TestDatabase } from '../support/test-database.js';

// Fault kit, part 2: the whole server stopped and started again (fast shutdown and crash) under
// busy, idle and pipelined connections, with writers running, and with prepared two-phase
// transactions waiting for their coordinator. The server is this file's own.

let server: FaultServer;
beforeAll(async () => {
  server = await startFaultServer();
});
afterAll(async () => {
  await server?.close();
});

const db: TestDatabase = {
  get url() {
    return server.url;
  },
  name: 'postgres',
  get password() {
    return server.password;
  },
};
const engines = useEngines<LedgerDB>(db, {
  setup: LEDGER_TABLE,
  reset: EMPTY_LEDGER,
  defaults: { minSize: 2, maxSize: 6, connectTimeoutMs: 2_000, acquireTimeoutMs: 3_000 },
});
failOnUnhandled();

/** A call may wait for the restart (about a second) plus one acquire timeout. */
const MAX_CALL_MS = 6_000;

describe.each(['fast', 'immediate'] as const)('a server restart (%s shutdown)', (mode) => {
  it('fails busy and pipelined statements with OperationalError; afterwards everything works', async () => {
    const engine = await engines.make({ pipelineConnections: 1 });
    const driver = new LoadDriver(engine);
    const busy = driver.runUnit(0, 'transaction', { at: 'statement', marker: `busy-${mode}` });
    const pipelined = driver.runUnit(1, 'pipelined', { at: 'statement', marker: `piped-${mode}` });
    await backendRunning(db.url, `busy-${mode}`);
    await backendRunning(db.url, `piped-${mode}`);
    await server.restart(mode);
    for (const record of await Promise.all([busy, pipelined])) {
      expect(record.error).toBeInstanceOf(OperationalError);
    }
    // Idle pooled connections died too; each call below must still succeed or fail typed.
    await driver.run({ writers: 4, units: 40, mode: ['transaction', 'pipelined', 'executeMany', 'copy'] });
    const late = await driver.runUnit(0, 'transaction');
    expect(late.outcome).toBe('committed');
    expect(await sql<{ n: number }>`select 1 as n`.execute(engine.db)).toMatchObject({ rows: [{ n: 1 }] });
    const check = await driver.verify(db.url);
    expectLedgerIntact(check, { maxCallMs: MAX_CALL_MS });
    expect(check.committed).toBeGreaterThan(30);
    await expectPoolSettled(engine);
  });

  it('loses no committed unit while writers keep writing through the restart', async () => {
    const engine = await engines.make({ pipelineConnections: 1 });
    const driver = new LoadDriver(engine);
    const load = driver.run({
      writers: 6,
      durationMs: 2_500,
      mode: ['transaction', 'pipelined', 'executeMany', 'copy'],
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await server.restart(mode);
    await load;
    const check = await driver.verify(db.url);
    console.log(`[faults] restart (${mode}) under load:`, summary(check));
    expectLedgerIntact(check, { maxCallMs: MAX_CALL_MS });
    expect(check.failed + check.unknown).toBeGreaterThan(0); // the restart really hit the writers
    expect(check.committed).toBeGreaterThan(check.failed + check.unknown);
    await expectPoolSettled(engine);
  });
});

describe('prepared two-phase transactions across a restart', () => {
  it('survive a crash and are committed or rolled back by xid afterwards', async () => {
    const engine = await engines.make();
    const prepare = async (unit: number, xid: string): Promise<void> => {
      await using conn = await engine.acquire();
      const tx = await conn.beginTwophase(xid);
      await conn.execute('insert into ledger (unit, part, writer) values ($1, 0, 0), ($1, 1, 0)', [unit]);
      await tx.prepare();
    };
    await prepare(1, 'fault-commit-me');
    await prepare(2, 'fault-roll-me-back');
    // A two-phase transaction not yet prepared when the server goes down is lost.
    const open = await engine.acquire();
    await open.beginTwophase('fault-unprepared');
    await open.execute('insert into ledger (unit, part, writer) values (3, 0, 0), (3, 1, 0)');

    await server.restart('immediate');
    await open.close();

    await using conn = await engine.acquire();
    const xids = await conn.recoverTwophase();
    expect(xids.sort()).toEqual(['fault-commit-me', 'fault-roll-me-back']);
    await conn.commitPrepared('fault-commit-me');
    await conn.rollbackPrepared('fault-roll-me-back');
    expect(await conn.recoverTwophase()).toEqual([]);
    const units = await observe<{ unit: number }>(db.url, 'select distinct unit from ledger order by unit');
    expect(units).toEqual([{ unit: 1 }]);
  });
});

function summary(check: Awaited<ReturnType<LoadDriver['verify']>>): string {
  return JSON.stringify({
    committed: check.committed,
    failed: check.failed,
    unknown: check.unknown,
    unknownLanded: check.unknownLanded,
    lost: check.lostCommits.length,
    phantom: check.phantomRows.length,
    errors: check.errors,
    slowestMs: check.slowestMs,
  });
}
