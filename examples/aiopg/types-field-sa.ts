/**
 * Follows aiopg's examples/types_field_sa.py: a table with a JSON column, an integer array, an
 * enum and a custom type (a list stored as comma-separated text); insert values of each and
 * check they read back as they were written.
 *
 * The PostgreSQL types map to Kysely column types in `Database`, decoded by pgsa (README "Type
 * codecs"): `json` to parsed values, `integer[]` to `number[]`, the enum to its label. Column
 * defaults are server defaults, so those columns are `Generated<T>`. SQLAlchemy's
 * `TypeDecorator` works on a column, so its pgsa counterpart does too: the value is sent
 * through an object's `toPostgres()` (honoured by node-postgres) and read back by a Kysely
 * plugin that splits that column (pgsa applies a builder's plugins to `conn.execute`).
 */
import { deepStrictEqual, strictEqual } from 'node:assert/strict';
import type {
  ColumnType,
  Generated,
  Insertable,
  KyselyPlugin,
  PluginTransformQueryArgs,
  PluginTransformResultArgs,
  QueryResult,
  RootOperationNode,
  UnknownRow,
} from 'kysely';
import { createEngine, type SAConnection } from 'pgsa';

/** A list of strings sent as one `sep`-separated text value (SQLAlchemy's `CustomStrList`). */
class StrList {
  constructor(
    readonly items: readonly string[],
    readonly sep = ',',
  ) {}
  toPostgres(): string {
    return this.items.join(this.sep);
  }
}

/** Reads the given text columns back as lists (`process_result_value` of `CustomStrList`). */
class StrListColumns implements KyselyPlugin {
  constructor(
    private readonly columns: readonly string[],
    private readonly sep = ',',
  ) {}
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return args.node;
  }
  transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    const rows = args.result.rows.map((row) => {
      const out: UnknownRow = { ...row };
      for (const column of this.columns) {
        const value = out[column];
        if (typeof value === 'string') out[column] = value.split(this.sep);
      }
      return out;
    });
    return Promise.resolve({ ...args.result, rows });
  }
}

/** aiopg's `tbl`, typed for Kysely. */
interface Database {
  tbl: {
    id: Generated<number>;
    json: { data: number } | null;
    array_int: Generated<number[]>;
    enum: Generated<'f' | 's'>;
    custom_list: ColumnType<string[], StrList | undefined, StrList>;
  };
}
type Conn = SAConnection<Database>;
type TblValues = Insertable<Database['tbl']>;

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) throw new Error('set DATABASE_URL (test/support/run-example.ts starts a server for you when it is not set)');

const schemaName = `pgsa_types_field_sa_${process.pid}`;
const engine = await createEngine<Database>({
  connectionString: databaseUrl,
  minSize: 1,
  maxSize: 2,
  onConnect: async (conn) => {
    await conn.execute(`set search_path to ${schemaName}`);
  },
});

/** The value of `column` as the row should hold it. */
const expected = (value: unknown) => (value instanceof StrList ? [...value.items] : value);

async function insertTbl(conn: Conn, pk: number, values: TblValues = {}): Promise<void> {
  const insert = conn.db.insertInto('tbl');
  await conn.execute(Object.keys(values).length === 0 ? insert.defaultValues() : insert.values(values));
  const db = conn.db.withPlugin(new StrListColumns(['custom_list']));
  const row = (await conn.execute(db.selectFrom('tbl').selectAll())).first();
  if (row === null) throw new Error('the row was not inserted');
  strictEqual(row.id, pk);
  for (const [name, value] of Object.entries(values)) {
    deepStrictEqual(row.get(name as keyof TblValues), expected(value));
  }
  console.log(`row ${pk}: ${JSON.stringify(row)}`);
  await conn.execute(conn.db.deleteFrom('tbl'));
}

try {
  {
    await using conn = await engine.acquire();
    await conn.execute(`create schema ${schemaName}`);
    await conn.execute("create type s_enum as enum ('f', 's')");
    await conn.execute(`
      create table tbl (
        id serial primary key,
        json json default null,
        array_int integer[] not null default '{}',
        enum s_enum not null default 's',
        custom_list varchar not null default '')`);
  }
  await using conn = await engine.acquire();
  await insertTbl(conn, 1);
  await insertTbl(conn, 2, { json: { data: 123 } });
  await insertTbl(conn, 3, { array_int: [1, 3, 4] });
  await insertTbl(conn, 4, { enum: 'f' });
  await insertTbl(conn, 5, { custom_list: new StrList(['1', 'test', '4']) });
  await conn.execute(`drop schema ${schemaName} cascade`);
} finally {
  await engine.close();
  await engine.waitClosed();
}
console.log('done');
