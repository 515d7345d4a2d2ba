import { describe, expect, it } from 'vitest';
import { QueryCanceledError, type Transaction } from '../../src/index.js';
import { useTestDatabase, withClient } from '../support/test-database.js';
import { useEngines } from '../support/engine-fixture.js';
import { committedUsers, killBackend } from '../support/observers.js';
import { FIRST_USER_ONLY } from '../support/sample-tables.js';
import { rejection } from '../support/rejection.js';
import { ENGINE_STATEMENT_TIMEOUT, BY_BACKEND_PID, notThroughPgBouncer } from '../support/pgbouncer-pass.js';

const db = useTestDatabase();
// No leak check: these tests leave their connections acquired; the engine is terminated after each.
const engines = useEngines(db, {
  defaults: { minSize: 1, maxSize: 4 },
  reset: FIRST_USER_ONLY,
});

describe('await using', () => {
  it('rolls back at scope exit when not committed', async () => {
    await using conn = await (await engines.make()).acquire();
    let seen: Transaction<unknown> | undefined;
    {
      await using tx = await conn.begin();
      seen = tx as unknown as Transaction<unknown>;
      await conn.execute("insert into users (name) values ('scoped')");
    }
    expect(seen.status).toBe('rolledBack');
    expect(conn.inTransaction).toBe(false);
    expect(await committedUsers(db.url)).toEqual(['first']);
  });

  it('sends nothing at scope exit after commit', async () => {
    const e = await engines.make();
    await using conn = await e.acquire();
    {
      await using tx = await conn.begin();
      await conn.execute("insert into users (name) values ('kept')");
      await tx.commit();
    }
    expect(e.captured.sql.at(-1)).toBe('COMMIT');
    expect(await committedUsers(db.url)).toEqual(['first', 'kept']);
  });

  it('rolls back when the scope throws and the caller gets the original error', async () => {
    await using conn = await (await engines.make()).acquire();
    const thrown = await rejection((async () => {
      await using _tx = await conn.begin();
      await conn.execute("insert into users (name) values ('scoped')");
      throw new Error('boom');
    })(), Error);
    expect(thrown).toEqual(new Error('boom'));
    expect(conn.inTransaction).toBe(false);
    expect(await committedUsers(db.url)).toEqual(['first']);
  });

  it.skipIf(notThroughPgBouncer(BY_BACKEND_PID))('does not hide the original error when the rollback at scope exit fails', async () => {
    const e = await engines.make();
    await using conn = await e.acquire();
    const thrown = await rejection((async () => {
      await using _tx = await conn.begin();
      await conn.execute("insert into users (name) values ('scoped')");
      await killBackend(db.url, conn.backendPid);
      throw new Error('original');
    })(), Error);
    expect(thrown).toEqual(new Error('original'));
    expect(e.captured.warnings).toContainEqual(
      expect.stringMatching(/^rollback of transaction at scope exit failed: /),
    );
    expect(await committedUsers(db.url)).toEqual(['first']);
  });

  it('rolls back the joined transaction when an inner one leaves its scope uncommitted', async () => {
    await using conn = await (await engines.make()).acquire();
    const outer = await conn.begin();
    {
      await using _inner = await conn.begin();
      await conn.execute("insert into users (name) values ('x')");
    }
    expect(outer.status).toBe('rolledBack');
    expect(await withClient(db.url, async (c) => (await c.query('select 1 from users')).rowCount)).toBe(1);
  });
});

describe('timeouts and cancellation inside transactions (aiopg context-manager tests)', () => {
  it.skipIf(notThroughPgBouncer(ENGINE_STATEMENT_TIMEOUT))('fails the transaction on a statement timeout and rolls back at scope exit', async () => {
    const e = await engines.make({ statementTimeoutMs: 100 });
    await using conn = await e.acquire();
    const error = await rejection((async () => {
      await using _tx = await conn.begin();
      await conn.execute("insert into users (name) values ('slow')");
      await conn.execute('select pg_sleep(10)');
    })(), QueryCanceledError);
    expect(error.sqlstate).toBe('57014');
    expect(conn.inTransaction).toBe(false);
    expect(await conn.scalar('select 1')).toBe(1);
    expect(await committedUsers(db.url)).toEqual(['first']);
  });

  it.skipIf(notThroughPgBouncer(ENGINE_STATEMENT_TIMEOUT))('fails the savepoint on a statement timeout; the scopes roll back savepoint and transaction', async () => {
    const e = await engines.make({ statementTimeoutMs: 100 });
    await using conn = await e.acquire();
    await rejection((async () => {
      await using _tx = await conn.begin();
      await conn.execute("insert into users (name) values ('outer')");
      await using _sp = await conn.beginNested();
      await conn.execute('select pg_sleep(10)');
    })(), QueryCanceledError);
    expect(e.captured.sql.slice(-2)).toEqual([
      'ROLLBACK TO SAVEPOINT "pgsa_savepoint_1"; RELEASE SAVEPOINT "pgsa_savepoint_1"',
      'ROLLBACK',
    ]);
    expect(conn.inTransaction).toBe(false);
    expect(await committedUsers(db.url)).toEqual(['first']);
  });

  it('fails the transaction when its statement is cancelled and transaction(fn) rolls back', async () => {
    await using conn = await (await engines.make()).acquire();
    await rejection(
      conn.transaction(async (c) => {
        await c.execute("insert into users (name) values ('cancelled')");
        const slow = c.execute('select pg_sleep(10)');
        slow.catch(() => {}); // awaited below; settles while cancel() is awaited
        await new Promise((resolve) => setTimeout(resolve, 100));
        await c.cancel();
        await slow;
      }),
      QueryCanceledError,
    );
    expect(conn.inTransaction).toBe(false);
    expect(await committedUsers(db.url)).toEqual(['first']);
  });
});
