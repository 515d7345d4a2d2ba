import { CompiledQuery, sql } from 'kysely';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../schema/database.js';
import { InterfaceError, ResourceClosedError, type SAConnection } from '../../src/index.js';
import { useTestDatabase, withClient } from '../support/test-database.js';
import { useEngines } from '../support/engine-fixture.js';
import { rejection } from '../support/rejection.js';

const db = useTestDatabase();
const engines = useEngines(db, { shared: true });

let conn: SAConnection<Database>;
beforeEach(async (context) => {
  await withClient(db.url, async (client) => {
    await client.query('truncate users, emails restart identity cascade');
    await client.query(`insert into users (name) values ('ann'), ('bob'), ('cy')`);
  });
  conn = await engines.shared.acquire();
  context.onTestFinished(() => conn.close());
});

const selectUsers = () => conn.db.selectFrom('users').select(['id', 'name']).orderBy('id');

describe('rowCount and returnsRows', () => {
  it('SELECT: rows returned, returnsRows true', async () => {
    const result = await conn.execute(selectUsers());
    expect(result).toMatchObject({ rowCount: 3, returnsRows: true, command: 'SELECT' });
  });

  it('INSERT without RETURNING: rows inserted, returnsRows false, closed at once', async () => {
    const result = await conn.execute(
      conn.db.insertInto('users').values([{ name: 'd' }, { name: 'e' }]),
    );
    expect(result).toMatchObject({ rowCount: 2, returnsRows: false, closed: true });
    expect(result.keys()).toEqual([]);
  });

  it('UPDATE: rows matched', async () => {
    const result = await conn.execute('update users set name = name where id <= $1', [2]);
    expect(result).toMatchObject({ rowCount: 2, returnsRows: false, command: 'UPDATE' });
  });

  it('DELETE: rows deleted, no keys, closed at once (as aiopg)', async () => {
    const result = await conn.execute(conn.db.deleteFrom('users').where('id', '=', 3));
    expect(result).toMatchObject({
      rowCount: 1,
      returnsRows: false,
      command: 'DELETE',
      closed: true,
    });
    expect(result.keys()).toEqual([]);
  });

  it('DDL: rowCount -1 (the server sends no count, as psycopg2) and returnsRows false', async () => {
    const result = await conn.execute('create temp table t_ddl (a int)');
    expect(result).toMatchObject({ rowCount: -1, returnsRows: false, command: 'CREATE' });
  });

  it('INSERT … RETURNING: rows inserted, returnsRows true, the returned columns as keys', async () => {
    const result = await conn.execute(
      conn.db.insertInto('users').values([{ name: 'd' }, { name: 'e' }]).returning(['id', 'name']),
    );
    expect(result).toMatchObject({ rowCount: 2, returnsRows: true, command: 'INSERT' });
    expect(result.keys()).toEqual(['id', 'name']);
    expect(result.fetchAll().map((row) => row.toJSON())).toEqual([
      { id: 4, name: 'd' },
      { id: 5, name: 'e' },
    ]);
  });
});

describe('keys()', () => {
  it('lists the columns in order, duplicates from a join included', async () => {
    const result = await conn.execute(
      'select u.id, e.id, u.name, e.email from users u left join emails e on e.user_id = u.id',
    );
    expect(result.keys()).toEqual(['id', 'id', 'name', 'email']);
  });
});

describe('fetching', () => {
  it('fetchMany() without a size returns one row (aiopg arraysize)', async () => {
    const result = await conn.execute(selectUsers());
    expect(result.fetchMany().map((row) => row.name)).toEqual(['ann']);
    expect(result.fetchMany(5).map((row) => row.name)).toEqual(['bob', 'cy']);
    expect(result.closed).toBe(false);
  });

  it('fetchOne() returns null after the last row, every time', async () => {
    const result = await conn.execute(selectUsers());
    expect(result.fetchAll()).toHaveLength(3);
    expect(result.fetchOne()).toBeNull();
    expect(result.fetchOne()).toBeNull();
    expect(result.fetchMany(2)).toEqual([]);
    expect(result.fetchAll()).toEqual([]);
  });

  it('fetchMany refuses a negative size with RangeError', async () => {
    const result = await conn.execute(selectUsers());
    expect(() => result.fetchMany(-1)).toThrow(
      new RangeError('fetchMany size must be a non-negative integer, got -1'),
    );
  });

  it('first() returns the first row and closes the result', async () => {
    const result = await conn.execute(selectUsers());
    expect(result.first()?.name).toBe('ann');
    expect(result.closed).toBe(true);
    expect(() => result.fetchOne()).toThrow(
      new ResourceClosedError('cannot fetchOne: this result is closed'),
    );
  });

  it('first() on an empty result returns null', async () => {
    const result = await conn.execute(selectUsers().where('id', '>', 100));
    expect(result.first()).toBeNull();
  });

  it('scalar() returns the first column of the first row, or null, and closes', async () => {
    const result = await conn.execute('select count(*)::int as n, 7 from users');
    expect(result.scalar()).toBe(3);
    expect(result.closed).toBe(true);
    expect((await conn.execute('select 1 where false')).scalar()).toBeNull();
  });

  it('readers may be awaited like aiopg coroutines', async () => {
    const result = await conn.execute(selectUsers());
    expect((await result.fetchOne())?.id).toBe(1);
    expect(await result.fetchMany(1)).toHaveLength(1);
    expect(await result.fetchAll()).toHaveLength(1);
  });
});

describe('closed results', () => {
  it('close() twice is harmless and reading afterwards raises ResourceClosedError', async () => {
    const result = await conn.execute(selectUsers());
    result.close();
    result.close();
    expect(result.closed).toBe(true);
    expect(() => result.fetchAll()).toThrow(
      new ResourceClosedError('cannot fetchAll: this result is closed'),
    );
    expect(() => result.fetchMany(5)).toThrow(ResourceClosedError);
  });

  it('reading rows of a statement that returns none raises ResourceClosedError saying so', async () => {
    const result = await conn.execute(conn.db.deleteFrom('users').where('id', '=', 1));
    expect(() => result.fetchAll()).toThrow(
      new ResourceClosedError(
        'cannot fetchAll: this DELETE result does not return rows; it was closed automatically',
      ),
    );
    expect(() => result.first()).toThrow(ResourceClosedError);
    expect(() => result.fetchMany()).toThrow(ResourceClosedError);
  });

  it('reading rows of a DDL result raises ResourceClosedError naming the command', async () => {
    const result = await conn.execute('create temp table t_rows (a int)');
    expect(() => result.fetchMany()).toThrow(
      new ResourceClosedError(
        'cannot fetchMany: this CREATE result does not return rows; it was closed automatically',
      ),
    );
  });

  it('iterating a closed result raises ResourceClosedError', async () => {
    const result = await conn.execute(selectUsers());
    result.close();
    expect(() => [...result]).toThrow(new ResourceClosedError('cannot fetchOne: this result is closed'));
  });
});

describe('iteration', () => {
  it('sync iteration yields the remaining rows', async () => {
    const result = await conn.execute(selectUsers());
    result.fetchOne();
    expect([...result].map((row) => row.name)).toEqual(['bob', 'cy']);
    expect(result.fetchOne()).toBeNull();
  });

  it('async iteration yields the remaining rows', async () => {
    const result = await conn.execute(selectUsers());
    result.fetchOne();
    const names: (string | null)[] = [];
    for await (const row of result) names.push(row.name);
    expect(names).toEqual(['bob', 'cy']);
  });
});

describe('what execute accepts', () => {
  it('a Kysely builder, its CompiledQuery, a sql template and a string with params agree', async () => {
    const fromBuilder = (await conn.execute(selectUsers().where('id', '=', 2))).fetchAll();
    const compiled = selectUsers().where('id', '=', 2).compile();
    const fromCompiled = (await conn.execute(compiled)).fetchAll();
    const fromTemplate = (
      await conn.execute(sql<{ id: number; name: string }>`select id, name from users where id = ${2}`)
    ).fetchAll();
    const fromRawCompiled = (
      await conn.execute(CompiledQuery.raw('select id, name from users where id = $1', [2]))
    ).fetchAll();
    const fromString = (
      await conn.execute('select id, name from users where id = $1', [2])
    ).fetchAll();
    for (const rows of [fromCompiled, fromTemplate, fromRawCompiled, fromString]) {
      expect(rows.map((row) => row.toJSON())).toEqual(fromBuilder.map((row) => row.toJSON()));
    }
    expect(fromBuilder[0]?.toJSON()).toEqual({ id: 2, name: 'bob' });
  });

  it('params with a builder are refused with InterfaceError', async () => {
    expect((await rejection(conn.execute(selectUsers() as never, [1] as never), InterfaceError)).message).toContain(
      'params are only accepted with a SQL string',
    );
  });

  it('a multi-statement string gives the result of the last statement', async () => {
    const result = await conn.execute('select 1 as a; select 2 as b, 3 as c');
    expect(result.keys()).toEqual(['b', 'c']);
    expect(result.first()?.toJSON()).toEqual({ b: 2, c: 3 });
  });

  it('scalar() on the connection returns the first value or null', async () => {
    expect(await conn.scalar(conn.db.selectFrom('users').select('name').where('id', '=', 3))).toBe('cy');
    expect(await conn.scalar('select name from users where id = $1', [99])).toBeNull();
  });

  it('conn.db runs on this connection, inside its transaction', async () => {
    await conn.execute('begin');
    await conn.db.insertInto('users').values({ name: 'in-tx' }).execute();
    expect(await conn.scalar(`select count(*)::int from users where name = 'in-tx'`)).toBe(1);
    const outside = await withClient(db.url, (client) =>
      client.query(`select count(*)::int as n from users where name = 'in-tx'`),
    );
    expect(outside.rows[0]).toEqual({ n: 0 });
    await conn.execute('rollback');
    expect(await conn.scalar(`select count(*)::int from users where name = 'in-tx'`)).toBe(0);
  });

  it('engine.db runs each query on a pooled connection and releases it', async () => {
    const rows = await engines.shared.db.selectFrom('users').select('name').orderBy('id').execute();
    expect(rows).toEqual([{ name: 'ann' }, { name: 'bob' }, { name: 'cy' }]);
    expect(engines.shared.stats().inUse).toBe(1); // only this test's conn
  });
});
