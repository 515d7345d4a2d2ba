/**
 * Follows aiopg's examples/simple_sa.py: create a table, insert one row with the query builder
 * and print every row of the table by iterating over the result.
 *
 * SQLAlchemy's `tbl.insert()` / `tbl.select()` become Kysely builders typed by `Database`;
 * rows are `RowProxy` objects read as properties (`row.id`, `row.val`), as in aiopg.sa.
 */
import type { Generated } from 'kysely';
import { createEngine } from 'pgsa';

/** aiopg's `tbl`, typed for Kysely. */
interface Database {
  tbl: { id: Generated<number>; val: string | null };
}

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) throw new Error('set DATABASE_URL (test/support/run-example.ts starts a server for you when it is not set)');

const schemaName = `pgsa_simple_sa_${process.pid}`;
const engine = await createEngine<Database>({
  connectionString: databaseUrl,
  minSize: 1,
  maxSize: 2,
  onConnect: async (conn) => {
    await conn.execute(`set search_path to ${schemaName}`);
  },
});
try {
  {
    await using conn = await engine.acquire();
    await conn.execute(`create schema ${schemaName}`);
    await conn.execute('create table tbl (id serial primary key, val varchar(255))');
  }
  await using conn = await engine.acquire();
  await conn.execute(conn.db.insertInto('tbl').values({ val: 'abc' }));

  for await (const row of await conn.execute(conn.db.selectFrom('tbl').selectAll())) {
    console.log(row.id, row.val);
  }
  await conn.execute(`drop schema ${schemaName} cascade`);
} finally {
  await engine.close();
  await engine.waitClosed();
}
console.log('done');
