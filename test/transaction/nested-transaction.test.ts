import { describe, expect, it } from 'vitest';
import { InterfaceError, NestedTransaction } from '../../src/index.js';
import { useTestDatabase } from '../support/test-database.js';
import { useEngines } from '../support/engine-fixture.js';
import { committedUsers } from '../support/observers.js';
import { FIRST_USER_ONLY } from '../support/sample-tables.js';
import { rejection } from '../support/rejection.js';

const db = useTestDatabase();
// No leak check: these tests leave their connections acquired; the engine is terminated after each.
const engines = useEngines(db, {
  defaults: { minSize: 1, maxSize: 4 },
  reset: FIRST_USER_ONLY,
});

const insert = (name: string) => `insert into users (name) values ('${name}')`;

describe('savepoints (aiopg test_sa_transaction nested tests)', () => {
  it('releases the savepoint on commit and commits with the outer transaction', async () => {
    const e = await engines.make();
    await using conn = await e.acquire();
    const tr1 = await conn.beginNested();
    const tr2 = await conn.beginNested();
    expect(tr1).toBeInstanceOf(NestedTransaction);
    expect(tr1.savepoint).toBeUndefined();
    expect(tr2.savepoint).toBe('pgsa_savepoint_1');
    expect(tr1.isActive && tr2.isActive).toBe(true);
    await conn.execute(insert('aaaa'));
    await tr2.commit();
    expect(tr2.isActive).toBe(false);
    expect(tr1.isActive).toBe(true);
    expect(await conn.scalar('select count(*)::int from users')).toBe(2);
    expect(await committedUsers(db.url)).toEqual(['first']);
    await tr1.commit();
    expect(tr2.status).toBe('committed');
    expect(e.captured.sql).toEqual([
      'BEGIN',
      'SAVEPOINT "pgsa_savepoint_1"',
      insert('aaaa'),
      'RELEASE SAVEPOINT "pgsa_savepoint_1"',
      'select count(*)::int from users',
      'COMMIT',
    ]);
    expect(await committedUsers(db.url)).toEqual(['first', 'aaaa']);
  });

  it('refuses to commit a released savepoint twice (aiopg ignored it)', async () => {
    await using conn = await (await engines.make()).acquire();
    const tr1 = await conn.beginNested();
    const tr2 = await conn.beginNested();
    await conn.execute(insert('aaaa'));
    await tr2.commit();
    expect(await rejection(tr2.commit(), InterfaceError)).toEqual(
      new InterfaceError('cannot commit: savepoint pgsa_savepoint_1 is committed'),
    );
    expect(tr1.isActive).toBe(true);
    expect(await conn.scalar('select count(*)::int from users')).toBe(2);
    await tr1.close();
    expect(await committedUsers(db.url)).toEqual(['first']);
  });

  it('undoes only the savepoint on rollback; the outer transaction stays usable', async () => {
    const e = await engines.make();
    await using conn = await e.acquire();
    const tr1 = await conn.beginNested();
    await conn.execute(insert('kept'));
    const tr2 = await conn.beginNested();
    await conn.execute(insert('undone'));
    await tr2.rollback();
    expect(e.captured.sql.at(-1)).toBe(
      'ROLLBACK TO SAVEPOINT "pgsa_savepoint_1"; RELEASE SAVEPOINT "pgsa_savepoint_1"',
    );
    expect(tr2.status).toBe('rolledBack');
    expect(tr1.isActive).toBe(true);
    await conn.execute(insert('after'));
    await tr1.commit();
    expect(await committedUsers(db.url)).toEqual(['first', 'kept', 'after']);
  });

  it('refuses to roll back a rolled-back savepoint twice (aiopg ignored it)', async () => {
    await using conn = await (await engines.make()).acquire();
    const tr1 = await conn.beginNested();
    const tr2 = await conn.beginNested();
    await conn.execute(insert('aaaa'));
    await tr2.rollback();
    expect(await rejection(tr2.rollback(), InterfaceError)).toEqual(
      new InterfaceError('cannot rollback: savepoint pgsa_savepoint_1 is rolled back'),
    );
    await tr1.commit();
    expect(await committedUsers(db.url)).toEqual(['first']);
  });

  it('opens savepoints inside begin() and nests them to any depth', async () => {
    await using conn = await (await engines.make()).acquire();
    const tx = await conn.begin();
    const levels: NestedTransaction<unknown>[] = [];
    for (let depth = 1; depth <= 5; depth++) {
      levels.push((await conn.beginNested()) as unknown as NestedTransaction<unknown>);
      await conn.execute(insert(`level${depth}`));
    }
    expect(levels.map((sp) => sp.savepoint)).toEqual([1, 2, 3, 4, 5].map((n) => `pgsa_savepoint_${n}`));
    await levels[4]?.commit();
    await levels[3]?.commit();
    await levels[2]?.rollback(); // takes levels 3-5 with it: 4 and 5 were released into 3
    await levels[1]?.commit();
    await levels[0]?.commit();
    await tx.commit();
    expect(levels.map((sp) => sp.status)).toEqual([
      'committed',
      'committed',
      'rolledBack',
      'rolledBack',
      'rolledBack',
    ]);
    expect(await committedUsers(db.url)).toEqual(['first', 'level1', 'level2']);
  });

  it('opens a savepoint inside a transaction begun with SQL', async () => {
    await using conn = await (await engines.make()).acquire();
    await conn.execute('BEGIN');
    await conn.execute(insert('outer'));
    const sp = await conn.beginNested();
    expect(sp.savepoint).toBe('pgsa_savepoint_1');
    await conn.execute(insert('inner'));
    await sp.rollback();
    await conn.execute('COMMIT');
    expect(await committedUsers(db.url)).toEqual(['first', 'outer']);
  });

  it('makes begin() inside a savepoint join the savepoint: its rollback undoes only that', async () => {
    await using conn = await (await engines.make()).acquire();
    const tx = await conn.begin();
    await conn.execute(insert('outer'));
    const sp = await conn.beginNested();
    const joined = await conn.begin();
    await conn.execute(insert('inner'));
    await joined.rollback();
    expect(sp.status).toBe('rolledBack');
    expect(tx.isActive).toBe(true);
    await tx.commit();
    expect(await committedUsers(db.url)).toEqual(['first', 'outer']);
  });
});

describe('out-of-order ends', () => {
  it('refuses to commit an outer savepoint while an inner one is active and sends nothing', async () => {
    const e = await engines.make();
    await using conn = await e.acquire();
    const tx = await conn.begin();
    const outer = await conn.beginNested();
    await conn.execute(insert('outer'));
    const inner = await conn.beginNested();
    await conn.execute(insert('inner'));
    const sent = e.captured.sql.length;
    expect(await rejection(outer.commit(), InterfaceError)).toEqual(
      new InterfaceError(
        'cannot commit: savepoint pgsa_savepoint_1 is not the innermost transaction; ' +
          'savepoint pgsa_savepoint_2 is still active (commit or roll it back first, or ' +
          'close() this one to roll back everything inside it)',
      ),
    );
    expect(e.captured.sql.length).toBe(sent);
    expect([tx.status, outer.status, inner.status]).toEqual(['active', 'active', 'active']);
    // The server state is unchanged: finishing in order works and keeps everything.
    await inner.commit();
    await outer.commit();
    await tx.commit();
    expect(await committedUsers(db.url)).toEqual(['first', 'outer', 'inner']);
  });

  it('refuses to roll back an outer savepoint while an inner one is active', async () => {
    await using conn = await (await engines.make()).acquire();
    const tx = await conn.begin();
    const outer = await conn.beginNested();
    const inner = await conn.beginNested();
    await conn.execute(insert('inner'));
    expect((await rejection(outer.rollback(), InterfaceError)).message).toMatch(
      /^cannot rollback: savepoint pgsa_savepoint_1 is not the innermost transaction/,
    );
    expect(inner.isActive).toBe(true);
    await inner.rollback();
    await outer.rollback();
    await tx.commit();
    expect(await committedUsers(db.url)).toEqual(['first']);
  });

  it('refuses to commit the outermost transaction while a savepoint is active', async () => {
    await using conn = await (await engines.make()).acquire();
    const tx = await conn.begin();
    const sp = await conn.beginNested();
    expect((await rejection(tx.commit(), InterfaceError)).message).toMatch(
      /^cannot commit: transaction is not the innermost transaction; savepoint pgsa_savepoint_1 is/,
    );
    expect(conn.inTransaction).toBe(true);
    await sp.commit();
    await tx.commit();
    expect(conn.inTransaction).toBe(false);
  });

  it('rolls back everything inside on close() of an outer savepoint', async () => {
    const e = await engines.make();
    await using conn = await e.acquire();
    const tx = await conn.begin();
    await conn.execute(insert('root'));
    const outer = await conn.beginNested();
    await conn.execute(insert('outer'));
    const inner = await conn.beginNested();
    await conn.execute(insert('inner'));
    await outer.close();
    expect(e.captured.sql.at(-1)).toBe(
      'ROLLBACK TO SAVEPOINT "pgsa_savepoint_1"; RELEASE SAVEPOINT "pgsa_savepoint_1"',
    );
    expect([outer.status, inner.status, tx.status]).toEqual(['rolledBack', 'rolledBack', 'active']);
    await tx.commit();
    expect(await committedUsers(db.url)).toEqual(['first', 'root']);
  });

  it('rolls back every savepoint with the outermost transaction on close()', async () => {
    await using conn = await (await engines.make()).acquire();
    const tx = await conn.begin();
    const sp = await conn.beginNested();
    await conn.execute(insert('x'));
    await tx.close();
    expect([tx.status, sp.status]).toEqual(['rolledBack', 'rolledBack']);
    expect(conn.inTransaction).toBe(false);
    expect(await committedUsers(db.url)).toEqual(['first']);
  });
});

describe('errors inside savepoints', () => {
  it('marks savepoint and outer failed, and rolling back the savepoint revives the outer', async () => {
    await using conn = await (await engines.make()).acquire();
    const tx = await conn.begin();
    await conn.execute(insert('kept'));
    const sp = await conn.beginNested();
    await conn.execute(insert('undone'));
    await conn.execute('select 1/0').catch(() => {});
    expect([tx.status, sp.status]).toEqual(['failed', 'failed']);
    await sp.rollback();
    expect([tx.status, sp.status]).toEqual(['active', 'rolledBack']);
    await conn.execute(insert('after'));
    await tx.commit();
    expect(await committedUsers(db.url)).toEqual(['first', 'kept', 'after']);
  });

  it('rolls back to the savepoint on commit() of a failed savepoint and raises saying so', async () => {
    await using conn = await (await engines.make()).acquire();
    const tx = await conn.begin();
    await conn.execute(insert('kept'));
    const sp = await conn.beginNested();
    await conn.execute('select 1/0').catch(() => {});
    expect(await rejection(sp.commit(), InterfaceError)).toEqual(
      new InterfaceError(
        'cannot commit: savepoint pgsa_savepoint_1 is failed (a statement inside it raised an ' +
          'error: division by zero); it was rolled back to the savepoint and the enclosing transaction can continue',
      ),
    );
    expect(sp.status).toBe('rolledBack');
    expect(tx.status).toBe('active');
    await tx.commit();
    expect(await committedUsers(db.url)).toEqual(['first', 'kept']);
  });

  it('reports a released savepoint as rolled back once the outer transaction rolled back', async () => {
    await using conn = await (await engines.make()).acquire();
    const tx = await conn.begin();
    const sp = await conn.beginNested();
    await conn.execute(insert('x'));
    await sp.commit();
    expect(sp.status).toBe('committed');
    await tx.rollback();
    expect(sp.status).toBe('rolledBack');
    expect(await committedUsers(db.url)).toEqual(['first']);
  });
});
