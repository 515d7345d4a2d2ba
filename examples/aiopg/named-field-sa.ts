/**
 * Follows aiopg's examples/named_field_sa.py: a table whose columns have mixed-case names
 * (`"MyIDField"`, `"NaMe"`) that the program reads and writes as `id` and `name`, with a
 * default for `name`.
 *
 * Kysely has no per-column keys: `Database` names the columns as the server does (Kysely
 * quotes every identifier, so the case is kept), and the program's names are aliases in the
 * select (`MyIDField as id`) and one mapping on insert. SQLAlchemy's client-side
 * `default="default name"` becomes a value the insert fills in (or a server `default` in the
 * DDL, as examples/aiopg/default-field-sa.ts does).
 */
import { strictEqual } from 'node:assert/strict';
import { createEngine, type SAConnection } from 'pgsa';

/** aiopg's `tbl`, with the server's column names. */
interface Database {
  tbl: { MyIDField: number; NaMe: string | null };
}
type Conn = SAConnection<Database>;

/** The program's names for the columns (SQLAlchemy's `key=`). */
interface Tbl {
  id: number;
  name?: string | null;
}

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) throw new Error('set DATABASE_URL (test/support/run-example.ts starts a server for you when it is not set)');

const schemaName = `pgsa_named_field_sa_${process.pid}`;
const engine = await createEngine<Database>({
  connectionString: databaseUrl,
  minSize: 1,
  maxSize: 2,
  onConnect: async (conn) => {
    await conn.execute(`set search_path to ${schemaName}`);
  },
});

async function insertTbl(conn: Conn, values: Tbl): Promise<void> {
  // INSERT INTO "tbl" ("MyIDField", "NaMe") VALUES ($1, $2)
  await conn.execute(
    conn.db.insertInto('tbl').values({ MyIDField: values.id, NaMe: values.name ?? 'default name' }),
  );
  // SELECT "MyIDField" AS "id", "NaMe" AS "name" FROM "tbl"
  const row = (await conn.execute(conn.db.selectFrom('tbl').select(['MyIDField as id', 'NaMe as name']))).first();
  if (row === null) throw new Error('the row was not inserted');
  for (const [name, value] of Object.entries(values)) {
    strictEqual(row.get(name as keyof Tbl), value);
  }
  console.log(`inserted ${JSON.stringify(values)}, read back ${JSON.stringify(row)}`);
  await conn.execute(conn.db.deleteFrom('tbl'));
}

try {
  await using conn = await engine.acquire();
  await conn.execute(`create schema ${schemaName}`);
  await conn.execute('CREATE TABLE tbl ("MyIDField" INTEGER NOT NULL, "NaMe" VARCHAR(255), PRIMARY KEY ("MyIDField"))');
  await insertTbl(conn, { id: 1 });
  await insertTbl(conn, { id: 2, name: 'test' });
  await conn.execute(`drop schema ${schemaName} cascade`);
} finally {
  await engine.close();
  await engine.waitClosed();
}
console.log('done');
