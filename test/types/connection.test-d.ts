import { type CompiledQuery, sql } from 'kysely';
import { describe, expectTypeOf, it } from 'vitest';
import type { Database } from '../../schema/database.js';
import type { ResultProxy, RowProxy, RowStream, SAConnection } from '../../src/index.js';

declare const conn: SAConnection<Database>;

describe('SAConnection.execute row types', () => {
  it('infers rows from selectFrom/select', async () => {
    const result = await conn.execute(conn.db.selectFrom('users').select(['id', 'name']));
    expectTypeOf(result).toEqualTypeOf<ResultProxy<{ id: number; name: string | null }>>();
    const row = result.fetchOne();
    expectTypeOf(row).toEqualTypeOf<RowProxy<{ id: number; name: string | null }> | null>();
    if (row) {
      expectTypeOf(row.id).toEqualTypeOf<number>();
      expectTypeOf(row.name).toEqualTypeOf<string | null>();
      // @ts-expect-error not a selected column
      void row.birthday;
    }
  });

  it('infers rows from selectAll', async () => {
    const row = (await conn.execute(conn.db.selectFrom('users').selectAll())).first();
    expectTypeOf(row).toEqualTypeOf<RowProxy<{
      id: number;
      name: string | null;
      birthday: Date | null;
    }> | null>();
  });

  it('infers rows from joins with aliases', async () => {
    const result = await conn.execute(
      conn.db
        .selectFrom('users as u')
        .innerJoin('emails as e', 'e.user_id', 'u.id')
        .select(['u.id as userId', 'e.id as emailId', 'e.email', 'u.name']),
    );
    expectTypeOf(result.fetchAll()).toEqualTypeOf<
      RowProxy<{ userId: number; emailId: number; email: string; name: string | null }>[]
    >();
  });

  it('infers rows from sql<T> templates and compiled queries', async () => {
    const fromTemplate = await conn.execute(sql<{ n: number }>`select 1 as n`);
    expectTypeOf(fromTemplate).toEqualTypeOf<ResultProxy<{ n: number }>>();
    const untyped = await conn.execute(sql`select 1 as n`);
    expectTypeOf(untyped).toEqualTypeOf<ResultProxy<Record<string, unknown>>>();
    const compiled = conn.db.selectFrom('emails').select('email').compile();
    expectTypeOf(compiled).toEqualTypeOf<CompiledQuery<{ email: string }>>();
    expectTypeOf(await conn.execute(compiled)).toEqualTypeOf<ResultProxy<{ email: string }>>();
  });

  it('types raw strings as Record<string, unknown>, or as the given generic', async () => {
    const raw = await conn.execute('select 1 as n');
    expectTypeOf(raw).toEqualTypeOf<ResultProxy<Record<string, unknown>>>();
    expectTypeOf(raw.first()?.n).toEqualTypeOf<unknown>();
    const typed = await conn.execute<{ n: number }>('select $1::int as n', [1]);
    expectTypeOf(typed.first()?.n).toEqualTypeOf<number | undefined>();
  });

  it('types DML without returning as rows without columns, with returning as the returned ones', async () => {
    const inserted = await conn.execute(conn.db.insertInto('users').values({ name: 'a' }));
    expectTypeOf(inserted).toEqualTypeOf<ResultProxy<Record<string, never>>>();
    const returned = await conn.execute(
      conn.db.insertInto('users').values({ name: 'a' }).returning(['id']),
    );
    expectTypeOf(returned).toEqualTypeOf<ResultProxy<{ id: number }>>();
    const deleted = await conn.execute(conn.db.deleteFrom('users'));
    expectTypeOf(deleted).toEqualTypeOf<ResultProxy<Record<string, never>>>();
  });

  it('accepts params only with a SQL string, and options everywhere', () => {
    void conn.execute('select $1', [1], { statementTimeoutMs: 10 });
    void conn.execute('select 1', { statementTimeoutMs: 10 });
    void conn.execute(conn.db.selectFrom('users').selectAll(), { statementTimeoutMs: 10 });
    // @ts-expect-error params belong to SQL strings
    void conn.execute(conn.db.selectFrom('users').selectAll(), [1]);
    // @ts-expect-error unknown option
    void conn.execute('select 1', [], { timeout: 10 });
  });

  it('types scalar() from a builder as the column type or null', async () => {
    const name = await conn.scalar(conn.db.selectFrom('users').select('name'));
    expectTypeOf(name).toEqualTypeOf<string | null>();
    const id = await conn.scalar(conn.db.selectFrom('users').select('id'));
    expectTypeOf(id).toEqualTypeOf<number | null>();
    expectTypeOf(await conn.scalar('select 1')).toEqualTypeOf<unknown>();
    expectTypeOf(await conn.scalar(sql`select 1`)).toEqualTypeOf<unknown>();
    expectTypeOf(await conn.scalar(sql<{ n: number }>`select 1 as n`)).toEqualTypeOf<number | null>();
  });

  it('types stream() rows like execute()', async () => {
    const rows = conn.stream(conn.db.selectFrom('users').select(['id']), { batchSize: 10 });
    expectTypeOf(rows).toEqualTypeOf<RowStream<{ id: number }>>();
    for await (const row of rows) expectTypeOf(row.id).toEqualTypeOf<number>();
    expectTypeOf(conn.stream('select 1', [], { batchSize: 5 })).toEqualTypeOf<
      RowStream<Record<string, unknown>>
    >();
  });

  it('types Kysely queries through conn.db as Kysely does', async () => {
    const rows = await conn.db.selectFrom('users').select(['id']).execute();
    expectTypeOf(rows).toEqualTypeOf<{ id: number }[]>();
  });
});

describe('executeMany types', () => {
  it('takes a SQL string and arrays of parameters, and resolves with a count', async () => {
    expectTypeOf(await conn.executeMany('insert into users (name) values ($1)', [['ann']])).toEqualTypeOf<number>();
    // @ts-expect-error a builder carries its own parameters: executeMany takes SQL text
    void conn.executeMany(conn.db.insertInto('users').values({ name: 'x' }), [[]]);
    // @ts-expect-error each parameter set is an array
    void conn.executeMany('insert into users (name) values ($1)', ['ann']);
  });
});

describe('copyFrom types', () => {
  it('takes a table of DB with its column names, or a COPY statement with data', async () => {
    expectTypeOf(await conn.copyFrom('users', [['ann']], { columns: ['name'] })).toEqualTypeOf<number>();
    expectTypeOf(await conn.copyFrom('COPY users FROM STDIN', 'ann\n')).toEqualTypeOf<number>();
    // @ts-expect-error not a column of users
    void conn.copyFrom('users', [['x']], { columns: ['nickname'] });
    // @ts-expect-error rows are arrays of values
    void conn.copyFrom('users', [{ name: 'ann' }]);
  });
});

describe('copyTo types', () => {
  it('yields Buffers; takes a table of DB with its columns, or a COPY statement', () => {
    expectTypeOf(conn.copyTo('users', { columns: ['id', 'name'] })).toEqualTypeOf<AsyncIterable<Buffer>>();
    expectTypeOf(conn.copyTo('COPY users TO STDOUT (FORMAT csv)')).toEqualTypeOf<AsyncIterable<Buffer>>();
    // @ts-expect-error not a column of users
    void conn.copyTo('users', { columns: ['nickname'] });
  });
});
