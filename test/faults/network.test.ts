import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CANCEL_GRACE_MS } from '../../src/connection/statement-timeout.js';
import { createEngine, OperationalError, PoolTimeoutError, QueryCanceledError } from '../../src/index.js';
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
import { rejection } from '../support/rejection.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { observe, useTestDatabase } from '../support/test-database.js';

// Fault kit, part 3: the network between pgsa and the server black-holed (a partition: nothing
// arrives, nothing closes), reset, cut in the middle of a COPY, and slowed down — at connect,
// mid-statement, mid-COPY, during COMMIT, with each timeout option doing its part.

const db = useTestDatabase();
let proxy: TcpProxy;
beforeEach(async () => {
  const target = new URL(db.url);
  proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port) });
});
afterEach(async () => {
  proxy.heal();
  await proxy.close();
});

const STATEMENT_TIMEOUT_MS = 300;
/** What the engine's statementTimeoutMs bounds a round trip to under a partition. */
const ANSWER_BOUND_MS = STATEMENT_TIMEOUT_MS + CANCEL_GRACE_MS;
const engines = useEngines<LedgerDB>(db, {
  setup: LEDGER_TABLE,
  reset: EMPTY_LEDGER,
  defaults: {
    minSize: 1,
    maxSize: 4,
    pipelineConnections: 1,
    statementTimeoutMs: STATEMENT_TIMEOUT_MS,
    connectTimeoutMs: 1_000,
    acquireTimeoutMs: 4_000,
  },
});
failOnUnhandled();

function viaProxy(options: Parameters<typeof engines.make>[0] = {}) {
  return engines.make({ connectionString: proxy.urlFor(db.url), ...options });
}

const UNREACHABLE = new RegExp(
  `^no answer from the server for ${ANSWER_BOUND_MS} ms \\(statementTimeoutMs of ` +
    `${STATEMENT_TIMEOUT_MS} ms plus ${CANCEL_GRACE_MS} ms\\): the connection was closed and ` +
    "the statement's outcome is unknown$",
);

describe('a black-holed network at connect', () => {
  it('fails createEngine after connectTimeoutMs with OperationalError naming the target, not the password', async () => {
    proxy.blackHole();
    const url = proxy.urlFor(db.url);
    const outcome = await timed(createEngine({ connectionString: url, connectTimeoutMs: 300 }));
    expect(outcome.error).toBeInstanceOf(OperationalError);
    const message = (outcome.error as Error).message;
    expect(message).toContain(`host 127.0.0.1, port ${proxy.port}`);
    expect(message).not.toContain(db.password);
    expect(outcome.ms).toBeGreaterThanOrEqual(290);
    expect(outcome.ms).toBeLessThan(1_500);
  });

  it('fails acquire with PoolTimeoutError after acquireTimeoutMs while a new connection cannot open', async () => {
    const engine = await viaProxy({ minSize: 0, acquireTimeoutMs: 300, connectTimeoutMs: 5_000 });
    proxy.blackHole();
    const outcome = await timed(engine.acquire());
    expect(outcome.error).toBeInstanceOf(PoolTimeoutError);
    expect(outcome.ms).toBeLessThan(1_500);
    expect(engine.stats().timeouts).toBe(1);
    proxy.heal();
    await using conn = await engine.acquire();
    expect(await conn.scalar('select 1')).toBe(1);
  });

  it('fails acquire at once with OperationalError when the server refuses connections', async () => {
    const engine = await viaProxy({ minSize: 0 });
    proxy.refuse = true;
    const outcome = await timed(engine.acquire());
    expect(outcome.error).toBeInstanceOf(OperationalError);
    expect((outcome.error as Error).message).toContain(`host 127.0.0.1, port ${proxy.port}`);
    expect(outcome.ms).toBeLessThan(1_000);
    proxy.refuse = false;
    await using conn = await engine.acquire();
    expect(await conn.scalar('select 1')).toBe(1);
  });
});

describe('a connection reset mid-statement', () => {
  it.each<WriteMode>(['transaction', 'pipelined', 'executeMany'])(
    '%s: OperationalError at once, nothing of the unit stored, the pool recovers',
    async (mode) => {
      const engine = await viaProxy();
      const driver = new LoadDriver(engine);
      const marker = `reset-${mode}`;
      const unit = driver.runUnit(0, mode, { at: 'statement', marker });
      await backendRunning(db.url, marker);
      proxy.reset();
      const record = await unit;
      expect(record.error).toBeInstanceOf(OperationalError);
      await driver.runUnit(0, mode);
      const check = await driver.verify(db.url);
      expectLedgerIntact(check, { maxCallMs: 1_000 });
      expect(check.committed).toBe(1);
      await expectPoolSettled(engine);
    },
  );
});

describe('a black-holed network mid-statement, with the engine statementTimeoutMs', () => {
  it.each<WriteMode>(['transaction', 'pipelined', 'executeMany', 'copy'])(
    '%s: OperationalError within statementTimeoutMs plus the grace; nothing stored after the heal',
    async (mode) => {
      const engine = await viaProxy();
      const driver = new LoadDriver(engine);
      await driver.runUnit(0, mode); // the connections are open before the partition
      proxy.blackHole();
      const record = await driver.runUnit(1, mode);
      expect(record.error).toBeInstanceOf(OperationalError);
      expect((record.error as Error).message).toMatch(UNREACHABLE);
      expect(record.ms).toBeGreaterThanOrEqual(ANSWER_BOUND_MS - 50);
      expect(record.ms).toBeLessThan(ANSWER_BOUND_MS + 1_000);
      proxy.heal();
      await driver.runUnit(2, mode);
      const check = await driver.verify(db.url);
      expectLedgerIntact(check, { maxCallMs: ANSWER_BOUND_MS + 1_000 });
      expect(check.committed).toBe(2);
      await expectPoolSettled(engine);
    },
  );

  it('bounds a connection that went silent while idle in the pool, and the pool recovers', async () => {
    const engine = await viaProxy({ pipelineConnections: 0, minSize: 2 });
    await expectPoolSettled(engine);
    proxy.blackHole();
    const driver = new LoadDriver(engine);
    const records = await Promise.all([0, 1].map((writer) => driver.runUnit(writer, 'transaction')));
    for (const record of records) {
      expect(record.error).toBeInstanceOf(OperationalError);
      expect(record.ms).toBeLessThan(ANSWER_BOUND_MS + 1_000);
    }
    proxy.heal();
    await driver.run({ writers: 2, units: 10, mode: 'transaction' });
    const check = await driver.verify(db.url);
    expectLedgerIntact(check, { maxCallMs: ANSWER_BOUND_MS + 1_000 });
    expect(check.committed).toBe(8);
    await expectPoolSettled(engine);
  });
});

describe('a stream under the engine statementTimeoutMs', () => {
  it('black-holed between batches: the loop fails within the bound with OperationalError', async () => {
    const engine = await viaProxy({ pipelineConnections: 0 });
    const conn = await engine.acquire();
    let read = 0;
    const outcome = await timed(
      (async () => {
        for await (const _row of conn.stream('select n from generate_series(1, 100000) n', { batchSize: 100 })) {
          if (++read === 150) proxy.blackHole();
        }
      })(),
    );
    expect(outcome.error).toBeInstanceOf(OperationalError);
    expect((outcome.error as Error).message).toMatch(UNREACHABLE);
    expect(outcome.ms).toBeLessThan(ANSWER_BOUND_MS + 1_000);
    proxy.heal();
    await conn.close();
    await expectPoolSettled(engine);
  });

  it('counts as one statement for the server: open longer than statementTimeoutMs, it is cancelled', async () => {
    // PostgreSQL's statement_timeout runs from the cursor's first message to its Sync, so a slow
    // consumer, not only a slow server, ends the stream: QueryCanceledError, connection usable.
    const engine = await viaProxy({ pipelineConnections: 0 });
    await using conn = await engine.acquire();
    let read = 0;
    const error = await rejection(
      (async () => {
        for await (const _row of conn.stream('select n from generate_series(1, 300) n', { batchSize: 100 })) {
          if (++read === 50) await new Promise((resolve) => setTimeout(resolve, STATEMENT_TIMEOUT_MS + 200));
        }
      })(),
      QueryCanceledError,
    );
    expect(error).toMatchObject({ sqlstate: '57014', message: 'canceling statement due to statement timeout' });
    expect(read).toBeGreaterThanOrEqual(50);
    expect(read).toBeLessThan(300);
    expect(await conn.scalar('select 1')).toBe(1);
  });
});

describe('a black-holed network while COMMIT is in flight', () => {
  it('fails the transaction as of unknown outcome; the server may commit it once the network heals', async () => {
    const engine = await viaProxy();
    const driver = new LoadDriver(engine);
    const { until, release } = gate();
    const unit = driver.runUnit(0, 'transaction', { at: 'before-commit', marker: 'in-doubt', until });
    await new Promise((resolve) => setTimeout(resolve, 50));
    proxy.blackHole();
    release(); // COMMIT is written into the partition
    const record = await unit;
    expect(record.outcome).toBe('unknown');
    expect((record.error as Error).message).toMatch(UNREACHABLE);
    proxy.heal(); // what was held reaches the server: it commits, nobody is told
    await expectPoolSettled(engine);
    const check = await driver.verify(db.url);
    expectLedgerIntact(check, { maxCallMs: ANSWER_BOUND_MS + 1_000 });
    // Either way is correct for an unknown outcome; here the held COMMIT did arrive.
    expect(check.unknown).toBe(1);
    expect(check.unknownLanded).toBe(await countUnits());
  });
});

describe('a network failing mid-COPY', () => {
  const rows = Array.from({ length: 20_000 }, (_, i) => [i + 1, 0, 0]);

  it('cut after 64 KiB: copyFrom fails with OperationalError at once and stores nothing', async () => {
    const engine = await viaProxy({ pipelineConnections: 0 });
    await expectPoolSettled(engine);
    proxy.cutAfter(64 * 1024);
    const outcome = await timed(engine.copyFrom('ledger', rows, { columns: ['unit', 'part', 'writer'] }));
    expect(outcome.error).toBeInstanceOf(OperationalError);
    expect(outcome.ms).toBeLessThan(1_000);
    proxy.cutAfter(Infinity);
    expect(await countUnits()).toBe(0);
    await expectPoolSettled(engine);
  });

  it('black-holed: copyFrom fails within the bound and stores nothing after the heal', async () => {
    const engine = await viaProxy({ pipelineConnections: 0 });
    await expectPoolSettled(engine);
    const copying = timed(engine.copyFrom('ledger', rows, { columns: ['unit', 'part', 'writer'] }));
    proxy.blackHole();
    const outcome = await copying;
    expect(outcome.error).toBeInstanceOf(OperationalError);
    expect(outcome.ms).toBeLessThan(ANSWER_BOUND_MS + 1_000);
    proxy.heal();
    await expectPoolSettled(engine);
    expect(await countUnits()).toBe(0);
  });
});

describe('a slow network (30 ms each way)', () => {
  it('commits every unit in every mode, and a statement timeout still cancels', async () => {
    const engine = await viaProxy({ statementTimeoutMs: 2_000 });
    proxy.latencyMs = 30;
    const driver = new LoadDriver(engine);
    await driver.run({ writers: 4, units: 16, mode: ['transaction', 'pipelined', 'executeMany', 'copy'] });
    const check = await driver.verify(db.url);
    expectLedgerIntact(check, { maxCallMs: 2_000 });
    expect(check.committed).toBe(16);
    const slow = await rejection(
      sql`select pg_sleep(10)`.execute(engine.db),
      OperationalError,
    );
    expect(slow).toMatchObject({ sqlstate: '57014' });
    await expectPoolSettled(engine);
  });
});

async function countUnits(): Promise<number> {
  const [row] = await observe<{ n: number }>(db.url, 'select count(distinct unit)::int as n from ledger');
  return row?.n ?? -1;
}
