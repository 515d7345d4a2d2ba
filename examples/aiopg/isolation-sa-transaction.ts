/**
 * Follows aiopg's examples/isolation_sa_transaction.py: two connections run overlapping
 * transactions under read-only serializable, repeatable read, serializable and read committed,
 * and the conflicts PostgreSQL reports are caught by SQLSTATE.
 *
 * `conn.begin(isolation_level=…, readonly=…, deferrable=…)` is
 * `conn.begin({ isolationLevel, readOnly, deferrable })`. psycopg2's `TransactionRollbackError`
 * and `InternalError` are pgsa's `SerializationFailureError` (a `TransactionRollbackError`,
 * 40001) and `InternalError` (class 25; a write in a read-only transaction, 25006, is its
 * subclass `ReadOnlySqlTransactionError`, as psycopg's `ReadOnlySqlTransaction`). One difference: after a statement failed inside it,
 * pgsa's `commit()` rolls back and raises (aiopg's commit silently became a rollback), so the
 * pgsa way is to `rollback()` a failed transaction.
 */
import { deepStrictEqual, strictEqual } from 'node:assert/strict';
import {
  createEngine,
  InternalError,
  type SAConnection,
  SerializationFailureError,
  type Transaction,
} from 'pgsa';

/** aiopg's `users_sa_isolation_transaction` table, typed for Kysely. */
interface Database {
  users_sa_isolation_transaction: { id: number; name: string | null };
}
type Conn = SAConnection<Database>;

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) throw new Error('set DATABASE_URL (test/support/run-example.ts starts a server for you when it is not set)');

const schemaName = `pgsa_isolation_sa_transaction_${process.pid}`;
const engine = await createEngine<Database>({
  connectionString: databaseUrl,
  minSize: 2,
  maxSize: 2,
  onConnect: async (conn) => {
    await conn.execute(`set search_path to ${schemaName}`);
  },
});

const TABLE = 'users_sa_isolation_transaction';
const qUser = (conn: Conn) => conn.db.selectFrom(TABLE).selectAll().where('id', '=', 1);
const fetchUser = async (conn: Conn) => (await conn.execute(qUser(conn))).fetchOne()?.toJSON() ?? null;
const setName = (conn: Conn, name: string) =>
  conn.execute(conn.db.updateTable(TABLE).set({ name }).where('id', '=', 1));

/** Runs `statement`; prints and swallows the error it expects, rethrows any other. */
async function expectError(
  label: string,
  statement: () => Promise<unknown>,
  errorClass: typeof SerializationFailureError | typeof InternalError,
): Promise<void> {
  try {
    await statement();
    console.log(`${label}: no error`);
  } catch (e) {
    if (!(e instanceof errorClass)) throw e;
    console.log(`${label}: ${e.constructor.name} ${e.sqlstate ?? ''}`);
  }
}

/** Ends `tx`: commits it when it is still healthy, rolls it back when a statement failed it. */
async function finish(tx: Transaction<Database>): Promise<void> {
  if (tx.status === 'failed') await tx.rollback();
  else await tx.commit();
}

async function cleanUp(conn: Conn): Promise<void> {
  await conn.execute(conn.db.deleteFrom(TABLE));
  strictEqual((await conn.execute(conn.db.selectFrom(TABLE).selectAll())).fetchAll().length, 0);
}

async function readOnlyReadTransaction(conn: Conn, deferrable: boolean): Promise<void> {
  await conn.execute(conn.db.insertInto(TABLE).values({ id: 1, name: 'test1' }));
  const t1 = await conn.begin({ isolationLevel: 'serializable', readOnly: true, deferrable });
  await expectError(`read only (deferrable ${deferrable}) update`, () => setName(conn, 't'), InternalError);
  await finish(t1);
  await cleanUp(conn);
}

async function repeatableReadTransaction(conn: Conn, conn2: Conn): Promise<void> {
  const isolationLevel = 'repeatable read';
  await conn.execute(conn.db.insertInto(TABLE).values({ id: 1, name: 'test1' }));
  const t1 = await conn.begin({ isolationLevel });
  const user = await fetchUser(conn);
  deepStrictEqual(await fetchUser(conn2), user);

  await setName(conn, 'name2');
  const t2 = await conn2.begin({ isolationLevel });
  deepStrictEqual(await fetchUser(conn2), user); // t1 has not committed yet
  await t1.commit();

  await conn2.execute(conn2.db.insertInto(TABLE).values({ id: 2, name: 'test' }));
  await expectError('repeatable read: update of a row changed since', () => setName(conn2, 't'), SerializationFailureError);
  await finish(t2);

  strictEqual((await conn2.execute(qUser(conn2))).fetchAll().length, 1);
  await cleanUp(conn);
}

async function serializableTransaction(conn: Conn, conn2: Conn): Promise<void> {
  const isolationLevel = 'serializable';
  await conn.execute(conn.db.insertInto(TABLE).values({ id: 1, name: 'test1' }));
  const t1 = await conn.begin({ isolationLevel });
  const user = await fetchUser(conn);
  deepStrictEqual(await fetchUser(conn2), user);

  await setName(conn, 'name2');
  const t2 = await conn2.begin({ isolationLevel });
  deepStrictEqual(await fetchUser(conn2), user);
  await t1.commit();

  await expectError(
    'serializable: insert',
    () => conn2.execute(conn2.db.insertInto(TABLE).values({ id: 2, name: 'test' })),
    SerializationFailureError,
  );
  // The insert failed the transaction: the server refuses everything else until it ends (25P02).
  await expectError('serializable: update after that', () => setName(conn2, 't'), InternalError);
  await finish(t2);

  const after = await fetchUser(conn2);
  deepStrictEqual(after, { id: 1, name: 'name2' });
  console.log(`serializable: user after both transactions ${JSON.stringify(after)}`);
  await cleanUp(conn);
}

async function readCommittedTransaction(conn: Conn, conn2: Conn): Promise<void> {
  await conn.execute(conn.db.insertInto(TABLE).values({ id: 1, name: 'test1' }));
  const t1 = await conn.begin();
  const user = await fetchUser(conn);
  deepStrictEqual(await fetchUser(conn2), user);

  await setName(conn, 'name2');
  const t2 = await conn2.begin();
  deepStrictEqual(await fetchUser(conn2), user);
  await t1.commit();

  // Read committed: t1 has committed, so this update does not wait and overwrites its change.
  await conn2.execute(conn2.db.updateTable(TABLE).set({ name: 'test1' }).where('id', '=', 1));
  await t2.commit();

  deepStrictEqual(await fetchUser(conn2), user);
  console.log(`read committed: user after both transactions ${JSON.stringify(user)}`);
  await cleanUp(conn);
}

try {
  {
    await using conn = await engine.acquire();
    await conn.execute(`create schema ${schemaName}`);
    await conn.execute(`create table ${TABLE} (id integer primary key, name varchar(255))`);
  }
  await using conn = await engine.acquire();
  await readOnlyReadTransaction(conn, true);
  await readOnlyReadTransaction(conn, false);
  {
    await using conn2 = await engine.acquire();
    await repeatableReadTransaction(conn, conn2);
    await serializableTransaction(conn, conn2);
    await readCommittedTransaction(conn, conn2);
  }
  await conn.execute(`drop schema ${schemaName} cascade`);
} finally {
  await engine.close();
  await engine.waitClosed();
}
console.log('done');
