import type { ColumnType, Selectable } from 'kysely';
import { describe, expectTypeOf, it } from 'vitest';
import type { DecodedSchema, Engine, TypeCodec, TypeOptions } from '../../src/index.js';

// As kysely-codegen writes them.
type Generated<T> = T extends ColumnType<infer S, infer I, infer U> ? ColumnType<S, I | undefined, U> : ColumnType<T, T | undefined, T>;
type Int8 = ColumnType<string, bigint | number | string, bigint | number | string>;
type Numeric = ColumnType<string, number | string, number | string>;
type Timestamp = ColumnType<Date, Date | string, Date | string>;

interface DB {
  orders: {
    id: Generated<Int8>;
    total: Numeric;
    parent: Int8 | null;
    placed: Timestamp;
    note: string | null;
  };
}

describe('DecodedSchema', () => {
  it('selects int8 columns as bigint with types.bigint = bigint, keeping insert types', () => {
    type Orders = DecodedSchema<DB, { bigint: 'bigint' }>['orders'];
    expectTypeOf<Selectable<Orders>>().toEqualTypeOf<{
      id: bigint;
      total: string;
      parent: bigint | null;
      placed: Date;
      note: string | null;
    }>();
    expectTypeOf<Orders['id']>().toEqualTypeOf<ColumnType<bigint, bigint | number | string | undefined, bigint | number | string>>();
  });

  it('selects int8 as number and numeric as number when chosen, as string by default', () => {
    type Chosen = Selectable<DecodedSchema<DB, { bigint: 'number'; numeric: 'number' }>['orders']>;
    expectTypeOf<Chosen['id']>().toEqualTypeOf<number>();
    expectTypeOf<Chosen['total']>().toEqualTypeOf<number>();
    type Defaults = Selectable<DecodedSchema<DB, Record<never, never>>['orders']>;
    expectTypeOf<Defaults['id']>().toEqualTypeOf<string>();
    expectTypeOf<Defaults['total']>().toEqualTypeOf<string>();
  });

  it('types the engine\'s rows from the decoded schema', async () => {
    const engine = {} as Engine<DecodedSchema<DB, { bigint: 'bigint' }>>;
    const rows = await engine.db.selectFrom('orders').select(['id', 'parent']).execute();
    expectTypeOf(rows).toEqualTypeOf<{ id: bigint; parent: bigint | null }[]>();
  });
});

describe('type codec options', () => {
  it('takes only the documented choices', () => {
    expectTypeOf<{ bigint: 'bigint'; date: 'Date' }>().toMatchTypeOf<TypeOptions>();
    // @ts-expect-error not a choice
    const wrong: TypeOptions = { bigint: 'float' };
    void wrong;
  });

  it('types setTypeCodec\'s encode from decode', () => {
    const codec: TypeCodec<{ x: number }> = { decode: (text) => ({ x: Number(text) }), encode: (value) => String(value.x) };
    expectTypeOf(codec.decode).returns.toEqualTypeOf<{ x: number }>();
    expectTypeOf<Engine['setTypeCodec']>().parameters.toEqualTypeOf<[string, TypeCodec<unknown>]>();
  });
});
