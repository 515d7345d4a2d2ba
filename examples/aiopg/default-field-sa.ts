/**
 * Follows aiopg's examples/default_field_sa.py: a table whose columns have defaults (a uuid, a
 * name, the current time, a flag, a SQL expression, a boolean); insert with none and with some
 * values given, and check the row read back.
 *
 * SQLAlchemy's client-side `default=` values become server defaults in the DDL
 * (`gen_random_uuid()`, `now()`, `length('default')` …), and the columns are `Generated<T>`
 * in `Database`, so Kysely lets an insert leave them out (`defaultValues()` for none at all)
 * while a select still types them as `T`.
 */
import { deepStrictEqual, strictEqual } from 'node:assert/strict';
import type { Generated, Insertable } from 'kysely';
import { createEngine, type SAConnection } from 'pgsa';

/** aiopg's `tbl`: every column has a default, so every one is optional on insert. */
interface Database {
  tbl: {
    id: Generated<number>;
    uuid: Generated<string>;
    name: Generated<string>;
    date: Generated<Date>;
    flag: Generated<number>;
    count_str: Generated<number>;
    is_active: Generated<boolean>;
  };
}
type Conn = SAConnection<Database>;

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) throw new Error('set DATABASE_URL (test/support/run-example.ts starts a server for you when it is not set)');

const schemaName = `pgsa_default_field_sa_${process.pid}`;
const engine = await createEngine<Database>({
  connectionString: databaseUrl,
  minSize: 1,
  maxSize: 2,
  onConnect: async (conn) => {
    await conn.execute(`set search_path to ${schemaName}`);
  },
});

async function insertTbl(conn: Conn, pk: number, values: Insertable<Database['tbl']> = {}): Promise<void> {
  const insert = conn.db.insertInto('tbl');
  await conn.execute(Object.keys(values).length === 0 ? insert.defaultValues() : insert.values(values));
  const row = (await conn.execute(conn.db.selectFrom('tbl').selectAll())).first();
  if (row === null) throw new Error('the row was not inserted');
  strictEqual(row.id, pk);
  for (const [name, value] of Object.entries(values)) {
    deepStrictEqual(row.get(name as keyof typeof values), value);
  }
  const { uuid, name, flag, count_str, is_active } = row;
  console.log(
    `row ${row.id}: uuid ${/^[0-9a-f-]{36}$/.test(uuid) ? 'generated' : uuid}, name ${name}, ` +
      `date ${row.date instanceof Date ? 'set' : 'missing'}, flag ${flag}, count_str ${count_str}, is_active ${is_active}`,
  );
  await conn.execute(conn.db.deleteFrom('tbl'));
}

try {
  {
    await using conn = await engine.acquire();
    await conn.execute(`create schema ${schemaName}`);
    await conn.execute(`
      create table tbl (
        id serial primary key,
        uuid varchar not null default gen_random_uuid()::text,
        name varchar(255) not null default 'default name',
        date timestamp not null default now(),
        flag integer not null default 0,
        count_str integer not null default length('default'),
        is_active boolean not null default true)`);
  }
  await using conn = await engine.acquire();
  await insertTbl(conn, 1);
  await insertTbl(conn, 2, { name: 'test', is_active: false, date: new Date() });
  await conn.execute(`drop schema ${schemaName} cascade`);
} finally {
  await engine.close();
  await engine.waitClosed();
}
console.log('done');
