/**
 * Follows aiopg's examples/simple_sa_transaction.py: commit and roll back transactions and
 * savepoints (`begin()`, `begin_nested()`), checking how many users each step leaves.
 *
 * aiopg's `async with conn.begin():` is `conn.transaction(fn)` (commit on success, roll back
 * and rethrow on error); its explicit `trans = await conn.begin()` … `trans.rollback()` is the
 * same here, with `await using` rolling back whatever is still open at the end of the scope.
 * `beginNested()` outside a transaction is a plain BEGIN, inside one a SAVEPOINT, as in aiopg.
 */
import { strictEqual } from 'node:assert/strict';
import { createEngine, type SAConnection } from 'pgsa';

/** aiopg's `users_sa_transaction` table, typed for Kysely. */
interface Database {
  users_sa_transaction: { id: number; name: string | null };
}
type Conn = SAConnection<Database>;

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) throw new Error('set DATABASE_URL (test/support/run-example.ts starts a server for you when it is not set)');

const schemaName = `pgsa_simple_sa_transaction_${process.pid}`;
const engine = await createEngine<Database>({
  connectionString: databaseUrl,
  minSize: 1,
  maxSize: 2,
  onConnect: async (conn) => {
    await conn.execute(`set search_path to ${schemaName}`);
  },
});

const insertUser = (conn: Conn, id: number, name: string) =>
  conn.execute(conn.db.insertInto('users_sa_transaction').values({ id, name }));
const deleteUser = (conn: Conn, id: number) =>
  conn.execute(conn.db.deleteFrom('users_sa_transaction').where('id', '=', id));

async function checkCountUsers(conn: Conn, step: string, count: number): Promise<void> {
  const rows = (await conn.execute(conn.db.selectFrom('users_sa_transaction').selectAll())).fetchAll();
  strictEqual(rows.length, count);
  console.log(`${step}: ${rows.length} user(s)`);
}

async function successTransaction(conn: Conn): Promise<void> {
  await checkCountUsers(conn, 'success_transaction start', 0);
  await conn.transaction(async () => {
    await insertUser(conn, 1, 'test1');
    await insertUser(conn, 2, 'test2');
  });
  await checkCountUsers(conn, 'success_transaction committed', 2);
  await conn.transaction(async () => {
    await deleteUser(conn, 1);
    await deleteUser(conn, 2);
  });
  await checkCountUsers(conn, 'success_transaction end', 0);
}

async function failTransaction(conn: Conn): Promise<void> {
  await checkCountUsers(conn, 'fail_transaction start', 0);
  const trans = await conn.begin();
  try {
    await insertUser(conn, 1, 'test1');
    throw new Error('something went wrong');
  } catch {
    await trans.rollback();
  }
  await checkCountUsers(conn, 'fail_transaction rolled back', 0);
}

async function successNestedTransaction(conn: Conn): Promise<void> {
  await checkCountUsers(conn, 'success_nested_transaction start', 0);
  {
    // No transaction is open: this beginNested() is a plain BEGIN.
    await using outer = await conn.beginNested();
    await insertUser(conn, 1, 'test1');
    {
      await using inner = await conn.beginNested(); // SAVEPOINT
      await insertUser(conn, 2, 'test2');
      await inner.commit(); // RELEASE SAVEPOINT
    }
    await outer.commit(); // COMMIT
  }
  await checkCountUsers(conn, 'success_nested_transaction committed', 2);
  await conn.transaction(async () => {
    await deleteUser(conn, 1);
    await deleteUser(conn, 2);
  });
  await checkCountUsers(conn, 'success_nested_transaction end', 0);
}

async function failNestedTransaction(conn: Conn): Promise<void> {
  await checkCountUsers(conn, 'fail_nested_transaction start', 0);
  {
    await using outer = await conn.beginNested();
    await insertUser(conn, 1, 'test1');

    const trF = await conn.beginNested();
    try {
      await insertUser(conn, 2, 'test2');
      throw new Error('something went wrong');
    } catch {
      await trF.rollback(); // ROLLBACK TO SAVEPOINT: the outer transaction goes on
    }

    // Nested calls of conn.transaction() are savepoints too.
    await conn.transaction(async () => {
      await insertUser(conn, 2, 'test2');
    });
    await outer.commit();
  }
  await checkCountUsers(conn, 'fail_nested_transaction committed', 2);
  await conn.transaction(async () => {
    await deleteUser(conn, 1);
    await deleteUser(conn, 2);
  });
  await checkCountUsers(conn, 'fail_nested_transaction end', 0);
}

async function failFirstNestedTransaction(conn: Conn): Promise<void> {
  const trans = await conn.beginNested();
  try {
    await insertUser(conn, 1, 'test1');
    await conn.transaction(async () => {
      await insertUser(conn, 2, 'test2');
    });
    await conn.transaction(async () => {
      await insertUser(conn, 3, 'test3');
    });
    throw new Error('something went wrong');
  } catch {
    await trans.rollback(); // the whole transaction, savepoints included
  }
  await checkCountUsers(conn, 'fail_first_nested_transaction rolled back', 0);
}

try {
  await using conn = await engine.acquire();
  await conn.execute(`create schema ${schemaName}`);
  await conn.execute('create table users_sa_transaction (id integer primary key, name varchar(255))');

  await successTransaction(conn);
  await failTransaction(conn);
  await successNestedTransaction(conn);
  await failNestedTransaction(conn);
  await failFirstNestedTransaction(conn);

  await conn.execute(`drop schema ${schemaName} cascade`);
} finally {
  await engine.close();
  await engine.waitClosed();
}
console.log('done');
