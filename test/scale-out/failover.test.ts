import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createEngine,
  type Engine,
  InternalError,
  NoSuitableHostError,
  OperationalError,
  PgsaError,
} from '../../src/index.js';
import { expectPoolSettled, failOnUnhandled, gate } from '../support/fault-checks.js';
import { expectLedgerIntact, LEDGER_TABLE, type LedgerDB, LoadDriver } from '../support/load-driver.js';
import { rejection } from '../support/rejection.js';
import { query, type ReplicaSet, type Standby, startReplicaSet } from '../support/replication.js';

// Failover under load: a multi-host engine with target_session_attrs=read-write keeps running
// while its primary goes away and the standby is promoted, without being recreated. What the
// callers were told must match what the new primary holds, and once the engine has seen the old
// primary fail or turn read-only it never hands out a connection to it again.

failOnUnhandled();

let set: ReplicaSet | undefined;
let engine: Engine<LedgerDB> | undefined;
afterEach(async () => {
  await engine?.close();
  await engine?.waitClosed();
  engine = undefined;
  await set?.close();
  set = undefined;
});

/** A replica set with the ledger table on it, replayed to the standby. */
async function ledgerSet(): Promise<{ set: ReplicaSet; standby: Standby }> {
  set = await startReplicaSet({ standbys: 1 });
  await query(set.primary.url, LEDGER_TABLE);
  await set.waitForReplay();
  return { set, standby: set.standbys[0] as Standby };
}

function readWriteUrl(primary: { url: string; port: number }, standby: { port: number }): string {
  const url = new URL(primary.url);
  return (
    `postgres://${url.username}:${url.password}@127.0.0.1:${primary.port},127.0.0.1:${standby.port}` +
    '/postgres?target_session_attrs=read-write'
  );
}

async function rowCount(url: string): Promise<number> {
  const [row] = await query<{ n: number }>(url, 'select count(*)::int as n from ledger');
  return row?.n ?? -1;
}

describe('failover to a promoted standby', () => {
  it(
    'keeps committing through a primary stop and promotion: rows on the new primary are exactly the successful commits',
    async () => {
      const { set, standby } = await ledgerSet();
      const warnings: string[] = [];
      engine = await createEngine<LedgerDB>({
        connectionString: readWriteUrl(set.primary, standby),
        minSize: 2,
        maxSize: 6,
        acquireTimeoutMs: 10_000,
        connectRetries: { attempts: 5, baseMs: 50, maxMs: 200 },
        logger: { warn: (message) => void warnings.push(message) },
      });
      const first = engine;
      const driver = new LoadDriver(engine);
      const load = driver.run({ writers: 6, mode: ['transaction', 'pipelined'], durationMs: 6_000 });
      await sleep(1_500);
      // Two transactions certainly open on the old primary when it stops: idle after their first insert.
      const held = gate();
      const stalled = [0, 1].map((i) =>
        driver.runUnit(100 + i, 'transaction', { at: 'idle', marker: `stalled-${i}`, until: held.until }),
      );
      await sleep(100);
      const beforeStop = driver.records.filter((record) => record.outcome === 'committed').length;
      await set.primary.stop('fast');
      await standby.promote();
      const lastUnitBeforePromotion = driver.records.length;
      held.release();
      for (const record of await Promise.all(stalled)) {
        expect(record.outcome, 'a transaction open on the stopped primary').toBe('failed');
        expect(record.error).toBeInstanceOf(OperationalError);
      }
      await load;

      const check = await driver.verify(standby.url);
      expectLedgerIntact(check, { maxCallMs: 10_000 });
      expect(await rowCount(standby.url), 'rows = 2 per committed unit (plus in-doubt ones that landed)').toBe(
        2 * (check.committed + check.unknownLanded),
      );
      expect(beforeStop, 'commits on the old primary').toBeGreaterThan(20);
      expect(check.failed + check.unknown, 'units cut by the stop').toBeGreaterThanOrEqual(2);
      const afterPromotion = driver.records.filter(
        (record) => record.unit > lastUnitBeforePromotion && record.outcome === 'committed',
      );
      expect(afterPromotion.length, 'commits on the promoted standby').toBeGreaterThan(20);
      // The errors callers saw while no server was writable are typed connection errors.
      for (const record of driver.records) {
        if (record.error !== undefined) expect(record.error).toBeInstanceOf(PgsaError);
      }
      expect(engine, 'the same engine').toBe(first);
      expect(await engine.fetchVal('select inet_server_port()')).toBe(standby.port);
      await expectPoolSettled(engine);
      expect(warnings.join('\n')).not.toContain(set.primary.password);
    },
    40_000,
  );

  it(
    'never hands out a connection to a primary turned read-only once it has seen it, and finds the promoted standby',
    async () => {
      const { set, standby } = await ledgerSet();
      engine = await createEngine<LedgerDB>({
        connectionString: readWriteUrl(set.primary, standby),
        minSize: 4,
        maxSize: 6,
        acquireTimeoutMs: 10_000,
        connectRetries: { attempts: 5, baseMs: 50, maxMs: 200 },
        logger: { warn: () => {} },
      });
      const live = engine;
      /** Every transaction's connection: when it was handed out and to which server. */
      const handedOut: { at: number; port: number }[] = [];
      let detectedAt = Number.POSITIVE_INFINITY;
      const writers = 4;
      let committed = 0;
      const readOnlyErrors: InternalError[] = [];
      const otherErrors: unknown[] = [];
      const deadline = performance.now() + 5_000;
      const writer = async (id: number): Promise<void> => {
        for (let i = 0; performance.now() < deadline; i++) {
          try {
            await live.transaction(async (conn) => {
              handedOut.push({ at: performance.now(), port: (conn.raw as pg.PoolClient & { port: number }).port });
              await conn.execute('insert into ledger (unit, part, writer) values ($1, 0, $2), ($1, 1, $2)', [
                id * 100_000 + i,
                id,
              ]);
            });
            committed++;
          } catch (error) {
            if (error instanceof InternalError && error.sqlstate === '25006') {
              readOnlyErrors.push(error);
            } else {
              otherErrors.push(error);
            }
          }
          await sleep(5);
        }
      };
      const load = Promise.all(Array.from({ length: writers }, (_, id) => writer(id)));
      await sleep(1_000);
      // The old primary is fenced (sessions default to read-only), then the standby promoted.
      await query(set.primary.url, 'alter system set default_transaction_read_only = on');
      await query(set.primary.url, 'select pg_reload_conf()');
      // The backends take the new setting at their next command (once the signal arrived) and
      // report it with its answer: when this statement settles, the engine has seen it (here,
      // or earlier on a writer's connection).
      await sleep(100);
      await live.execute('select 1').catch(() => {});
      detectedAt = performance.now();
      await set.waitForReplay();
      await standby.promote();
      await load;

      // Only transactions already under way when the change was seen can meet it.
      expect(readOnlyErrors.length, 'transactions that met the read-only primary').toBeLessThanOrEqual(writers);
      for (const error of readOnlyErrors) expect(error.message).toBe('cannot execute INSERT in a read-only transaction');
      for (const error of otherErrors) expect(error).toBeInstanceOf(NoSuitableHostError);
      expect(handedOut.filter((event) => event.at < detectedAt && event.port === set.primary.port).length).toBeGreaterThan(20);
      const after = handedOut.filter((event) => event.at > detectedAt);
      expect(after.length, 'connections handed out after the read-only primary was seen').toBeGreaterThan(20);
      expect(new Set(after.map((event) => event.port)), 'servers of those connections').toEqual(new Set([standby.port]));
      // Everything committed is on the new primary: the old one took no write once read-only.
      expect(await rowCount(standby.url)).toBe(2 * committed);
      await expectPoolSettled(engine);
    },
    40_000,
  );
  it(
    'under target_session_attrs=standby, a promoted standby’s pooled connections are dropped once one of them has seen the promotion',
    async () => {
      const { set, standby } = await ledgerSet();
      const url = new URL(set.primary.url);
      engine = await createEngine<LedgerDB>({
        connectionString:
          `postgres://${url.username}:${url.password}@127.0.0.1:${set.primary.port},127.0.0.1:${standby.port}` +
          '/postgres?target_session_attrs=standby',
        minSize: 3,
        maxSize: 3,
        pipelineConnections: 0,
        connectRetries: { attempts: 1 },
        // The refill of minSize keeps failing (no standby left): its warnings are expected.
        logger: { warn: () => {} },
      });
      expect(await engine.fetchVal('select pg_is_in_recovery()')).toBe(true);
      expect(engine.size).toBe(3);
      await standby.promote();
      // The server tells a session it left hot standby (in_hot_standby) with its next answer.
      expect(await engine.fetchVal('select pg_is_in_recovery()')).toBe(false);
      const error = await rejection(engine.acquire(), NoSuitableHostError);
      // In either order: the background refill of minSize refuses hosts too, which reorders them.
      expect(new Map(error.hosts.map((host) => [host.port, host.reason]))).toEqual(
        new Map([
          [set.primary.port, 'server is not in hot standby mode'],
          [standby.port, 'server is not in hot standby mode'],
        ]),
      );
      expect(engine.freeSize, 'the pooled connections to the promoted server were closed').toBe(0);
    },
    40_000,
  );
});
