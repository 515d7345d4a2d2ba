import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import {
  DataError,
  ForeignKeyViolationError,
  InterfaceError,
  newSession,
  ResourceClosedError,
} from '../../src/index.js';
import { observe, useTestDatabase } from '../support/test-database.js';
import { useEngines } from '../support/engine-fixture.js';
import { committedUsers } from '../support/observers.js';
import { DEFERRED_CHILDREN, EMPTY_USERS_AND_CHILDREN } from '../support/sample-tables.js';
import { rejection } from '../support/rejection.js';

const db = useTestDatabase();
const engines = useEngines(db, {
  defaults: { minSize: 1, maxSize: 5 },
  shared: true,
  setup: DEFERRED_CHILDREN,
  reset: EMPTY_USERS_AND_CHILDREN,
});

const insert = (name: string) => ['insert into users (name) values ($1)', [name]] as const;

describe('Session', () => {
  it('takes no connection and sends nothing until its first query, then BEGIN', async () => {
    const engine = engines.shared;
    const statements = engine.captured.sql;
    await using session = await newSession(engine);
    const acquires = engines.shared.stats().acquires;
    expect(session.connected).toBe(false);
    expect(session.inTransaction).toBe(false);
    expect(session.backendPid).toBeUndefined();
    expect(engine.stats().inUse).toBe(0);

    await session.execute(...insert('ann'));
    expect(statements).toEqual(['BEGIN', 'insert into users (name) values ($1)']);
    expect(engines.shared.stats().acquires).toBe(acquires + 1);
    expect(session.connected).toBe(true);
    expect(session.inTransaction).toBe(true);
    expect(typeof session.backendPid).toBe('number');
  });

  it('runs queries built on session.db inside the same transaction as execute', async () => {
    await using session = await newSession(engines.shared);
    await session.db.insertInto('users').values({ name: 'ann' }).execute();
    const count = await session.scalar(sql<number>`select count(*)::int from users`);
    expect(count).toBe(1);
    expect(engines.shared.captured.sql.filter((s) => s === 'BEGIN')).toHaveLength(1);
    expect(await committedUsers(db.url)).toEqual([]);
    await session.commit();
    expect(await committedUsers(db.url)).toEqual(['ann']);
  });

  it('runs executeMany inside its transaction: BEGIN first, nothing visible before commit', async () => {
    await using session = await newSession(engines.shared);
    expect(await session.executeMany('insert into users (name) values ($1)', [['ann'], ['bob']])).toBe(2);
    expect(engines.shared.captured.sql).toEqual(['BEGIN', 'insert into users (name) values ($1)']);
    expect(await committedUsers(db.url)).toEqual([]);
    await session.commit();
    expect(await committedUsers(db.url)).toEqual(['ann', 'bob']);
  });

  it('commits, then begins the next transaction on the same connection', async () => {
    await using session = await newSession(engines.shared);
    await session.execute(...insert('ann'));
    const pid = session.backendPid;
    await session.commit();
    expect(session.inTransaction).toBe(false);
    expect(await committedUsers(db.url)).toEqual(['ann']);
    await session.execute(...insert('bob'));
    expect(session.backendPid).toBe(pid);
    expect(engines.shared.captured.sql).toEqual([
      'BEGIN',
      'insert into users (name) values ($1)',
      'COMMIT',
      'BEGIN',
      'insert into users (name) values ($1)',
    ]);
  });

  it('rolls back the work and stays usable', async () => {
    await using session = await newSession(engines.shared);
    await session.execute(...insert('ann'));
    await session.rollback();
    expect(session.inTransaction).toBe(false);
    await session.execute(...insert('bob'));
    await session.commit();
    expect(await committedUsers(db.url)).toEqual(['bob']);
  });

  it('does nothing on commit or rollback when no transaction is open', async () => {
    await using session = await newSession(engines.shared);
    const acquires = engines.shared.stats().acquires;
    await session.commit();
    await session.rollback();
    expect(engines.shared.captured.sql).toEqual([]);
    expect(engines.shared.stats().acquires).toBe(acquires);
    expect(session.connected).toBe(false);
  });

  it('rolls back and raises InterfaceError naming the failure when committing after a failed statement', async () => {
    await using session = await newSession(engines.shared);
    await session.execute(...insert('ann'));
    const failure = await rejection(session.execute('select 1 / 0'), DataError);
    const error = await rejection(session.commit(), InterfaceError);
    expect(error.message).toBe(
      'cannot commit: transaction is failed (a statement inside it raised an error: division by zero); ' +
        'it was rolled back',
    );
    expect(error.cause).toBe(failure);
    expect(engines.shared.captured.sql.at(-1)).toBe('ROLLBACK');
    expect(await committedUsers(db.url)).toEqual([]);
    // The session is usable again.
    await session.execute(...insert('bob'));
    await session.commit();
    expect(await committedUsers(db.url)).toEqual(['bob']);
  });

  it('raises the IntegrityError of a commit refused by a deferred constraint and stores nothing', async () => {
    await using session = await newSession(engines.shared);
    await session.execute(...insert('ann'));
    await session.execute('insert into children (parent_id) values (-1)');
    const error = await rejection(session.commit(), ForeignKeyViolationError);
    expect(error.sqlstate).toBe('23503');
    expect(session.inTransaction).toBe(false);
    expect(await committedUsers(db.url)).toEqual([]);
    expect(await observe(db.url, 'select * from children')).toEqual([]);
  });

  it('rolls back uncommitted work on close and returns the connection to the pool', async () => {
    const session = await newSession(engines.shared);
    await session.execute(...insert('ann'));
    expect(engines.shared.stats().inUse).toBe(1);
    await session.close();
    await session.close();
    expect(session.closed).toBe(true);
    expect(session.connected).toBe(false);
    expect(engines.shared.stats().inUse).toBe(0);
    expect(engines.shared.captured.sql.at(-1)).toBe('ROLLBACK');
    expect(await committedUsers(db.url)).toEqual([]);
  });

  it('refuses every operation after close with ResourceClosedError', async () => {
    const session = await newSession(engines.shared);
    await session.close();
    const query = await rejection(session.execute('select 1'), ResourceClosedError);
    expect(query).toBeInstanceOf(InterfaceError);
    expect(query.message).toBe('cannot execute: the session is closed');
    expect((await rejection(session.db.selectFrom('users').selectAll().execute(), ResourceClosedError)).message).toContain(
      'cannot execute: the session is closed',
    );
    expect(await rejection(session.commit(), ResourceClosedError)).toEqual(
      new ResourceClosedError('cannot commit: the session is closed'),
    );
    expect((await rejection(session.rollback(), ResourceClosedError)).message).toContain('cannot rollback: the session is closed');
    expect(engines.shared.captured.sql).toEqual([]);
  });

  it('runs concurrent queries in call order on one connection after a single BEGIN', async () => {
    await using session = await newSession(engines.shared);
    const pids = await Promise.all(
      ['a', 'b', 'c', 'd', 'e'].map((name) =>
        session.scalar('insert into users (name) values ($1) returning pg_backend_pid()', [name]),
      ),
    );
    expect(new Set(pids).size).toBe(1);
    expect(engines.shared.captured.sql.filter((s) => s === 'BEGIN')).toHaveLength(1);
    expect(engines.shared.stats().acquires).toBeGreaterThan(0);
    await session.commit();
    expect(await committedUsers(db.url)).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('makes a Kysely transaction on session.db the session transaction when none is open', async () => {
    await using session = await newSession(engines.shared);
    await session.db
      .transaction()
      .setIsolationLevel('serializable')
      .execute((trx) => trx.insertInto('users').values({ name: 'ann' }).execute());
    expect(engines.shared.captured.sql).toEqual([
      'BEGIN ISOLATION LEVEL SERIALIZABLE',
      'insert into "users" ("name") values ($1)',
      'COMMIT',
    ]);
    expect(await committedUsers(db.url)).toEqual(['ann']);
  });

  it('makes a Kysely transaction inside an open session transaction a savepoint that rolls back alone', async () => {
    await using session = await newSession(engines.shared);
    await session.execute(...insert('ann'));
    const error = await rejection(
      session.db.transaction()
      .execute(async (trx) => {
        await trx.insertInto('users').values({ name: 'bob' }).execute();
        throw new Error('undo bob');
      }),
      Error,
    );
    expect(error.message).toBe('undo bob');
    expect(engines.shared.captured.sql.slice(2)).toEqual([
      'SAVEPOINT "pgsa_savepoint_1"',
      'insert into "users" ("name") values ($1)',
      // Rolled back and released in one round trip.
      'ROLLBACK TO SAVEPOINT "pgsa_savepoint_1"; RELEASE SAVEPOINT "pgsa_savepoint_1"',
    ]);
    expect(session.inTransaction).toBe(true);
    await session.commit();
    expect(await committedUsers(db.url)).toEqual(['ann']);
  });

  it('refuses an isolation level for a Kysely transaction inside an open session transaction, as on a connection', async () => {
    await using session = await newSession(engines.shared);
    await session.execute(...insert('ann'));
    const error = await rejection(
      session.db.transaction()
      .setIsolationLevel('serializable')
      .execute(async () => undefined),
      InterfaceError,
    );
    expect(error.message).toBe(
      'cannot run a nested transaction() with isolationLevel, readOnly or deferrable: it runs ' +
        'in a savepoint of the transaction in progress, whose settings apply',
    );
    expect(session.inTransaction).toBe(true);
  });

  it("refuses Kysely's 'snapshot' isolation level with TypeError before taking a connection", async () => {
    await using session = await newSession(engines.shared);
    const acquires = engines.shared.stats().acquires;
    const error = await rejection(
      session.db.transaction()
      .setIsolationLevel('snapshot')
      .execute(async () => undefined),
      TypeError,
    );
    expect(error.message).toBe(
      "isolation level 'snapshot' is not supported by PostgreSQL; its snapshot isolation is " +
        "'repeatable read'",
    );
    expect(engines.shared.stats().acquires).toBe(acquires);
    expect(engines.shared.captured.sql).toEqual([]);
  });

  it('makes a read-only Kysely transaction on session.db a BEGIN … READ ONLY', async () => {
    await using session = await newSession(engines.shared);
    await session.db
      .transaction()
      .setAccessMode('read only')
      .execute((trx) => trx.selectFrom('users').selectAll().execute());
    expect(engines.shared.captured.sql).toEqual(['BEGIN READ ONLY', 'select * from "users"', 'COMMIT']);
  });
});
