import { sql } from 'kysely';
import { describe, expectTypeOf, it } from 'vitest';
import type { Database } from '../../schema/database.js';
import type {
  Cursor,
  Engine,
  PreparedColumn,
  PreparedStatement,
  ResultProxy,
  RowProxy,
  SAConnection,
  Session,
} from '../../src/index.js';

declare const engine: Engine<Database>;
declare const conn: SAConnection<Database>;
declare const session: Session<Database>;

type IdName = { id: number; name: string | null };

describe.each([['engine'], ['connection'], ['session']])('fetch* row types (%s)', () => {
  it('infers fetch rows from a builder on every target', async () => {
    const query = engine.db.selectFrom('users').select(['id', 'name']);
    expectTypeOf(await engine.fetch(query)).toEqualTypeOf<RowProxy<IdName>[]>();
    expectTypeOf(await conn.fetch(query)).toEqualTypeOf<RowProxy<IdName>[]>();
    expectTypeOf(await session.fetch(query)).toEqualTypeOf<RowProxy<IdName>[]>();
  });

  it('infers fetchRow rows, nullable', async () => {
    const query = conn.db.selectFrom('users').select(['id', 'name']);
    expectTypeOf(await engine.fetchRow(query)).toEqualTypeOf<RowProxy<IdName> | null>();
    expectTypeOf(await conn.fetchRow(query)).toEqualTypeOf<RowProxy<IdName> | null>();
    expectTypeOf(await session.fetchRow(query)).toEqualTypeOf<RowProxy<IdName> | null>();
  });

  it('types fetchVal by the named column, or any column by position', async () => {
    const query = conn.db.selectFrom('users').select(['id', 'name']);
    expectTypeOf(await conn.fetchVal(query, { column: 'name' })).toEqualTypeOf<string | null>();
    expectTypeOf(await engine.fetchVal(query, { column: 'id' })).toEqualTypeOf<number | null>();
    expectTypeOf(await session.fetchVal(query)).toEqualTypeOf<number | string | null>();
    expectTypeOf(await conn.fetchVal(query, { column: 1 })).toEqualTypeOf<number | string | null>();
    // @ts-expect-error not a selected column
    await conn.fetchVal(query, { column: 'birthday' });
    expectTypeOf(await conn.fetchVal('select 1')).toEqualTypeOf<unknown>();
  });

  it('types raw SQL rows from the type argument, and sql templates from theirs', async () => {
    expectTypeOf(await engine.fetch<{ n: number }>('select $1::int as n', [1])).toEqualTypeOf<RowProxy<{ n: number }>[]>();
    expectTypeOf(await conn.fetchRow(sql<{ n: number }>`select 1 as n`)).toEqualTypeOf<RowProxy<{ n: number }> | null>();
    expectTypeOf(await engine.execute(engine.db.selectFrom('users').select('id'))).toEqualTypeOf<ResultProxy<{ id: number }>>();
  });

  it('refuses params with a builder', () => {
    // @ts-expect-error params only go with a SQL string
    void engine.fetch(engine.db.selectFrom('users').selectAll(), [1]);
    // @ts-expect-error params only go with a SQL string
    void session.fetchVal(engine.db.selectFrom('users').selectAll(), [1]);
  });
});

describe('prepare row types', () => {
  it('infers the statement rows from a builder, on a connection and a session', async () => {
    const stmt = await conn.prepare(conn.db.selectFrom('users').select(['id', 'name']).where('id', '>', 0));
    expectTypeOf(stmt).toEqualTypeOf<PreparedStatement<IdName>>();
    expectTypeOf(await stmt.fetch(1)).toEqualTypeOf<RowProxy<IdName>[]>();
    expectTypeOf(await stmt.fetchRow(1)).toEqualTypeOf<RowProxy<IdName> | null>();
    expectTypeOf(await stmt.fetchVal(1)).toEqualTypeOf<number | string | null>();
    const bySession = await session.prepare(session.db.selectFrom('users').select('id'));
    expectTypeOf(await bySession.fetch()).toEqualTypeOf<RowProxy<{ id: number }>[]>();
  });

  it('types a SQL string from the type argument and describes columns', async () => {
    const stmt = await conn.prepare<{ n: number }>('select $1::int as n');
    expectTypeOf(await stmt.fetchRow(1)).toEqualTypeOf<RowProxy<{ n: number }> | null>();
    expectTypeOf(stmt.columns).toEqualTypeOf<readonly PreparedColumn[]>();
    expectTypeOf(await stmt.executeMany([[1], [2]])).toEqualTypeOf<number>();
    // @ts-expect-error executeMany takes an array of parameter arrays
    void stmt.executeMany([1, 2]);
    // @ts-expect-error engines have no prepare: a prepared statement belongs to one connection
    void engine.prepare('select 1');
  });
});

describe('cursor row types', () => {
  it('infers cursor rows from a builder and iterates without an await', async () => {
    const pending = conn.cursor(conn.db.selectFrom('users').select(['id', 'name']));
    expectTypeOf(await pending).toEqualTypeOf<Cursor<IdName>>();
    for await (const row of session.cursor(session.db.selectFrom('users').select(['id', 'name']))) {
      expectTypeOf(row).toEqualTypeOf<RowProxy<IdName>>();
    }
    const cur = await conn.cursor<{ n: number }>('select n from generate_series(1, $1) n', [10], { batchSize: 5 });
    expectTypeOf(await cur.fetch(2)).toEqualTypeOf<RowProxy<{ n: number }>[]>();
    expectTypeOf(await cur.fetchRow()).toEqualTypeOf<RowProxy<{ n: number }> | null>();
    expectTypeOf(await cur.forward(2)).toEqualTypeOf<number>();
    // @ts-expect-error engines have no cursor: it needs a transaction on one connection
    void engine.cursor('select 1');
  });
});
