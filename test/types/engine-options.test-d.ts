import { describe, expectTypeOf, it } from 'vitest';
import type { Database } from '../../schema/database.js';
import { createEngine, type EngineOptions, type SAConnection } from '../../src/index.js';

describe('engine options', () => {
  it('give onConnect a connection of the engine’s DB', () => {
    void createEngine<Database>({
      onConnect: async (conn) => {
        expectTypeOf(conn).toEqualTypeOf<SAConnection<Database>>();
        await conn.db.selectFrom('users').select('name').execute();
        // @ts-expect-error not a table of Database
        conn.db.selectFrom('nope');
      },
    });
  });

  it('accept undefined for every optional option (exactOptionalPropertyTypes apps)', () => {
    const fromEnv: string | undefined = process.env.DATABASE_URL;
    const options: EngineOptions = { connectionString: fromEnv, maxSize: undefined, onConnect: undefined };
    expectTypeOf(options.connectionString).toEqualTypeOf<string | undefined>();
  });
});
