import { describe, expect, it } from 'vitest';
import {
  DataError,
  InterfaceError,
  InternalError,
  ProgrammingError,
  OperationalError,
  ResourceClosedError,
  Transaction,
  UniqueViolationError,
} from '../../src/index.js';
import { observe, useTestDatabase } from '../support/test-database.js';
import { useEngines } from '../support/engine-fixture.js';
import { committedUsers, killBackend } from '../support/observers.js';
import { FIRST_USER_ONLY } from '../support/sample-tables.js';
import { rejection } from '../support/rejection.js';
import { BY_BACKEND_PID, notThroughPgBouncer } from '../support/pgbouncer-pass.js';

const db = useTestDatabase();
// No leak check: these tests leave their connections acquired; the engine is terminated after each.
const engines = useEngines(db, {
  defaults: { minSize: 1, maxSize: 4 },
  reset: FIRST_USER_ONLY,
});

describe('begin, commit and rollback (aiopg test_sa_transaction)', () => {
  it('autocommits each statement outside a transaction', async () => {
    const e = await engines.make({ maxSize: 2 });
    await using conn1 = await e.acquire();
    await using conn2 = await e.acquire();
    expect(await conn1.scalar('select count(*)::int from users')).toBe(1);
    await conn2.execute('delete from users');
    expect(conn2.inTransaction).toBe(false);
    expect(await conn1.scalar('select count(*)::int from users')).toBe(0);
  });

  it('gives the transaction its connection', async () => {
    await using conn = await (await engines.make()).acquire();
    const tx = await conn.begin();
    expect(tx).toBeInstanceOf(Transaction);
    expect(tx.connection).toBe(conn);
    await tx.rollback();
  });

  it('hides uncommitted work from other connections and shows it after commit', async () => {
    await using conn = await (await engines.make()).acquire();
    const tx = await conn.begin();
    expect(tx.isActive).toBe(true);
    expect(tx.status).toBe('active');
    expect(conn.inTransaction).toBe(true);
    await conn.execute('delete from users');
    expect(await committedUsers(db.url)).toEqual(['first']);
    await tx.commit();
    expect(tx.isActive).toBe(false);
    expect(tx.status).toBe('committed');
    expect(conn.inTransaction).toBe(false);
    expect(await committedUsers(db.url)).toEqual([]);
  });

  it('discards the work on rollback', async () => {
    await using conn = await (await engines.make()).acquire();
    const tx = await conn.begin();
    await conn.execute('delete from users');
    await tx.rollback();
    expect(tx.isActive).toBe(false);
    expect(tx.status).toBe('rolledBack');
    expect(conn.inTransaction).toBe(false);
    expect(await committedUsers(db.url)).toEqual(['first']);
  });

  it('rolls the outermost transaction back on close()', async () => {
    const e = await engines.make();
    await using conn = await e.acquire();
    const tx = await conn.begin();
    await conn.execute('delete from users');
    await tx.close();
    expect(tx.status).toBe('rolledBack');
    expect(e.captured.sql.at(-1)).toBe('ROLLBACK');
    expect(await committedUsers(db.url)).toEqual(['first']);
  });

  it('rolls back the open transaction when the connection is closed', async () => {
    await using conn = await (await engines.make()).acquire();
    const tx = await conn.begin();
    await conn.execute('delete from users');
    await conn.close();
    expect(tx.status).toBe('rolledBack');
    expect(tx.isActive).toBe(false);
    expect(await committedUsers(db.url)).toEqual(['first']);
  });

  it('refuses to commit a committed transaction, naming its status', async () => {
    await using conn = await (await engines.make()).acquire();
    const tx = await conn.begin();
    await tx.commit();
    expect(await rejection(tx.commit(), InterfaceError)).toEqual(
      new InterfaceError('cannot commit: transaction is committed'),
    );
  });

  it('refuses to roll back a rolled-back transaction (aiopg ignored it)', async () => {
    await using conn = await (await engines.make()).acquire();
    const tx = await conn.begin();
    await tx.rollback();
    const error = await rejection(tx.rollback(), InterfaceError);
    expect(error.message).toBe('cannot rollback: transaction is rolled back');
    expect(tx.isActive).toBe(false);
  });

  it('refuses commit after rollback with the status in the message', async () => {
    await using conn = await (await engines.make()).acquire();
    const tx = await conn.begin();
    await conn.execute("insert into users (name) values ('x')");
    await tx.rollback();
    expect(await rejection(tx.commit(), InterfaceError)).toEqual(
      new InterfaceError('cannot commit: transaction is rolled back'),
    );
    expect(await committedUsers(db.url)).toEqual(['first']);
  });

  it('treats a repeated close() as harmless', async () => {
    const e = await engines.make();
    await using conn = await e.acquire();
    const tx = await conn.begin();
    await tx.close();
    const sent = e.captured.sql.length;
    await tx.close();
    expect(tx.isActive).toBe(false);
    expect(e.captured.sql.length).toBe(sent);
  });

  it('runs transactions one after another on one connection', async () => {
    await using conn = await (await engines.make()).acquire();
    await conn.execute('delete from users');
    const tx1 = await conn.begin();
    await conn.execute("insert into users (name) values ('a')");
    await tx1.commit();
    const tx2 = await conn.begin();
    await conn.execute("insert into users (name) values ('b')");
    await tx2.rollback();
    const tx3 = await conn.begin();
    expect(tx3).not.toBe(tx1);
    await conn.execute("insert into users (name) values ('c')");
    await tx3.commit();
    expect(await committedUsers(db.url)).toEqual(['a', 'c']);
  });

  it('refuses a rollback while a commit of the same transaction is in flight', async () => {
    await using conn = await (await engines.make()).acquire();
    const tx = await conn.begin();
    const committing = tx.commit();
    expect(await rejection(tx.rollback(), InterfaceError)).toEqual(
      new InterfaceError('cannot rollback: transaction is already being committed'),
    );
    await committing;
    expect(tx.status).toBe('committed');
  });
});

describe('inner transactions from begin() inside begin()', () => {
  it('commits nothing on inner commit: the outer transaction decides', async () => {
    const e = await engines.make();
    await using conn = await e.acquire();
    const tx1 = await conn.begin();
    const tx2 = await conn.begin();
    expect(tx2).not.toBe(tx1);
    expect(tx2.isActive).toBe(true);
    await conn.execute("insert into users (name) values ('inner')");
    const sent = e.captured.sql.length;
    await tx2.commit();
    expect(e.captured.sql.length).toBe(sent);
    expect(tx2.isActive).toBe(false);
    expect(tx1.isActive).toBe(true);
    expect(await committedUsers(db.url)).toEqual(['first']);
    await tx1.commit();
    expect(tx2.status).toBe('committed');
    expect(await committedUsers(db.url)).toEqual(['first', 'inner']);
  });

  it('rolls back the whole transaction on inner rollback and deactivates the outer', async () => {
    await using conn = await (await engines.make()).acquire();
    const tx1 = await conn.begin();
    const tx2 = await conn.begin();
    await conn.execute("insert into users (name) values ('aaaa')");
    await tx2.rollback();
    expect(tx2.isActive).toBe(false);
    expect(tx1.isActive).toBe(false);
    expect(tx1.status).toBe('rolledBack');
    expect(conn.inTransaction).toBe(false);
    expect(await conn.scalar('select count(*)::int from users')).toBe(1);
    expect(await rejection(tx1.commit(), InterfaceError)).toEqual(
      new InterfaceError('cannot commit: transaction is rolled back'),
    );
  });

  it('deactivates only the inner transaction on close(); the outer commits its work', async () => {
    await using conn = await (await engines.make()).acquire();
    const tx1 = await conn.begin();
    const tx2 = await conn.begin();
    await conn.execute("insert into users (name) values ('aaaa')");
    await tx2.close();
    expect(tx2.isActive).toBe(false);
    expect(tx2.status).toBe('closed');
    expect(tx1.isActive).toBe(true);
    await tx1.commit();
    expect(await committedUsers(db.url)).toEqual(['first', 'aaaa']);
  });

  it('reports an inner commit as rolled back once the outer transaction rolled back', async () => {
    await using conn = await (await engines.make()).acquire();
    const tx1 = await conn.begin();
    const tx2 = await conn.begin();
    await conn.execute("insert into users (name) values ('lost')");
    await tx2.commit();
    await tx1.rollback();
    expect(tx2.status).toBe('rolledBack');
    expect(await committedUsers(db.url)).toEqual(['first']);
  });

  it('refuses options for an inner transaction, which cannot change them', async () => {
    await using conn = await (await engines.make()).acquire();
    const tx = await conn.begin();
    expect((await rejection(conn.begin({ isolationLevel: 'serializable' }), InterfaceError)).message).toMatch(
      /^cannot begin with isolationLevel, readOnly or deferrable: a transaction is already active/,
    );
    expect(tx.isActive).toBe(true);
    await tx.rollback();
  });
});

describe('begin options', () => {
  it('sends isolation level, access mode and deferrable and the server applies them', async () => {
    const e = await engines.make();
    await using conn = await e.acquire();
    const tx = await conn.begin({ isolationLevel: 'serializable', readOnly: true, deferrable: true });
    // Deferred: BEGIN goes out with the first statement, ahead of it.
    expect(e.captured.sql).toEqual([]);
    expect(await conn.scalar('show transaction_isolation')).toBe('serializable');
    expect(e.captured.sql).toEqual(['BEGIN ISOLATION LEVEL SERIALIZABLE READ ONLY DEFERRABLE', 'show transaction_isolation']);
    expect(await conn.scalar('show transaction_read_only')).toBe('on');
    expect(await conn.scalar('show transaction_deferrable')).toBe('on');
    await tx.commit();
  });

  it.each([
    ['read committed', 'read committed'],
    ['repeatable read', 'repeatable read'],
    ['serializable', 'serializable'],
    ['read uncommitted', 'read uncommitted'],
  ] as const)('runs a %s transaction', async (level, shown) => {
    await using conn = await (await engines.make()).acquire();
    const tx = await conn.begin({ isolationLevel: level });
    await conn.execute("insert into users (name) values ('x')");
    expect(await conn.scalar('show transaction_isolation')).toBe(shown);
    await tx.commit();
    expect(await committedUsers(db.url)).toEqual(['first', 'x']);
  });

  it('rejects a write in a read-only transaction with the server error, then rolls back', async () => {
    await using conn = await (await engines.make()).acquire();
    const tx = await conn.begin({ readOnly: true });
    const error = await rejection(conn.execute("insert into users (name) values ('x')"), InternalError);
    expect((error as InternalError).sqlstate).toBe('25006');
    expect(tx.status).toBe('failed');
    await tx.rollback();
    expect(await committedUsers(db.url)).toEqual(['first']);
  });

  it('rejects an unknown isolation level with a TypeError before anything is sent', async () => {
    const e = await engines.make();
    await using conn = await e.acquire();
    const sent = e.captured.sql.length;
    const error = await rejection(
      conn.begin({ isolationLevel: 'chaos' as 'serializable' }),
      TypeError,
    );
    expect(error.message).toBe(
      `unknown isolation level "chaos"; expected one of 'read committed', 'repeatable read', 'serializable'`,
    );
    expect(e.captured.sql.length).toBe(sent);
    expect(conn.inTransaction).toBe(false);
  });

  it('rejects unknown option keys and non-boolean flags with a TypeError', async () => {
    await using conn = await (await engines.make()).acquire();
    expect(await rejection(conn.begin({ isolation: 'serializable' } as never), TypeError)).toEqual(
      new TypeError('unknown transaction option(s): isolation'),
    );
    expect(await rejection(conn.begin({ readOnly: 'yes' } as never), TypeError)).toEqual(
      new TypeError('readOnly must be a boolean, got "yes"'),
    );
    expect(conn.inTransaction).toBe(false);
  });

  it('refuses begin() while a transaction begun with SQL is open', async () => {
    await using conn = await (await engines.make()).acquire();
    await conn.execute('BEGIN');
    expect((await rejection(conn.begin(), InterfaceError)).message).toMatch(
      /^cannot begin: a transaction begun with SQL \(not through pgsa\) is in progress/,
    );
    await conn.execute('ROLLBACK');
  });

  it('refuses to join a transaction that a SQL COMMIT ended behind pgsa', async () => {
    await using conn = await (await engines.make()).acquire();
    const tx = await conn.begin();
    await conn.execute("insert into users (name) values ('raw commit')");
    await conn.execute('COMMIT');
    expect(await rejection(conn.begin(), InterfaceError)).toEqual(
      new InterfaceError(
        'cannot begin: the transaction pgsa opened on this connection was ended by a COMMIT ' +
          'or ROLLBACK sent as SQL; close() its transaction object first',
      ),
    );
    await tx.close();
    const next = await conn.begin();
    expect(next.isActive).toBe(true);
    await next.rollback();
  });

  it('refuses begin() on a closed connection', async () => {
    await using conn = await (await engines.make()).acquire();
    await conn.close();
    expect((await rejection(conn.begin(), ResourceClosedError)).message).toContain('cannot begin: the connection is closed');
  });
});

describe('failed transactions', () => {
  it('marks the transaction failed after a statement error; later statements get 25P02', async () => {
    await using conn = await (await engines.make()).acquire();
    const tx = await conn.begin();
    await conn.execute("insert into users (name) values ('doomed')");
    expect(await rejection(conn.execute('select 1/0'), DataError)).toMatchObject({ sqlstate: '22012' });
    expect(tx.status).toBe('failed');
    expect(tx.isActive).toBe(true);
    const next = await rejection(conn.execute('select 1'), InternalError);
    expect(next.sqlstate).toBe('25P02');
    await tx.rollback();
  });

  it('rolls back on commit() of a failed transaction and raises saying so', async () => {
    const e = await engines.make();
    await using conn = await e.acquire();
    const tx = await conn.begin();
    await conn.execute("insert into users (name) values ('doomed')");
    const failure = await rejection(conn.execute('select 1/0'), DataError);
    const error = await rejection(tx.commit(), InterfaceError);
    expect(error.message).toBe(
      'cannot commit: transaction is failed (a statement inside it raised an error: ' +
        'division by zero); it was rolled back',
    );
    expect(error.cause).toBe(failure);
    expect(e.captured.sql.at(-1)).toBe('ROLLBACK');
    expect(tx.status).toBe('rolledBack');
    expect(conn.inTransaction).toBe(false);
    expect(await committedUsers(db.url)).toEqual(['first']);
  });

  it('never reports success when a statement fails between the status check and COMMIT', async () => {
    await using conn = await (await engines.make()).acquire();
    const tx = await conn.begin();
    await conn.execute("insert into users (name) values ('doomed')");
    // Not awaited: the failing statement is queued ahead of COMMIT.
    const failing = rejection(conn.execute('select 1/0'), DataError);
    const error = await rejection(tx.commit(), InterfaceError);
    expect(await failing).toMatchObject({ sqlstate: '22012' });
    expect(error.message).toBe(
      'cannot commit: transaction is failed (a statement inside it raised an error: ' +
        'division by zero); the server rolled it back',
    );
    expect(error.cause).toBe(await failing);
    expect(tx.status).toBe('rolledBack');
    expect(await committedUsers(db.url)).toEqual(['first']);
  });

  it('names the failure of the transaction, not one a savepoint rollback already undid', async () => {
    await using conn = await (await engines.make()).acquire();
    const tx = await conn.begin();
    const sp = await conn.beginNested();
    await rejection(conn.execute('select 1/0'), DataError);
    await sp.rollback();
    const failure = await rejection(conn.execute('select * from no_such_table'), ProgrammingError);
    await rejection(conn.execute('select 1'), InternalError); // 25P02: not the cause
    const error = await rejection(tx.commit(), InterfaceError);
    expect(error.cause).toBe(failure);
    expect(error.message).toBe(
      'cannot commit: transaction is failed (a statement inside it raised an error: ' +
        'relation "no_such_table" does not exist); it was rolled back',
    );
  });

  it('forgets a failure once its transaction is over', async () => {
    await using conn = await (await engines.make()).acquire();
    const first = await conn.begin();
    await rejection(conn.execute('select 1/0'), DataError);
    await first.rollback();
    const second = await conn.begin();
    await conn.execute("insert into users (name) values ('kept')");
    await second.commit();
    expect(await committedUsers(db.url)).toEqual(['first', 'kept']);
    const third = await conn.begin();
    await conn.execute('select 1');
    // No failure in this transaction: commit works and names nothing.
    await third.commit();
    expect(third.status).toBe('committed');
    expect(conn.transactionFailure).toBeUndefined();
  });

  it('leaves the connection usable after rolling back a failed transaction', async () => {
    await using conn = await (await engines.make()).acquire();
    const tx = await conn.begin();
    await conn.execute('select 1/0').catch(() => {});
    await tx.rollback();
    expect(tx.status).toBe('rolledBack');
    expect(await conn.scalar('select 41 + 1')).toBe(42);
  });

  it('raises the server error of a refused COMMIT and reports the transaction rolled back', async () => {
    await using conn = await (await engines.make()).acquire();
    await conn.execute(
      'create table if not exists deferred_ids (id int primary key deferrable initially deferred)',
    );
    await conn.execute('truncate deferred_ids');
    const tx = await conn.begin();
    await conn.execute('insert into deferred_ids values (1), (1)');
    const error = await rejection(tx.commit(), UniqueViolationError);
    expect(error.sqlstate).toBe('23505');
    expect(tx.status).toBe('rolledBack');
    expect(conn.inTransaction).toBe(false);
    expect(await observe(db.url, 'select * from deferred_ids')).toEqual([]);
  });

  it.skipIf(notThroughPgBouncer(BY_BACKEND_PID))('raises OperationalError when the backend is killed mid-transaction and commits nothing', async () => {
    await using conn = await (await engines.make()).acquire();
    const tx = await conn.begin();
    await conn.execute("insert into users (name) values ('ghost')");
    await killBackend(db.url, conn.backendPid);
    await rejection(conn.execute("insert into users (name) values ('ghost2')"), OperationalError);
    await rejection(tx.commit(), OperationalError);
    // Lost mid-COMMIT: pgsa cannot know the outcome, so the transaction stays failed …
    expect(tx.status).toBe('failed');
    // … and a rollback on the dead connection reports the loss and settles it.
    await rejection(tx.rollback(), OperationalError);
    expect(tx.status).toBe('rolledBack');
    expect(await committedUsers(db.url)).toEqual(['first']);
  });

  it('stays active when its COMMIT is refused before being sent (a stream is open), and commits after', async () => {
    await using conn = await (await engines.make()).acquire();
    const tx = await conn.begin();
    await conn.execute("insert into users (name) values ('kept')");
    let refused: InterfaceError | undefined;
    for await (const row of conn.stream('select 1 as n')) {
      void row;
      refused = await rejection(tx.commit(), InterfaceError);
    }
    expect(refused?.message).toMatch(/^cannot execute: another operation is in progress/);
    expect(tx.status).toBe('active');
    await tx.commit();
    expect(await committedUsers(db.url)).toEqual(['first', 'kept']);
    await conn.close();
  });
});
