import { describe, expect, it } from 'vitest';
import type { Database } from '../../schema/database.js';
import { createEngine, type Engine, newSession, PoolTimeoutError } from '../../src/index.js';
import { useTestDatabase } from '../support/test-database.js';
import { committedUsers, useTrackedEngine } from './tracked-engine.js';

const db = useTestDatabase();
const tracked = useTrackedEngine(db);

const INSERT = 'insert into users (name) values ($1)';

/** An engine of one connection that times out acquires quickly. */
async function tinyEngine(): Promise<Engine<Database>> {
  return createEngine<Database>({
    connectionString: db.url,
    minSize: 1,
    maxSize: 1,
    acquireTimeoutMs: 100,
  });
}

async function dispose(engine: Engine<Database>): Promise<void> {
  await engine.close();
  await engine.waitClosed();
}

describe('session call order', () => {
  it('runs 20 concurrent inserts in call order after one lazy BEGIN', async () => {
    await using session = await newSession(tracked.engine);
    const names = Array.from({ length: 20 }, (_, i) => `u${i}`);
    await Promise.all(names.map((name) => session.execute(INSERT, [name])));
    await session.commit();
    expect(await committedUsers(db.url)).toEqual(names);
    expect(tracked.statements.filter((s) => s === 'BEGIN')).toHaveLength(1);
  });

  it('keeps call order across commit(): later calls run in a new transaction after the COMMIT', async () => {
    await using session = await newSession(tracked.engine);
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
    expect(tracked.statements).toEqual([
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
    try {
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
    } finally {
      await dispose(engine);
    }
  });

  it('is not wedged by a failed acquire: the waiting calls fail, the next one gets a connection', async () => {
    const engine = await tinyEngine();
    try {
      const holder = await engine.acquire();
      const session = await newSession(engine);
      const failures = await Promise.all([
        session.execute(INSERT, ['lost']).catch((e: unknown) => e),
        session.commit().then(() => 'committed nothing'),
      ]);
      expect(failures[0]).toBeInstanceOf(PoolTimeoutError);
      expect(failures[1]).toBe('committed nothing');
      expect(session.connected).toBe(false);
      await holder.close();
      await session.execute(INSERT, ['kept']);
      await session.commit();
      await session.close();
      expect(await committedUsers(db.url)).toEqual(['kept']);
    } finally {
      await dispose(engine);
    }
  });
});
