import { Kysely, type LogEvent, sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../schema/database.js';
import {
  DataError,
  ForeignKeyViolationError,
  InterfaceError,
  InternalError,
  newSession,
  OperationalError,
  UniqueViolationError,
} from '../../src/index.js';
import { useEngines, type TestEngine } from '../support/engine-fixture.js';
import { committedUsers, killBackend } from '../support/observers.js';
import { rejection } from '../support/rejection.js';
import { observe, useTestDatabase } from '../support/test-database.js';

// Kysely's transaction API (transaction(), startTransaction(), savepoints) on pgsa's driver:
// the control statements reach Kysely's `log`, and no failing step leaves a connection out.

interface Children {
  deferred_children: { id: number; parent: number };
}
type Db = Database & Children;

const db = useTestDatabase();
const engines = useEngines(db, { defaults: { minSize: 1, maxSize: 4 } });

beforeAll(async () => {
  await observe(
    db.url,
    'create table deferred_children (id int primary key, parent int not null ' +
      'references users (id) deferrable initially deferred)',
  );
});

afterAll(async () => {
  await observe(db.url, 'drop table deferred_children');
});

afterEach(async () => {
  await observe(db.url, 'truncate users, emails, deferred_children restart identity cascade');
});

/** A Kysely of the application's own on `engine.dialect`, with every query and error logged. */
function ownKysely(engine: TestEngine): { kysely: Kysely<Db>; logged: string[] } {
  const logged: string[] = [];
  const log = (event: LogEvent): void => {
    logged.push(event.level === 'error' ? `error: ${event.query.sql}` : event.query.sql);
  };
  return { kysely: new Kysely<Db>({ dialect: engine.dialect, log }), logged };
}

/** The statements Kysely logged that are not transaction control, shortened to their verb. */
const verb = (statement: string): string => statement.split(' ')[0] as string;

describe("Kysely's log on engine.dialect", () => {
  it('shows BEGIN with the isolation level and access mode, and COMMIT, as echo does', async () => {
    const engine = await engines.make();
    const { kysely, logged } = ownKysely(engine);
    await kysely
      .transaction()
      .setIsolationLevel('serializable')
      .setAccessMode('read write')
      .execute((trx) => trx.insertInto('users').values({ name: 'ann' }).execute());
    expect(logged).toEqual([
      'BEGIN ISOLATION LEVEL SERIALIZABLE READ WRITE',
      'insert into "users" ("name") values ($1)',
      'COMMIT',
    ]);
    expect(engine.captured.sql).toEqual(logged);
    expect(await committedUsers(db.url)).toEqual(['ann']);
    expect(engine.stats().inUse).toBe(0);
  });

  it('shows the ROLLBACK of a transaction() whose callback threw', async () => {
    const engine = await engines.make();
    const { kysely, logged } = ownKysely(engine);
    const failure = new Error('changed my mind');
    const thrown = await rejection(
      kysely.transaction().execute(async (trx) => {
        await trx.insertInto('users').values({ name: 'gone' }).execute();
        throw failure;
      }),
      Error,
    );
    expect(thrown).toBe(failure);
    expect(logged).toEqual(['BEGIN', 'insert into "users" ("name") values ($1)', 'ROLLBACK']);
    expect(await committedUsers(db.url)).toEqual([]);
    expect(engine.stats().inUse).toBe(0);
  });

  it('shows a read-only repeatable read startTransaction() and its rollback()', async () => {
    const engine = await engines.make();
    const { kysely, logged } = ownKysely(engine);
    const trx = await kysely
      .startTransaction()
      .setIsolationLevel('repeatable read')
      .setAccessMode('read only')
      .execute();
    expect(engine.stats().inUse).toBe(1);
    const [row] = (await sql<{ ro: string }>`show transaction_read_only`.execute(trx)).rows.map(
      (r) => Object.values(r)[0],
    );
    expect(row).toBe('on');
    await trx.rollback().execute();
    expect(logged).toEqual([
      'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY',
      'show transaction_read_only',
      'ROLLBACK',
    ]);
    expect(engine.stats().inUse).toBe(0);
  });
});

describe('ControlledTransaction savepoints', () => {
  it('rolls back to a savepoint, keeps it, releases it and commits the rest', async () => {
    const engine = await engines.make();
    const { kysely, logged } = ownKysely(engine);
    const trx = await kysely.startTransaction().execute();
    await trx.insertInto('users').values({ name: 'kept' }).execute();
    const sp = await trx.savepoint('before_maybe').execute();
    await sp.insertInto('users').values({ name: 'undone' }).execute();
    const back = await sp.rollbackToSavepoint('before_maybe').execute();
    await back.insertInto('users').values({ name: 'after' }).execute();
    const released = await back.releaseSavepoint('before_maybe').execute();
    await released.commit().execute();
    expect(logged.map(verb)).toEqual([
      'BEGIN',
      'insert',
      'SAVEPOINT',
      'insert',
      'ROLLBACK',
      'SAVEPOINT',
      'insert',
      'RELEASE',
      'COMMIT',
    ]);
    expect(logged[2]).toBe('SAVEPOINT "before_maybe"');
    expect(logged[4]).toBe(
      'ROLLBACK TO SAVEPOINT "before_maybe"; RELEASE SAVEPOINT "before_maybe"',
    );
    expect(await committedUsers(db.url)).toEqual(['kept', 'after']);
    expect(engine.stats().inUse).toBe(0);
  });

  it('recovers from a failing statement by rolling back to the savepoint', async () => {
    const engine = await engines.make();
    const { kysely, logged } = ownKysely(engine);
    const trx = await kysely.startTransaction().execute();
    const { id } = await trx
      .insertInto('users')
      .values({ name: 'first' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const sp = await trx.savepoint('dup').execute();
    const error = await rejection(
      sp.insertInto('users').values({ id, name: 'duplicate' }).execute(),
      UniqueViolationError,
    );
    expect(error.code).toBe('23505');
    const back = await sp.rollbackToSavepoint('dup').execute();
    await back.insertInto('users').values({ name: 'second' }).execute();
    await back.commit().execute();
    expect(logged).toContain('error: insert into "users" ("id", "name") values ($1, $2)');
    expect(await committedUsers(db.url)).toEqual(['first', 'second']);
    expect(engine.stats().inUse).toBe(0);
  });

  it('commits with savepoints still open, releasing them first', async () => {
    const engine = await engines.make();
    const { kysely, logged } = ownKysely(engine);
    const trx = await kysely.startTransaction().execute();
    const a = await trx.savepoint('a').execute();
    const b = await a.savepoint('b').execute();
    await b.insertInto('users').values({ name: 'inner' }).execute();
    await b.commit().execute();
    expect(logged).toEqual([
      'BEGIN',
      'SAVEPOINT "a"',
      'SAVEPOINT "b"',
      'insert into "users" ("name") values ($1)',
      'RELEASE SAVEPOINT "b"',
      'RELEASE SAVEPOINT "a"',
      'COMMIT',
    ]);
    expect(await committedUsers(db.url)).toEqual(['inner']);
    expect(engine.stats().inUse).toBe(0);
  });

  it('refuses a savepoint name that is not open and stays usable', async () => {
    const engine = await engines.make();
    const { kysely } = ownKysely(engine);
    const trx = await kysely.startTransaction().execute();
    const unknown = 'never_made' as never;
    const error = await rejection(trx.rollbackToSavepoint(unknown).execute(), InterfaceError);
    expect(error.message).toBe(
      'cannot rollbackToSavepoint("never_made"): no savepoint of that name is open in this ' +
        'Kysely transaction; create it with trx.savepoint(name) first',
    );
    await trx.insertInto('users').values({ name: 'still fine' }).execute();
    await trx.commit().execute();
    expect(await committedUsers(db.url)).toEqual(['still fine']);
    expect(engine.stats().inUse).toBe(0);
  });

  it('runs on session.db inside the session transaction', async () => {
    const engine = await engines.make();
    await using session = await newSession(engine);
    const trx = await session.db.startTransaction().execute();
    await trx.insertInto('users').values({ name: 'kept' }).execute();
    const sp = await trx.savepoint('s').execute();
    await sp.insertInto('users').values({ name: 'undone' }).execute();
    await (await sp.rollbackToSavepoint('s').execute()).commit().execute();
    await session.commit();
    expect(await committedUsers(db.url)).toEqual(['kept']);
  });
});

describe('no failing Kysely step leaves a connection out or a transaction open', () => {
  it('transaction(): a COMMIT refused by a deferred constraint rolls back and releases', async () => {
    const engine = await engines.make();
    const { kysely, logged } = ownKysely(engine);
    const error = await rejection(
      kysely.transaction().execute(async (trx) => {
        await trx.insertInto('users').values({ name: 'orphan parent' }).execute();
        await trx.insertInto('deferred_children').values({ id: 1, parent: 999 }).execute();
      }),
      ForeignKeyViolationError,
    );
    expect(error.code).toBe('23503');
    expect(error.constraint).toBe('deferred_children_parent_fkey');
    expect(logged.at(-1)).toBe('error: COMMIT');
    expect(await committedUsers(db.url)).toEqual([]);
    expect(engine.stats().inUse).toBe(0);
  });

  it('ControlledTransaction: after a refused commit(), rollback() releases the connection', async () => {
    const engine = await engines.make();
    const { kysely } = ownKysely(engine);
    const trx = await kysely.startTransaction().execute();
    await trx.insertInto('deferred_children').values({ id: 1, parent: 999 }).execute();
    await rejection(trx.commit().execute(), ForeignKeyViolationError);
    await trx.rollback().execute();
    expect(trx.isRolledBack).toBe(true);
    expect(engine.stats().inUse).toBe(0);
    expect(await observe(db.url, 'select * from deferred_children')).toEqual([]);
  });

  it('ControlledTransaction: a savepoint refused in a failed transaction; rollback() releases', async () => {
    const engine = await engines.make();
    const { kysely } = ownKysely(engine);
    const trx = await kysely.startTransaction().execute();
    await rejection(sql`select 1 / 0`.execute(trx), DataError);
    const error = await rejection(trx.savepoint('late').execute(), InternalError);
    expect(error.code).toBe('25P02');
    await trx.rollback().execute();
    expect(engine.stats().inUse).toBe(0);
  });

  it('ControlledTransaction: releasing a failed savepoint rolls back to it and says so', async () => {
    const engine = await engines.make();
    const { kysely } = ownKysely(engine);
    const trx = await kysely.startTransaction().execute();
    await trx.insertInto('users').values({ name: 'kept' }).execute();
    const sp = await trx.savepoint('risky').execute();
    await rejection(sql`select 1 / 0`.execute(sp), DataError);
    const error = await rejection(sp.releaseSavepoint('risky').execute(), InterfaceError);
    expect(error.message).toBe(
      'cannot commit: savepoint risky is failed (a statement inside it raised an error: ' +
        'division by zero); it was rolled back to the savepoint and the enclosing transaction ' +
        'can continue',
    );
    await trx.commit().execute();
    expect(await committedUsers(db.url)).toEqual(['kept']);
    expect(engine.stats().inUse).toBe(0);
  });

  it('ControlledTransaction: a begin that fails releases the connection', async () => {
    const engine = await engines.make();
    const { kysely } = ownKysely(engine);
    const level = 'snapshot' as const;
    await rejection(kysely.startTransaction().setIsolationLevel(level).execute(), TypeError);
    expect(engine.stats().inUse).toBe(0);
  });

  it('ControlledTransaction: a killed backend fails the statement; rollback() releases', async () => {
    const engine = await engines.make();
    const { kysely } = ownKysely(engine);
    const trx = await kysely.startTransaction().execute();
    const [{ pid }] = (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx))
      .rows as [{ pid: number }];
    const sp = await trx.savepoint('doomed').execute();
    await killBackend(db.url, pid);
    await rejection(sp.insertInto('users').values({ name: 'lost' }).execute(), OperationalError);
    await rejection(sp.rollbackToSavepoint('doomed').execute(), OperationalError);
    await sp.rollback().execute();
    expect(engine.stats().inUse).toBe(0);
    expect(await engine.fetchVal('select 1 as one')).toBe(1);
    expect(engine.captured.warnings.join('\n')).toMatch(/rollback after an error failed/);
  });

  it('transaction(): a backend killed before COMMIT fails it and releases', async () => {
    const engine = await engines.make();
    const { kysely } = ownKysely(engine);
    await rejection(
      kysely.transaction().execute(async (trx) => {
        const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx);
        await killBackend(db.url, (rows[0] as { pid: number }).pid);
      }),
      OperationalError,
    );
    expect(engine.stats().inUse).toBe(0);
    expect(await committedUsers(db.url)).toEqual([]);
  });
});
