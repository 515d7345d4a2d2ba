import { describe, expect, it } from 'vitest';
import { newSession, PoolTimeoutError } from '../../src/index.js';
import { useTestDatabase } from '../support/test-database.js';
import { type TestEngine, useEngines } from '../support/engine-fixture.js';
import { committedUsers } from '../support/observers.js';
import { EMPTY_USERS } from '../support/sample-tables.js';
import { rejection } from '../support/rejection.js';

const db = useTestDatabase();
const engines = useEngines(db, {
  defaults: { minSize: 1, maxSize: 5 },
  shared: true,
  reset: EMPTY_USERS,
});

const INSERT = 'insert into users (name) values ($1)';

/** An engine of one connection that times out acquires quickly (closed after the test). */
function tinyEngine(): Promise<TestEngine> {
  return engines.make({ minSize: 1, maxSize: 1, acquireTimeoutMs: 100 });
}

describe('session call order', () => {
  it('runs 20 concurrent inserts in call order after one lazy BEGIN', async () => {
    await using session = await newSession(engines.shared);
    const names = Array.from({ length: 20 }, (_, i) => `u${i}`);
    await Promise.all(names.map((name) => session.execute(INSERT, [name])));
    await session.commit();
    expect(await committedUsers(db.url)).toEqual(names);
    expect(engines.shared.captured.sql.filter((s) => s === 'BEGIN')).toHaveLength(1);
  });

  it('keeps call order across commit(): later calls run in a new transaction after the COMMIT', async () => {
    await using session = await newSession(engines.shared);
    const calls = [
      session.execute(INSERT, ['a']),
      session.execute(INSERT, ['b']),
      session.commit(),
      session.execute(INSERT, ['c']),
      session.rollback(),
      session.execute(INSERT, ['d']),
      session.commit(),
    ];
    await Promise.all(calls);
    expect(await committedUsers(db.url)).toEqual(['a', 'b', 'd']);
    expect(engines.shared.captured.sql).toEqual([
      'BEGIN',
      INSERT,
      INSERT,
      'COMMIT',
      'BEGIN',
      INSERT,
      'ROLLBACK',
      'BEGIN',
      INSERT,
      'COMMIT',
    ]);
  });

  it('does not let a call made while the first waits for a connection overtake it', async () => {
    const engine = await tinyEngine();
    const holder = await engine.acquire();
    const session = await newSession(engine);
    const first = session.execute(INSERT, ['first']);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const second = session.execute(INSERT, ['second']);
    await holder.close();
    await Promise.all([first, second]);
    await session.commit();
    await session.close();
    expect(await committedUsers(db.url)).toEqual(['first', 'second']);
  });

  it('is not wedged by a failed acquire: the waiting calls fail, the next one gets a connection', async () => {
    const engine = await tinyEngine();
    const holder = await engine.acquire();
    const session = await newSession(engine);
    const failures = await Promise.all([
      rejection(session.execute(INSERT, ['lost']), PoolTimeoutError),
      session.commit().then(() => 'committed nothing'),
    ]);
    expect(failures[1]).toBe('committed nothing');
    expect(session.connected).toBe(false);
    await holder.close();
    await session.execute(INSERT, ['kept']);
    await session.commit();
    await session.close();
    expect(await committedUsers(db.url)).toEqual(['kept']);
  });
});
