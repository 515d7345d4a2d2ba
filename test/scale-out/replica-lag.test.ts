import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Engine, ReplicaUnavailableError } from '../../src/index.js';
import { query, type ReplicaSet, type Standby, startReplicaSet } from '../support/replication.js';
import { rejection } from '../support/rejection.js';
import { answeredBy, eventually, replicaEngine, WHERE_SQL } from './replica-support.js';

// maxLagMs: a replica whose replay is paused (pg_wal_replay_pause) while the primary writes
// falls behind; it is skipped until it catches up.
let set: ReplicaSet;
let paused: Standby;
let other: Standby;
const engines: Engine[] = [];

beforeAll(async () => {
  set = await startReplicaSet({ standbys: 2 });
  [paused, other] = set.standbys as [Standby, Standby];
  await query(set.primary.url, 'create table lag_items (id int primary key)');
  await query(set.primary.url, 'insert into lag_items values (1)');
  await set.waitForReplay();
}, 60_000);

afterEach(async () => {
  await paused.resumeReplay();
  await set.waitForReplay();
  await Promise.all(
    engines.splice(0).map(async (engine) => {
      await engine.close();
      await engine.waitClosed();
    }),
  );
});

afterAll(async () => {
  await set?.close();
});

async function make(options: Parameters<typeof replicaEngine>[1]) {
  const engine = await replicaEngine(set, { maxLagMs: 300, replicaCheckIntervalMs: 50, ...options });
  engines.push(engine);
  return engine;
}

let nextId = 100;
/** A write on the primary the paused standby cannot replay. */
async function writeOnPrimary(): Promise<number> {
  const id = nextId++;
  await query(set.primary.url, 'insert into lag_items values ($1)', [id]);
  return id;
}

const statusOf = (engine: Engine, index: number) => engine.stats().replicas[index]?.status;

describe('maxLagMs', () => {
  it('skips a replica made to lag past maxLagMs, reads fall back to the primary, and it is used again once caught up', async () => {
    const engine = await make({ replicas: [paused.url] });
    expect(await answeredBy(engine.readonly.fetchRow(WHERE_SQL))).toEqual({ port: paused.port, inRecovery: true });

    await paused.pauseReplay();
    const id = await writeOnPrimary();
    await eventually(() => statusOf(engine, 0) === 'lagging');
    const lagging = engine.stats().replicas[0];
    expect(lagging?.lagMs).toBeGreaterThan(300);
    // The replica does not have the row; the primary, which answers now, does.
    expect(await query(paused.url, 'select count(*)::int as n from lag_items where id = $1', [id])).toEqual([{ n: 0 }]);
    expect(await answeredBy(engine.readonly.fetchRow(WHERE_SQL))).toEqual({ port: set.primary.port, inRecovery: false });
    expect(await engine.readonly.fetchVal('select count(*)::int from lag_items where id = $1', [id])).toBe(1);
    expect(engine.stats().replicaFallbacks).toBe(2);
    expect(engine.warnings.some((warning) => /is lagging: lagging \d+ ms behind \(maxLagMs 300\)/.test(warning))).toBe(true);

    await paused.resumeReplay();
    await eventually(() => statusOf(engine, 0) === 'ready');
    expect(engine.stats().replicas[0]?.lagMs).toBe(0);
    expect(await answeredBy(engine.readonly.fetchRow(WHERE_SQL))).toEqual({ port: paused.port, inRecovery: true });
    expect(await engine.readonly.fetchVal('select count(*)::int from lag_items where id = $1', [id])).toBe(1);
  });

  it('sends the reads to the replica that keeps up while the other lags', async () => {
    const engine = await make({ replicas: [paused.url, other.url] });
    await paused.pauseReplay();
    await writeOnPrimary();
    await eventually(() => statusOf(engine, 0) === 'lagging');
    expect(statusOf(engine, 1)).toBe('ready');
    for (let i = 0; i < 4; i++) {
      expect(await answeredBy(engine.readonly.fetchRow(WHERE_SQL))).toEqual({ port: other.port, inRecovery: true });
    }
    await using conn = await engine.readonly.acquire();
    expect(Number(await conn.scalar('select inet_server_port()'))).toBe(other.port);
    expect(engine.stats().replicaFallbacks).toBe(0);
  });

  it("fails with ReplicaUnavailableError naming the lag under replicaFallback: 'fail'", async () => {
    const engine = await make({ replicas: [paused.url], replicaFallback: 'fail' });
    await paused.pauseReplay();
    await writeOnPrimary();
    await eventually(() => statusOf(engine, 0) === 'lagging');
    const error = await rejection(engine.readonly.fetchVal('select 1'), ReplicaUnavailableError);
    expect(error.message).toMatch(
      new RegExp(`^no usable replica \\(replicaFallback is "fail"\\): postgresql://postgres:\\*\\*\\*@127\\.0\\.0\\.1:${paused.port}/postgres: lagging \\d+ ms behind \\(maxLagMs 300\\)$`),
    );
  });

  it('keeps using a paused replica that has nothing to replay (an idle primary is not lag)', async () => {
    const engine = await make({ replicas: [paused.url] });
    await paused.pauseReplay();
    // Longer than maxLagMs since the last transaction replayed, but nothing is waiting.
    await new Promise((resolve) => setTimeout(resolve, 600));
    const checked = engine.stats().replicas[0]?.checkedAt ?? 0;
    await eventually(() => (engine.stats().replicas[0]?.checkedAt ?? 0) > checked);
    expect(engine.stats().replicas[0]).toMatchObject({ status: 'ready', lagMs: 0 });
    expect(await answeredBy(engine.readonly.fetchRow(WHERE_SQL))).toEqual({ port: paused.port, inRecovery: true });
  });

  it('never skips a lagging replica without maxLagMs', async () => {
    const engine = await make({ replicas: [paused.url], maxLagMs: undefined });
    await paused.pauseReplay();
    await writeOnPrimary();
    await new Promise((resolve) => setTimeout(resolve, 600));
    await eventually(() => (engine.stats().replicas[0]?.lagMs ?? 0) > 300);
    expect(statusOf(engine, 0)).toBe('ready');
    expect(await answeredBy(engine.readonly.fetchRow(WHERE_SQL))).toEqual({ port: paused.port, inRecovery: true });
  });
});
