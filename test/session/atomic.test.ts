import { describe, expect, it } from 'vitest';
import {
  atomic,
  dbSession,
  InterfaceError,
  type OnOpenTransaction,
  runInNewContext,
} from '../../src/index.js';
import { useTestDatabase } from '../support/test-database.js';
import { useEngines } from '../support/engine-fixture.js';
import { committedUsers } from '../support/observers.js';
import { EMPTY_USERS } from '../support/sample-tables.js';
import { rejection } from '../support/rejection.js';

const db = useTestDatabase();
const engines = useEngines(db, {
  defaults: { minSize: 1, maxSize: 5 },
  shared: true,
  reset: EMPTY_USERS,
});

async function insertUser(name: string): Promise<void> {
  const session = await dbSession(engines.shared);
  await session.execute('insert into users (name) values ($1)', [name]);
}

const boom = new Error('boom');

async function failingBlock(mode?: OnOpenTransaction): Promise<Error> {
  return rejection(
    atomic(
      engines.shared,
      async () => {
        await insertUser('in-block');
        throw boom;
      },
      mode ? { onOpenTransaction: mode } : {},
    ),
    Error,
  );
}

describe('atomic', () => {
  it('raises InterfaceError outside a context', async () => {
    const error = await rejection(atomic(engines.shared, () => 1), InterfaceError);
    expect(error.message).toBe(
      'no session context: wrap the work in runInNewContext or use the middleware',
    );
  });

  it('commits its block at once and returns its value', async () => {
    await runInNewContext(async () => {
      const value = await atomic(engines.shared, async (session) => {
        expect(session).toBe(await dbSession(engines.shared));
        await insertUser('ann');
        return 'done';
      });
      expect(value).toBe('done');
      expect(await committedUsers(db.url)).toEqual(['ann']);
      expect((await dbSession(engines.shared)).inTransaction).toBe(false);
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
    expect(engines.shared.captured.sql.filter((s) => s === 'COMMIT' || s === 'ROLLBACK')).toEqual([
      'COMMIT',
      'ROLLBACK',
    ]);
  });

  it("rolls back the open transaction first with 'rollback'", async () => {
    await runInNewContext(async () => {
      await insertUser('before');
      await atomic(engines.shared, () => insertUser('in-block'), {
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
      expect((await dbSession(engines.shared)).inTransaction).toBe(false);
      await insertUser('after');
    });
    expect(await committedUsers(db.url)).toEqual(['after']);
  });

  it("commits the joined transaction at the end of the block with 'append'", async () => {
    await runInNewContext(async () => {
      await insertUser('before');
      await atomic(engines.shared, () => insertUser('in-block'), { onOpenTransaction: 'append' });
      expect(await committedUsers(db.url)).toEqual(['before', 'in-block']);
      expect((await dbSession(engines.shared)).inTransaction).toBe(false);
    });
    expect(engines.shared.captured.sql.filter((s) => s === 'BEGIN')).toHaveLength(1);
    expect(engines.shared.captured.sql.filter((s) => s === 'COMMIT')).toHaveLength(1);
  });

  it("begins and commits its own transaction with 'append' when none is open", async () => {
    await runInNewContext(async () => {
      await atomic(engines.shared, () => insertUser('ann'), { onOpenTransaction: 'append' });
      expect(await committedUsers(db.url)).toEqual(['ann']);
    });
  });

  it("leaves exactly the seed's 5 rows after commit, rollback, append, failing append and raise blocks", async () => {
    // context-async-sqlalchemy's atomic_db_session example, one insert of open work before each block.
    await rejection(runInNewContext(async () => {
      await insertUser('open-1'); // committed by the next block
      await atomic(engines.shared, () => insertUser('commit-block'));
      await insertUser('open-2'); // rolled back by the next block
      await atomic(engines.shared, () => insertUser('rollback-block'), {
        onOpenTransaction: 'rollback',
      });
      await insertUser('open-3'); // joined and committed by the next block
      await atomic(engines.shared, () => insertUser('append-block'), {
        onOpenTransaction: 'append',
      });
      await insertUser('open-4'); // joined and rolled back by the failing block
      expect(await failingBlock('append')).toBe(boom);
      await insertUser('open-5'); // the 'raise' block refuses; the context rolls it back
      await atomic(engines.shared, () => insertUser('raise-block'), { onOpenTransaction: 'raise' });
    }), InterfaceError);
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
      expect((await dbSession(engines.shared)).inTransaction).toBe(true);
    });
    expect(await committedUsers(db.url)).toEqual(['before']);
  });

  it("runs normally with 'raise' when no transaction is open", async () => {
    await runInNewContext(async () => {
      await atomic(engines.shared, () => insertUser('ann'), { onOpenTransaction: 'raise' });
      expect(await committedUsers(db.url)).toEqual(['ann']);
    });
  });

  it('refuses an unknown onOpenTransaction mode', async () => {
    await runInNewContext(async () => {
      const error = await rejection(atomic(engines.shared, () => 1, {
        onOpenTransaction: 'nest' as OnOpenTransaction,
      }), InterfaceError);
      expect(error.message).toBe(
        'unknown onOpenTransaction "nest": use \'commit\', \'rollback\', \'append\' or \'raise\'',
      );
    });
  });
});
