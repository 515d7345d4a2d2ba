import { describe, expect, it } from 'vitest';
import {
  atomic,
  dbSession,
  InterfaceError,
  type OnOpenTransaction,
  runInNewContext,
} from '../../src/index.js';
import { useTestDatabase } from '../support/test-database.js';
import { committedUsers, useTrackedEngine } from './tracked-engine.js';

const db = useTestDatabase();
const tracked = useTrackedEngine(db);

async function insertUser(name: string): Promise<void> {
  const session = await dbSession(tracked.engine);
  await session.execute('insert into users (name) values ($1)', [name]);
}

const boom = new Error('boom');

async function failingBlock(mode?: OnOpenTransaction): Promise<unknown> {
  return atomic(
    tracked.engine,
    async () => {
      await insertUser('in-block');
      throw boom;
    },
    mode ? { onOpenTransaction: mode } : {},
  ).catch((e: unknown) => e);
}

describe('atomic', () => {
  it('raises InterfaceError outside a context', async () => {
    const error = await atomic(tracked.engine, () => 1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InterfaceError);
    expect((error as Error).message).toBe(
      'no session context: wrap the work in runInNewContext or use the middleware',
    );
  });

  it('commits its block at once and returns its value', async () => {
    await runInNewContext(async () => {
      const value = await atomic(tracked.engine, async (session) => {
        expect(session).toBe(await dbSession(tracked.engine));
        await insertUser('ann');
        return 'done';
      });
      expect(value).toBe('done');
      expect(await committedUsers(db.url)).toEqual(['ann']);
      expect((await dbSession(tracked.engine)).inTransaction).toBe(false);
    });
  });

  it('rolls back and rethrows when its block throws, and the session stays usable', async () => {
    await runInNewContext(async () => {
      expect(await failingBlock()).toBe(boom);
      expect(await committedUsers(db.url)).toEqual([]);
      await insertUser('after');
    });
    expect(await committedUsers(db.url)).toEqual(['after']);
  });

  it("commits the open transaction first by default ('commit')", async () => {
    await runInNewContext(async () => {
      await insertUser('before');
      expect(await failingBlock()).toBe(boom);
      expect(await committedUsers(db.url)).toEqual(['before']);
    });
    expect(await committedUsers(db.url)).toEqual(['before']);
    expect(tracked.statements.filter((s) => s === 'COMMIT' || s === 'ROLLBACK')).toEqual([
      'COMMIT',
      'ROLLBACK',
    ]);
  });

  it("rolls back the open transaction first with 'rollback'", async () => {
    await runInNewContext(async () => {
      await insertUser('before');
      await atomic(tracked.engine, () => insertUser('in-block'), {
        onOpenTransaction: 'rollback',
      });
      expect(await committedUsers(db.url)).toEqual(['in-block']);
    });
    expect(await committedUsers(db.url)).toEqual(['in-block']);
  });

  it("joins the open transaction with 'append': an error rolls back the earlier work too", async () => {
    await runInNewContext(async () => {
      await insertUser('before');
      expect(await failingBlock('append')).toBe(boom);
      expect((await dbSession(tracked.engine)).inTransaction).toBe(false);
      await insertUser('after');
    });
    expect(await committedUsers(db.url)).toEqual(['after']);
  });

  it("commits the joined transaction at the end of the block with 'append'", async () => {
    await runInNewContext(async () => {
      await insertUser('before');
      await atomic(tracked.engine, () => insertUser('in-block'), { onOpenTransaction: 'append' });
      expect(await committedUsers(db.url)).toEqual(['before', 'in-block']);
      expect((await dbSession(tracked.engine)).inTransaction).toBe(false);
    });
    expect(tracked.statements.filter((s) => s === 'BEGIN')).toHaveLength(1);
    expect(tracked.statements.filter((s) => s === 'COMMIT')).toHaveLength(1);
  });

  it("begins and commits its own transaction with 'append' when none is open", async () => {
    await runInNewContext(async () => {
      await atomic(tracked.engine, () => insertUser('ann'), { onOpenTransaction: 'append' });
      expect(await committedUsers(db.url)).toEqual(['ann']);
    });
  });

  it("leaves exactly the seed's 5 rows after commit, rollback, append, failing append and raise blocks", async () => {
    // context-async-sqlalchemy's atomic_db_session example, one insert of open work before each block.
    const error = await runInNewContext(async () => {
      await insertUser('open-1'); // committed by the next block
      await atomic(tracked.engine, () => insertUser('commit-block'));
      await insertUser('open-2'); // rolled back by the next block
      await atomic(tracked.engine, () => insertUser('rollback-block'), {
        onOpenTransaction: 'rollback',
      });
      await insertUser('open-3'); // joined and committed by the next block
      await atomic(tracked.engine, () => insertUser('append-block'), {
        onOpenTransaction: 'append',
      });
      await insertUser('open-4'); // joined and rolled back by the failing block
      expect(await failingBlock('append')).toBe(boom);
      await insertUser('open-5'); // the 'raise' block refuses; the context rolls it back
      await atomic(tracked.engine, () => insertUser('raise-block'), { onOpenTransaction: 'raise' });
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InterfaceError);
    expect(await committedUsers(db.url)).toEqual([
      'open-1',
      'commit-block',
      'rollback-block',
      'open-3',
      'append-block',
    ]);
  });

  it("raises InterfaceError with 'raise' and leaves the open transaction alone", async () => {
    await runInNewContext(async () => {
      await insertUser('before');
      const error = await failingBlock('raise');
      expect(error).toBeInstanceOf(InterfaceError);
      expect((error as Error).message).toBe(
        "cannot start an atomic block: the session already has an open transaction (onOpenTransaction: 'raise')",
      );
      expect((await dbSession(tracked.engine)).inTransaction).toBe(true);
    });
    expect(await committedUsers(db.url)).toEqual(['before']);
  });

  it("runs normally with 'raise' when no transaction is open", async () => {
    await runInNewContext(async () => {
      await atomic(tracked.engine, () => insertUser('ann'), { onOpenTransaction: 'raise' });
      expect(await committedUsers(db.url)).toEqual(['ann']);
    });
  });

  it('refuses an unknown onOpenTransaction mode', async () => {
    await runInNewContext(async () => {
      const error = await atomic(tracked.engine, () => 1, {
        onOpenTransaction: 'nest' as OnOpenTransaction,
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InterfaceError);
      expect((error as Error).message).toBe(
        'unknown onOpenTransaction "nest": use \'commit\', \'rollback\', \'append\' or \'raise\'',
      );
    });
  });
});
