import { describe, expect, it } from 'vitest';
import type { MultiHostTargets } from '../../src/engine/dsn.js';
import { HostSelector, mismatch } from '../../src/engine/host-selection.js';
import type { LoadBalanceHosts, TargetSessionAttrs } from '../../src/index.js';

// The bookkeeping behind host choice, without a server: the order in which hosts are tried,
// what prefer-standby asks for, and which connections become stale. (The servers' side is in
// target-session-attrs.test.ts and failover.test.ts.)

const PRIMARY = { inHotStandby: false, readOnly: false };
const STANDBY = { inHotStandby: true, readOnly: true };
const READ_ONLY_PRIMARY = { inHotStandby: false, readOnly: true };

function selector(
  count: number,
  targetSessionAttrs: TargetSessionAttrs = 'read-write',
  loadBalanceHosts: LoadBalanceHosts = 'disable',
  random?: () => number,
): HostSelector {
  const targets: MultiHostTargets = {
    hosts: Array.from({ length: count }, (_, i) => ({ host: `h${i}`, port: 5432, database: 'db', user: 'u' })),
    targetSessionAttrs,
    loadBalanceHosts,
  };
  return new HostSelector(targets, 'pw', random);
}

describe('mismatch, in libpq’s words', () => {
  it('says why each kind of server fails each setting', () => {
    expect(mismatch('read-write', STANDBY)).toBe('session is read-only');
    expect(mismatch('read-write', READ_ONLY_PRIMARY)).toBe('session is read-only');
    expect(mismatch('read-write', PRIMARY)).toBeUndefined();
    expect(mismatch('read-only', PRIMARY)).toBe('session is not read-only');
    expect(mismatch('read-only', READ_ONLY_PRIMARY)).toBeUndefined();
    expect(mismatch('primary', STANDBY)).toBe('server is in hot standby mode');
    expect(mismatch('primary', READ_ONLY_PRIMARY)).toBeUndefined();
    expect(mismatch('standby', PRIMARY)).toBe('server is not in hot standby mode');
    expect(mismatch('standby', STANDBY)).toBeUndefined();
    expect(mismatch('any', STANDBY)).toBeUndefined();
  });
});

describe('the order hosts are tried in', () => {
  it('starts with the first host, skips to the next after a refusal, and keeps a host that matched', () => {
    const hosts = selector(3);
    expect(hosts.pick().index).toBe(0);
    hosts.refuse(0, 'read-write', 'connect ECONNREFUSED', new Error('refused'));
    expect(hosts.pick().index).toBe(1);
    hosts.refuse(1, 'read-write', 'session is read-only', undefined, STANDBY);
    const third = hosts.pick();
    expect(third.index).toBe(2);
    hosts.connected({}, 2, PRIMARY, third.epoch);
    expect(hosts.pick().index, 'the host that matched comes first').toBe(2);
  });

  it('tries the hosts that refused last, the least recently refused first', () => {
    const hosts = selector(2);
    hosts.refuse(0, 'read-write', 'down', new Error('down'));
    hosts.refuse(1, 'read-write', 'down', new Error('down'));
    expect(hosts.pick().index).toBe(0);
    hosts.refuse(0, 'read-write', 'down', new Error('down'));
    expect(hosts.pick().index).toBe(1);
  });

  it('random follows the shuffle and does not stick to a host that matched', () => {
    const sequence = [0.99, 0.99, 0, 0];
    let call = 0;
    const hosts = selector(3, 'any', 'random', () => sequence[call++ % sequence.length] as number);
    const first = hosts.pick();
    hosts.connected({}, first.index, PRIMARY, first.epoch);
    // Fisher–Yates with 0 swaps the last two positions with the first: a different host leads.
    expect(hosts.pick().index).not.toBe(first.index);
  });
});

describe('prefer-standby', () => {
  it('asks for a standby until every host is known not to be one, then for any server', () => {
    const hosts = selector(2, 'prefer-standby');
    expect(hosts.requirement()).toBe('standby');
    hosts.refuse(0, 'standby', 'server is not in hot standby mode', undefined, PRIMARY);
    expect(hosts.requirement()).toBe('standby');
    hosts.refuse(1, 'standby', 'connect ECONNREFUSED', new Error('refused'));
    expect(hosts.requirement()).toBe('any');
    expect(hosts.pick()).toMatchObject({ index: 0, requirement: 'any' });
  });
});

describe('stale connections', () => {
  it('a lost or demoted connection makes every older connection to its host stale, and no other', () => {
    const hosts = selector(2);
    const [a, b, other] = [{}, {}, {}];
    hosts.connected(a, 0, PRIMARY, 0);
    hosts.connected(b, 0, PRIMARY, 0);
    hosts.connected(other, 1, PRIMARY, 0);
    expect([hosts.isStale(a), hosts.isStale(b), hosts.isStale(other)]).toEqual([false, false, false]);
    hosts.invalidate(a, 'session is read-only', READ_ONLY_PRIMARY);
    expect([hosts.isStale(a), hosts.isStale(b), hosts.isStale(other)]).toEqual([true, true, false]);
    // A second report from an already stale connection does not invalidate the new ones.
    const fresh = {};
    hosts.connected(fresh, 0, PRIMARY, 1); // the host's epoch after one invalidation
    hosts.invalidate(b, 'connection lost');
    expect(hosts.isStale(fresh)).toBe(false);
  });

  it('a connection whose login raced its host’s invalidation is stale at once', () => {
    const hosts = selector(1);
    const old = {};
    hosts.connected(old, 0, PRIMARY, 0);
    const racing = hosts.pick();
    hosts.invalidate(old, 'session is read-only', READ_ONLY_PRIMARY);
    const late = {};
    hosts.connected(late, 0, PRIMARY, racing.epoch);
    expect(hosts.isStale(late)).toBe(true);
  });

  it('doom discards one connection and leaves its host alone', () => {
    const hosts = selector(1);
    const [doomed, kept] = [{}, {}];
    hosts.connected(doomed, 0, PRIMARY, 0);
    hosts.connected(kept, 0, PRIMARY, 0);
    hosts.doom(doomed);
    expect([hosts.isStale(doomed), hosts.isStale(kept)]).toEqual([true, false]);
  });
});
