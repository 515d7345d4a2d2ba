/**
 * Follows aiopg's examples/transaction.py: run the same unit of work (three inserts, the
 * middle one inside a savepoint) under repeatable read, read committed and serializable.
 *
 * aiopg's low-level `Transaction(cur, isolation_level)` and `transaction.point()` become
 * `conn.transaction(fn, { isolationLevel })` and a nested `conn.transaction(fn)` (a SAVEPOINT);
 * `conn.begin({ isolationLevel })` with `beginNested()` is the explicit-object spelling.
 */
import { sql } from 'kysely';
import { createEngine, type IsolationLevel, type SAConnection } from 'pgsa';

/** aiopg's `tbl`, typed for Kysely. */
interface Database {
  tbl: { id: number | null };
}

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) throw new Error('set DATABASE_URL (test/support/run-example.ts starts a server for you when it is not set)');

const schemaName = `pgsa_transaction_${process.pid}`;
const engine = await createEngine<Database>({
  connectionString: databaseUrl,
  minSize: 1,
  maxSize: 2,
  onConnect: async (conn) => {
    await conn.execute(`set search_path to ${schemaName}`);
  },
});

async function transaction(
  conn: SAConnection<Database>,
  isolationLevel: IsolationLevel,
  readOnly = false,
  deferrable = false,
): Promise<void> {
  // BEGIN ISOLATION LEVEL … READ WRITE NOT DEFERRABLE … COMMIT
  await conn.transaction(
    async (c) => {
      await c.execute(c.db.insertInto('tbl').values({ id: 1 }));
      await c.transaction(async () => {
        // SAVEPOINT … RELEASE SAVEPOINT
        await c.execute(c.db.insertInto('tbl').values({ id: 3 }));
      });
      await c.execute(c.db.insertInto('tbl').values({ id: 4 }));
      const level = await c.scalar(sql<{ transaction_isolation: string }>`show transaction_isolation`);
      console.log(`${isolationLevel}: inserted 1, 3, 4 (server says ${level})`);
    },
    { isolationLevel, readOnly, deferrable },
  );
}

try {
  await using conn = await engine.acquire();
  await conn.execute(`create schema ${schemaName}`);
  await conn.execute('create table tbl (id int)');
  await transaction(conn, 'repeatable read');
  await transaction(conn, 'read committed');
  await transaction(conn, 'serializable');

  const ids = (await conn.execute(conn.db.selectFrom('tbl').select('id'))).fetchAll().map((r) => r.id);
  console.log(`select * from tbl: ${ids.join(', ')}`);
  await conn.execute(`drop schema ${schemaName} cascade`);
} finally {
  await engine.close();
  await engine.waitClosed();
}
console.log('done');
