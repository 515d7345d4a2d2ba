import { type ControlledTransaction, type Dialect, Kysely } from 'kysely';
import { describe, expectTypeOf, it } from 'vitest';
import type { Database } from '../../schema/database.js';
import type { Engine, OperationalError, UniqueViolationError } from '../../src/index.js';

declare const engine: Engine<Database>;

describe('the Kysely dialect and error types', () => {
  it("engine.dialect is a Kysely Dialect an application's Kysely takes, with log", () => {
    expectTypeOf(engine.dialect).toMatchTypeOf<Dialect>();
    const kysely = new Kysely<Database>({ dialect: engine.dialect, log: ['query', 'error'] });
    expectTypeOf(kysely.startTransaction().execute()).resolves.toMatchTypeOf<
      ControlledTransaction<Database>
    >();
  });

  it("errors carry pg's code and fields, typed as pg's DatabaseError (positions as numbers)", () => {
    expectTypeOf<UniqueViolationError['code']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<UniqueViolationError['sqlstate']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<UniqueViolationError['routine']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<UniqueViolationError['internalPosition']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<OperationalError['code']>().toEqualTypeOf<string | undefined>();
    // @ts-expect-error pgsa errors have no `length` (pg's message length field)
    expectTypeOf<UniqueViolationError['length']>();
  });
});
