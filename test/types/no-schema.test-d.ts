import { describe, expectTypeOf, it } from 'vitest';
import { createEngine, type NoSchema, type RowProxy } from '../../src/index.js';

describe('an engine created without a schema type', () => {
  it('is typed with NoSchema, whose one "table" says what is missing', async () => {
    const engine = await createEngine({ connectionString: 'postgres://localhost/db' });
    expectTypeOf(engine.db.selectFrom).parameter(0).not.toMatchTypeOf<'users'>();
    // @ts-expect-error no Kysely schema given: create the engine with createEngine<DB>(…)
    engine.db.selectFrom('users');
    expectTypeOf<keyof NoSchema>().toEqualTypeOf<'no Kysely schema given: create the engine with createEngine<DB>(…)'>();
    // Raw SQL still works and is untyped.
    expectTypeOf(await engine.fetch('select 1 as n')).toEqualTypeOf<RowProxy<Record<string, unknown>>[]>();
  });
});
