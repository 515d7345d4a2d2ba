import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { query, type ReplicaSet, startReplicaSet } from '../support/replication.js';

// The harness itself: a primary with a streaming standby, replay pause, and promotion.
describe('test/support/replication.ts', () => {
  let set: ReplicaSet;
  beforeAll(async () => {
    set = await startReplicaSet();
  }, 60_000);
  afterAll(async () => {
    await set?.close();
  });

  it('streams the primary’s writes to a read-only standby', async () => {
    const [standby] = set.standbys;
    if (!standby) throw new Error('no standby');
    await query(set.primary.url, 'create table harness_t (n int)');
    await query(set.primary.url, 'insert into harness_t values (1), (2)');
    await set.waitForReplay();
    expect(await query(standby.url, 'select count(*)::int as n from harness_t')).toEqual([{ n: 2 }]);
    expect(await standby.inRecovery()).toBe(true);
    await expect(query(standby.url, 'insert into harness_t values (3)')).rejects.toThrow(/read-only transaction/);

    await standby.pauseReplay();
    await query(set.primary.url, 'insert into harness_t values (3)');
    await expect(set.waitForReplay(500)).rejects.toThrow(/did not replay/);
    expect(await query(standby.url, 'select count(*)::int as n from harness_t')).toEqual([{ n: 2 }]);
    await standby.resumeReplay();
    await set.waitForReplay();
    expect(await query(standby.url, 'select count(*)::int as n from harness_t')).toEqual([{ n: 3 }]);
  });

  it('promotes the standby after the primary stops', async () => {
    const [standby] = set.standbys;
    if (!standby) throw new Error('no standby');
    await set.primary.stop('fast');
    await standby.promote();
    expect(await standby.inRecovery()).toBe(false);
    await query(standby.url, 'insert into harness_t values (4)');
    expect(await query(standby.url, 'select count(*)::int as n from harness_t')).toEqual([{ n: 4 }]);
  });
});
