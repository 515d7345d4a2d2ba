import type { Generated } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { Database } from '../../schema/database.js';
import {
  ConcurrentUpdateError,
  createRepository,
  DataError,
  dbSession,
  InterfaceError,
  PgsaError,
  runInNewContext,
  UniqueViolationError,
} from '../../src/index.js';
import { useEngines } from '../support/engine-fixture.js';
import { observe, useTestDatabase } from '../support/test-database.js';
import { rejection } from '../support/rejection.js';

interface Tables extends Database {
  accounts: { tenant: string; id: number; balance: number; version: Generated<number> };
}

const db = useTestDatabase();
const engines = useEngines<Tables>(db, {
  defaults: { minSize: 1, maxSize: 3 },
  shared: true,
  setup: `create table accounts (tenant text, id int, balance int not null,
    version int not null default 1, primary key (tenant, id))`,
  reset: 'truncate users, emails, accounts restart identity cascade',
});

const users = () => createRepository(engines.shared, 'users', { primaryKey: 'id' });
const accounts = () =>
  createRepository(engines.shared, 'accounts', { primaryKey: ['tenant', 'id'], version: 'version' });
const storedUsers = () => observe(db.url, 'select id, name from users order by id');
const storedAccounts = () => observe(db.url, 'select tenant, id, balance, version from accounts order by tenant, id');

describe('createRepository (single key)', () => {
  it('create inserts one row and returns it as stored', async () => {
    const row = await users().create({ name: 'ann' });
    expect(row).toEqual({ id: 1, name: 'ann', birthday: null });
    expect(await storedUsers()).toEqual([{ id: 1, name: 'ann' }]);
  });

  it('createMany inserts every row in one statement and returns them in order', async () => {
    const before = engines.shared.captured.sql.length;
    const rows = await users().createMany([{ name: 'ann' }, { name: 'bob', birthday: new Date('1990-01-02T00:00:00Z') }]);
    expect(rows.map((row) => [row.id, row.name])).toEqual([
      [1, 'ann'],
      [2, 'bob'],
    ]);
    expect(engines.shared.captured.sql.slice(before)).toEqual([
      'insert into "users" ("name", "birthday") values ($1, default), ($2, $3) returning *',
    ]);
  });

  it('createMany with an empty list is an InterfaceError, nothing sent', async () => {
    const error = await rejection(users().createMany([]), InterfaceError);
    expect(error.message).toBe('createMany(users): expected a non-empty array of rows, got an empty array');
    expect(engines.shared.captured.sql).toEqual([]);
  });

  it('createMany stores nothing when one row fails', async () => {
    await users().create({ name: 'ann' });
    await rejection(users().createMany([{ name: 'bob' }, { id: 1, name: 'dup' } as never]), UniqueViolationError);
    expect(await storedUsers()).toEqual([{ id: 1, name: 'ann' }]);
  });

  it('getById returns the row or null', async () => {
    await users().createMany([{ name: 'ann' }, { name: 'bob' }]);
    expect(await users().getById(2)).toEqual({ id: 2, name: 'bob', birthday: null });
    expect(await users().getById(99)).toBeNull();
  });

  it('an id of the wrong type is an InterfaceError naming the key; one the server cannot read is a DataError', async () => {
    const error = await rejection(users().getById({ id: 1 } as never), InterfaceError);
    expect(error.message).toBe(
      'getById(users): the id must be a value of the "id" column (a string, number, bigint or Date), got object',
    );
    await rejection(users().delete(Number.NaN), InterfaceError);
    await rejection(users().update(null as never, { name: 'x' }), InterfaceError);
    const server = await rejection(users().getById('abc' as never), DataError);
    expect(server.sqlstate).toBe('22P02');
  });

  it('list filters, orders, limits and offsets', async () => {
    await users().createMany([{ name: 'ann' }, { name: 'bob' }, { name: null }, { name: 'bob' }]);
    expect((await users().list()).map((row) => row.id)).toEqual([1, 2, 3, 4]);
    expect((await users().list({ where: { name: 'bob' } })).map((row) => row.id)).toEqual([2, 4]);
    expect((await users().list({ where: { name: null } })).map((row) => row.id)).toEqual([3]);
    expect((await users().list({ orderBy: [['id', 'desc']], limit: 2, offset: 1 })).map((row) => row.id)).toEqual([3, 2]);
    expect((await users().list({ orderBy: ['name', ['id', 'desc']] })).map((row) => row.id)).toEqual([1, 4, 2, 3]);
    const error = await rejection(users().list({ limit: -1 }), InterfaceError);
    expect(error.message).toBe('list: limit must be a non-negative integer, got -1');
  });

  it('count counts all rows or the matching ones', async () => {
    await users().createMany([{ name: 'ann' }, { name: 'bob' }, { name: 'bob' }]);
    expect(await users().count()).toBe(3);
    expect(await users().count({ name: 'bob' })).toBe(2);
    expect(await users().count({ name: 'zed' })).toBe(0);
  });

  it('update returns the updated row, or null when there is none', async () => {
    await users().create({ name: 'ann' });
    expect(await users().update(1, { name: 'Ann' })).toEqual({ id: 1, name: 'Ann', birthday: null });
    expect(await users().update(9, { name: 'x' })).toBeNull();
    expect(await storedUsers()).toEqual([{ id: 1, name: 'Ann' }]);
  });

  it('update with an empty patch is an InterfaceError, nothing sent', async () => {
    const error = await rejection(users().update(1, {}), InterfaceError);
    expect(error.message).toBe('update(users): the patch has no column to change');
    expect(engines.shared.captured.sql).toEqual([]);
  });

  it('delete says whether a row was deleted', async () => {
    await users().create({ name: 'ann' });
    expect(await users().delete(1)).toBe(true);
    expect(await users().delete(1)).toBe(false);
    expect(await storedUsers()).toEqual([]);
  });

  it('a column the table does not have is refused by the server (raw misuse past the types)', async () => {
    const error = await rejection(users().list({ where: { nope: 1 } as never }), PgsaError);
    expect(error.message).toContain('column "nope" does not exist');
  });
});

describe('createRepository (composite key, version column)', () => {
  it('reads, updates and deletes by the composite key', async () => {
    await accounts().createMany([
      { tenant: 'a', id: 1, balance: 10 },
      { tenant: 'b', id: 1, balance: 20 },
    ]);
    expect(await accounts().getById({ tenant: 'b', id: 1 })).toEqual({ tenant: 'b', id: 1, balance: 20, version: 1 });
    expect(await accounts().update({ tenant: 'a', id: 1 }, { balance: 11, version: 1 })).toEqual({
      tenant: 'a',
      id: 1,
      balance: 11,
      version: 2,
    });
    expect(await accounts().delete({ tenant: 'b', id: 1 })).toBe(true);
    expect(await storedAccounts()).toEqual([{ tenant: 'a', id: 1, balance: 11, version: 2 }]);
  });

  it('a composite id without every key column is an InterfaceError', async () => {
    const error = await rejection(accounts().getById({ tenant: 'a' } as never), InterfaceError);
    expect(error.message).toBe(
      'getById(accounts): the id must have exactly "tenant", "id", each a key value; missing or not a value: id',
    );
    const extra = await rejection(accounts().delete({ tenant: 'a', id: 1, other: 2 } as never), InterfaceError);
    expect(extra.message).toContain('not key columns: other');
    await rejection(accounts().getById(1 as never), InterfaceError);
  });

  it('an update with a stale version is a ConcurrentUpdateError and changes nothing', async () => {
    await accounts().create({ tenant: 'a', id: 1, balance: 10 });
    await accounts().update({ tenant: 'a', id: 1 }, { balance: 11, version: 1 });
    const error = await rejection(
      accounts().update({ tenant: 'a', id: 1 }, { balance: 99, version: 1 }),
      ConcurrentUpdateError,
    );
    expect(error.message).toBe(
      'cannot update accounts (tenant = a, id = 1): its version is no longer 1 (another update came first); ' +
        'nothing was changed: read the row again and retry',
    );
    expect(error.expectedVersion).toBe(1);
    expect(await storedAccounts()).toEqual([{ tenant: 'a', id: 1, balance: 11, version: 2 }]);
  });

  it('an update without the version is an InterfaceError; a missing row is null', async () => {
    const error = await rejection(accounts().update({ tenant: 'a', id: 1 }, { balance: 1 }), InterfaceError);
    expect(error.message).toBe(
      'update(accounts): the patch must carry the row\'s current "version" (optimistic locking); read the row first',
    );
    expect(await accounts().update({ tenant: 'z', id: 9 }, { balance: 1, version: 1 })).toBeNull();
  });
});

describe('createRepository in a session context', () => {
  it('joins the context session: committed when the context ends', async () => {
    await runInNewContext(async () => {
      const created = await users().create({ name: 'ann' });
      expect(await users().getById(created.id)).toEqual(created);
      // Inside the context's transaction: not committed yet.
      expect(await storedUsers()).toEqual([]);
      expect((await dbSession(engines.shared)).inTransaction).toBe(true);
    });
    expect(await storedUsers()).toEqual([{ id: 1, name: 'ann' }]);
  });

  it('rolled back with the context when it throws', async () => {
    await expect(
      runInNewContext(async () => {
        await users().createMany([{ name: 'ann' }, { name: 'bob' }]);
        throw new Error('handler failed');
      }),
    ).rejects.toThrow('handler failed');
    expect(await storedUsers()).toEqual([]);
  });
});
