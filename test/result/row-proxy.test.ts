import { inspect } from 'node:util';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../schema/database.js';
import {
  AmbiguousColumnError,
  InterfaceError,
  isRowProxy,
  type SAConnection,
} from '../../src/index.js';
import { useTestDatabase, withClient } from '../support/test-database.js';
import { useEngines } from '../support/engine-fixture.js';

const db = useTestDatabase();
const engines = useEngines(db, { shared: true });

let conn: SAConnection<Database>;
beforeEach(async (context) => {
  await withClient(db.url, async (client) => {
    await client.query('truncate users, emails restart identity cascade');
    await client.query(`insert into users (name) values ('ann'), ('bob')`);
    await client.query(
      `insert into emails (user_id, email, private) values (1, 'ann@x', false), (2, 'bob@x', true)`,
    );
  });
  conn = await engines.shared.acquire();
  context.onTestFinished(() => conn.close());
});

async function firstUser() {
  const result = await conn.execute(
    conn.db.selectFrom('users').select(['id', 'name']).where('id', '=', 1),
  );
  const row = result.first();
  if (row === null) throw new Error('expected a row');
  return row;
}

async function joinedRow() {
  const result = await conn.execute(
    'select u.id, e.id, u.name from users u join emails e on e.user_id = u.id where u.id = 2',
  );
  const row = result.first();
  if (row === null) throw new Error('expected a row');
  return row;
}

describe('reading a row', () => {
  it('gives columns as properties, by get(name) and by position', async () => {
    const row = await firstUser();
    expect(row.id).toBe(1);
    expect(row.name).toBe('ann');
    expect(row.get('name')).toBe('ann');
    expect(row.at(0)).toBe(1);
    expect(row.at(-1)).toBe('ann');
    expect(row.at(5)).toBeUndefined();
  });

  it('lists keys, values and entries in column order, with has() and length', async () => {
    const row = await firstUser();
    expect(row.keys()).toEqual(['id', 'name']);
    expect(row.values()).toEqual([1, 'ann']);
    expect(row.entries()).toEqual([
      ['id', 1],
      ['name', 'ann'],
    ]);
    expect(row.has('name')).toBe(true);
    expect(row.has('unknown')).toBe(false);
    expect(row.length).toBe(2);
    expect(isRowProxy(row)).toBe(true);
  });

  it('JSON.stringify(row) is the plain object of its columns', async () => {
    const row = await firstUser();
    expect(JSON.stringify(row)).toBe('{"id":1,"name":"ann"}');
    expect(row.toJSON()).toEqual({ id: 1, name: 'ann' });
  });

  it('get() of an unknown column raises InterfaceError listing the columns', async () => {
    const row = await firstUser();
    expect(() => row.get('nope' as 'name')).toThrow(
      new InterfaceError('no column named "nope" in this row (columns: id, name)'),
    );
  });

  it('util.inspect shows the columns, although they live on the prototype', async () => {
    const row = await firstUser();
    expect(inspect(row)).toBe("RowProxy { id: 1, name: 'ann' }");
    expect(Object.keys(row)).toEqual([]);
  });
});

describe('equals', () => {
  it('is true for the same row read twice, an equal array or an equal plain object', async () => {
    const row = await firstUser();
    const again = await firstUser();
    expect(row.equals(again)).toBe(true);
    expect(row.equals([1, 'ann'])).toBe(true);
    expect(row.equals({ id: 1, name: 'ann' })).toBe(true);
  });

  it('is false for other values, other columns or other types', async () => {
    const row = await firstUser();
    const other = (await conn.execute('select 1 as id, $1::text as nom', ['ann'])).first();
    expect(row.equals([555, 'other'])).toBe(false);
    expect(row.equals({ id: 1 })).toBe(false);
    expect(row.equals(other)).toBe(false);
    expect(row.equals(5)).toBe(false);
    expect(row.equals(null)).toBe(false);
  });
});

describe('duplicate column names (joins)', () => {
  it('at(i) returns each of the columns sharing a name', async () => {
    const row = await joinedRow();
    expect(row.at(0)).toBe(2);
    expect(row.at(1)).toBe(2);
    expect(row.keys()).toEqual(['id', 'id', 'name']);
    expect(row.get('name')).toBe('bob');
  });

  it('reading the shared name raises AmbiguousColumnError naming it', async () => {
    const row = (await joinedRow()) as unknown as { id: unknown; get(name: string): unknown };
    const expected = new AmbiguousColumnError('id');
    expect(expected.message).toBe(
      'column "id" is ambiguous: the row has several columns with that name; ' +
        'read them by position with row.at(i) or alias them in the query',
    );
    expect(() => row.id).toThrow(expected);
    expect(() => row.get('id')).toThrow(expected);
  });

  it('toJSON raises AmbiguousColumnError rather than dropping a column', async () => {
    const row = await joinedRow();
    expect(() => JSON.stringify(row)).toThrow(new AmbiguousColumnError('id'));
    expect(row.entries()).toEqual([
      ['id', 2],
      ['id', 2],
      ['name', 'bob'],
    ]);
  });

  it('util.inspect numbers the duplicates', async () => {
    expect(inspect(await joinedRow())).toBe("RowProxy { id: 2, 'id (2)': 2, name: 'bob' }");
  });
});

describe('columns named like row methods', () => {
  const query = `select 'k' as keys, 'g' as get, 'l' as length, 't' as then, 'n' as name`;

  it('keep the methods; the columns are read with get()', async () => {
    const row = (await conn.execute<{ keys: string; get: string; length: string; then: string; name: string }>(query)).first();
    if (row === null) throw new Error('expected a row');
    expect(row.keys()).toEqual(['keys', 'get', 'length', 'then', 'name']);
    expect(row.length).toBe(5);
    expect(row.get('keys')).toBe('k');
    expect(row.get('get')).toBe('g');
    expect(row.get('length')).toBe('l');
    expect(row.get('then')).toBe('t');
    expect(row.name).toBe('n');
    expect(row.toJSON()).toEqual({ keys: 'k', get: 'g', length: 'l', then: 't', name: 'n' });
  });

  it('a column named then does not make the row look like a promise', async () => {
    const row = (await conn.execute(query)).first();
    expect(await Promise.resolve(row)).toBe(row);
  });
});
