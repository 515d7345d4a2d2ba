import type { Generated } from 'kysely';
import { describe, expectTypeOf, it } from 'vitest';
import type { Database } from '../../schema/database.js';
import { createRepository, type Engine } from '../../src/index.js';

interface Tables extends Database {
  accounts: { tenant: string; id: number; balance: number; version: Generated<number> };
}

declare const engine: Engine<Tables>;
const users = createRepository(engine, 'users', { primaryKey: 'id' });
const accounts = createRepository(engine, 'accounts', { primaryKey: ['tenant', 'id'], version: 'version' });

type User = { id: number; name: string | null; birthday: Date | null };

describe('Repository types', () => {
  it('types rows as Selectable, ids by the key column', async () => {
    expectTypeOf(await users.getById(1)).toEqualTypeOf<User | null>();
    expectTypeOf(await users.list({ where: { name: 'ann' }, orderBy: [['id', 'desc']], limit: 1 })).toEqualTypeOf<User[]>();
    expectTypeOf(await users.create({ name: 'ann' })).toEqualTypeOf<User>();
    expectTypeOf(await users.createMany([{ name: 'a' }])).toEqualTypeOf<User[]>();
    expectTypeOf(await users.update(1, { name: 'b' })).toEqualTypeOf<User | null>();
    expectTypeOf(await users.delete(1)).toEqualTypeOf<boolean>();
    expectTypeOf(await users.count({ name: null })).toEqualTypeOf<number>();
  });

  it('types a composite id as an object of the key columns', async () => {
    const row = await accounts.getById({ tenant: 'a', id: 1 });
    expectTypeOf(row).toEqualTypeOf<{ tenant: string; id: number; balance: number; version: number } | null>();
    // @ts-expect-error a composite id is an object
    await accounts.getById(1);
    // @ts-expect-error every key column is needed
    await accounts.getById({ tenant: 'a' });
  });

  it('refuses wrong table and column names', () => {
    // @ts-expect-error no such table
    createRepository(engine, 'nope', { primaryKey: 'id' });
    // @ts-expect-error no such column as primary key
    createRepository(engine, 'users', { primaryKey: 'uid' });
    // @ts-expect-error no such column as version
    createRepository(engine, 'users', { primaryKey: 'id', version: 'rev' });
    // @ts-expect-error no such column in where
    void users.list({ where: { nope: 1 } });
    // @ts-expect-error no such column in orderBy
    void users.list({ orderBy: 'nope' });
    // @ts-expect-error no such column in a new row
    void users.create({ name: 'a', nope: 1 });
    // @ts-expect-error no such column in a patch
    void users.update(1, { nope: 1 });
  });

  it('refuses wrong value types and a missing required column', () => {
    // @ts-expect-error the id of users is a number
    void users.getById('1');
    // @ts-expect-error name is a string
    void users.create({ name: 1 });
    // @ts-expect-error balance is a number
    void accounts.update({ tenant: 'a', id: 1 }, { balance: 'x', version: 1 });
    // @ts-expect-error balance (not null, no default) is required
    void accounts.create({ tenant: 'a', id: 1 });
    // @ts-expect-error where values are typed too
    void users.count({ id: 'x' });
  });
});
