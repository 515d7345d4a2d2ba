import { describe, expectTypeOf, it } from 'vitest';
import type { ResultProxy, RowProxy } from '../../src/index.js';

type User = { id: number; name: string | null };
declare const result: ResultProxy<User>;
declare const row: RowProxy<User>;
declare const count: ResultProxy<{ n: number }>;
declare const untyped: ResultProxy<Record<string, unknown>>;

describe('ResultProxy types', () => {
  it('fetchOne() and first() are Row | null; fetchMany/fetchAll arrays; scalar typed from the row', () => {
    expectTypeOf(result.fetchOne()).toEqualTypeOf<RowProxy<User> | null>();
    expectTypeOf(result.first()).toEqualTypeOf<RowProxy<User> | null>();
    expectTypeOf(result.fetchMany()).toEqualTypeOf<RowProxy<User>[]>();
    expectTypeOf(result.fetchAll()).toEqualTypeOf<RowProxy<User>[]>();
    expectTypeOf(result.scalar()).toEqualTypeOf<number | string | null>();
    expectTypeOf(count.scalar()).toEqualTypeOf<number | null>();
    expectTypeOf(untyped.scalar()).toEqualTypeOf<unknown>();
    expectTypeOf(result.keys()).toEqualTypeOf<string[]>();
    expectTypeOf(result.rowCount).toEqualTypeOf<number>();
    expectTypeOf(result.returnsRows).toEqualTypeOf<boolean>();
  });

  it('iterates as RowProxy<Row>, sync and async', async () => {
    for (const r of result) expectTypeOf(r).toEqualTypeOf<RowProxy<User>>();
    for await (const r of result) expectTypeOf(r).toEqualTypeOf<RowProxy<User>>();
  });
});

describe('RowProxy types', () => {
  it('has the columns and the methods', () => {
    expectTypeOf(row.id).toEqualTypeOf<number>();
    expectTypeOf(row.get('name')).toEqualTypeOf<string | null>();
    expectTypeOf(row.at(0)).toEqualTypeOf<unknown>();
    expectTypeOf(row.keys()).toEqualTypeOf<string[]>();
    expectTypeOf(row.values()).toEqualTypeOf<unknown[]>();
    expectTypeOf(row.entries()).toEqualTypeOf<[string, unknown][]>();
    expectTypeOf(row.has('x')).toEqualTypeOf<boolean>();
    expectTypeOf(row.length).toEqualTypeOf<number>();
    expectTypeOf(row.toJSON()).toEqualTypeOf<User>();
    expectTypeOf(row.equals([1, 'a'])).toEqualTypeOf<boolean>();
    // @ts-expect-error get() takes column names only
    row.get('nope');
  });

  it('keeps the methods for columns named like them; get() reads the column', () => {
    type Odd = { keys: string; get: number; length: boolean; then: string; name: string };
    const odd = {} as RowProxy<Odd>;
    expectTypeOf(odd.keys).toEqualTypeOf<() => string[]>();
    expectTypeOf(odd.length).toEqualTypeOf<number>();
    expectTypeOf(odd.get('keys')).toEqualTypeOf<string>();
    expectTypeOf(odd.get('get')).toEqualTypeOf<number>();
    expectTypeOf(odd.get('length')).toEqualTypeOf<boolean>();
    expectTypeOf(odd.get('then')).toEqualTypeOf<string>();
    expectTypeOf(odd).not.toHaveProperty('then');
    expectTypeOf(odd.name).toEqualTypeOf<string>();
  });
});
