import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine, ReplicaUnavailableError } from '../../src/index.js';
import { query, type ReplicaSet, startReplicaSet } from '../support/replication.js';
import { rejection } from '../support/rejection.js';
import { answeredBy, eventually, WHERE_SQL } from './replica-support.js';

// A multi-host DSN that asks for the primary feeds engine.readonly with the standbys of its
// host list, without a `replicas` option, and the split follows a failover.
let set: ReplicaSet;
const engines: Engine[] = [];

beforeAll(async () => {
  set = await startReplicaSet({ standbys: 1 });
}, 60_000);

afterEach(async () => {
  await Promise.all(engines.splice(0).map((engine) => engine.close()));
});

afterAll(async () => {
  await set?.close();
});

function hostList(attrs: string): string {
  const [standby] = set.standbys;
  if (!standby) throw new Error('no standby');
  const password = encodeURIComponent(set.primary.password);
  // The standby first: the read-write check has to skip it for the primary.
  return `postgres://postgres:${password}@127.0.0.1:${standby.port},127.0.0.1:${set.primary.port}/postgres?target_session_attrs=${attrs}`;
}

async function make(connectionString: string, options: { replicaFallback?: 'primary' | 'fail'; replicas?: string[] } = {}) {
  const engine = await createEngine({ connectionString, minSize: 0, maxSize: 4, replicaCheckIntervalMs: 100, ...options });
  engines.push(engine);
  return engine;
}

describe('a multi-host DSN with target_session_attrs=read-write', () => {
  it('writes to the primary and reads from the standby of its host list, without a replicas option', async () => {
    const engine = await make(hostList('read-write'));
    const [standby] = set.standbys;
    expect(await answeredBy(engine.fetchRow(WHERE_SQL))).toEqual({ port: set.primary.port, inRecovery: false });
    expect(await answeredBy(engine.readonly.fetchRow(WHERE_SQL))).toEqual({ port: standby?.port, inRecovery: true });
    // Both hosts are replica candidates; the primary refuses to be one and is skipped as down.
    const replicas = engine.stats().replicas;
    expect(replicas).toHaveLength(2);
    await eventually(() => engine.stats().replicas.some((replica) => replica.status === 'ready'));
    const byPort = Object.fromEntries(engine.stats().replicas.map((replica) => [replica.dsn.match(/:(\d+)\//)?.[1], replica.status]));
    expect(byPort[String(standby?.port)]).toBe('ready');
    expect(byPort[String(set.primary.port)]).toBe('down');
    expect(JSON.stringify(engine.stats().replicas)).not.toContain(set.primary.password);
  });

  it('target_session_attrs=primary does the same; any, standby and prefer-standby give no replicas', async () => {
    expect((await make(hostList('primary'))).stats().replicas).toHaveLength(2);
    for (const attrs of ['any', 'standby', 'prefer-standby']) {
      expect((await make(hostList(attrs))).stats().replicas, attrs).toEqual([]);
    }
  });

  it('replicas: [] turns it off (reads go to the primary); fail mode then names no usable replica', async () => {
    const off = await make(hostList('read-write'), { replicas: [] });
    expect(off.stats().replicas).toEqual([]);
    expect(await answeredBy(off.readonly.fetchRow(WHERE_SQL))).toEqual({ port: set.primary.port, inRecovery: false });
    const failing = await make(hostList('read-write'), { replicas: [], replicaFallback: 'fail' });
    const error = await rejection(failing.readonly.fetchRow(WHERE_SQL), ReplicaUnavailableError);
    expect(error.message).toMatch(/replica/);
  });

  // Last: it promotes the standby, which leaves the set without one.
  it('after a failover writes find the promoted standby and reads fall back to it', async () => {
    const engine = await make(hostList('read-write'));
    await query(set.primary.url, 'create table mh_items (id int primary key)');
    await engine.execute('insert into mh_items values (1)');
    await set.waitForReplay();
    expect(await engine.readonly.fetchVal('select count(*)::int from mh_items')).toBe(1);

    const [standby] = set.standbys;
    await set.primary.stop('fast');
    await standby?.promote();
    // The first write after the primary stopped may fail (its connection is lost); then the
    // engine finds the promoted server, without being recreated.
    await eventually(async () => {
      try {
        await engine.execute('insert into mh_items values (2)');
        return true;
      } catch {
        return false;
      }
    });
    expect(await answeredBy(engine.fetchRow(WHERE_SQL))).toEqual({ port: standby?.port, inRecovery: false });
    // No standby is left: reads fall back to the (new) primary and see both rows.
    await eventually(async () => {
      const read = await answeredBy(engine.readonly.fetchRow(WHERE_SQL)).catch(() => undefined);
      return read?.port === standby?.port && read?.inRecovery === false;
    });
    expect(await engine.readonly.fetchVal('select count(*)::int from mh_items')).toBe(2);
    expect(engine.stats().replicaFallbacks).toBeGreaterThan(0);
  });
});
