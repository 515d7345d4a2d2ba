/**
 * The asyncpg tutorial, the pgsa way: `npm run demo:asyncpg`.
 *
 * Each step follows one section of the asyncpg tutorial (pool with a setup hook, fetch /
 * fetchrow / fetchval, executemany, prepare, transaction, nested transaction, cursor, and the
 * `BaseRepository` pattern), with the asyncpg call in a comment above the pgsa one.
 *
 * Runs against DATABASE_URL, in a throwaway schema it drops afterwards (`npm run demo:asyncpg`
 * starts an embedded server when DATABASE_URL is not set). test/examples runs it in CI.
 */
import type { Generated } from 'kysely';
import { ConcurrentUpdateError, createRepository, createEngine, runInNewContext } from 'pgsa';

/** The tutorial's tables, typed for Kysely (and so for the repository). */
interface Tutorial {
  users: { id: Generated<number>; name: string; email: string | null; points: Generated<number>; version: Generated<number> };
  products: { id: Generated<number>; category_id: number; name: string; price: string };
  achievements: { id: Generated<number>; user_id: number; type: string };
}

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) throw new Error('set DATABASE_URL (npm run demo* starts a server for you when it is not set)');
const schema = `pgsa_asyncpg_${process.pid}`;

// pool = await asyncpg.create_pool(dsn, min_size=1, max_size=4, setup=setup_connection)
const engine = await createEngine<Tutorial>({
  connectionString: databaseUrl,
  minSize: 1,
  maxSize: 4,
  applicationName: 'pgsa-asyncpg-tutorial',
  // asyncpg's `init`/`setup` hook: run once on every new connection.
  onConnect: async (conn) => {
    await conn.execute("set timezone = 'UTC'");
    await conn.execute(`set search_path to ${schema}`);
  },
});

try {
  await engine.execute(`create schema ${schema}`);
  await engine.execute(`
    create table ${schema}.users (id serial primary key, name text not null, email text unique,
      points int not null default 0, version int not null default 1);
    create table ${schema}.products (id serial primary key, category_id int not null, name text not null,
      price numeric(10, 2) not null);
    create table ${schema}.achievements (id serial primary key, user_id int not null references ${schema}.users,
      type text not null)`);

  // await conn.execute("INSERT INTO users (name, email) VALUES ($1, $2)", "John", "john@example.com")
  await engine.execute('insert into users (name, email) values ($1, $2)', ['John', 'john@example.com']);

  // count = await pool.fetchval("SELECT COUNT(*) FROM users")
  const count = await engine.fetchVal('select count(*)::int from users');
  console.log(`fetchVal: ${String(count)} user(s)`);

  // user = await conn.fetchrow("SELECT * FROM users WHERE id = $1", 1)
  const john = await engine.fetchRow<{ id: number; name: string }>('select * from users where id = $1', [1]);
  console.log(`fetchRow: #${john?.id} ${john?.name} (by index: ${String(john?.at(1))})`);

  // await conn.executemany("INSERT INTO products (...) VALUES ($1, $2, $3)", rows)
  const inserted = await engine.executeMany('insert into products (category_id, name, price) values ($1, $2, $3)', [
    [1, 'Laptop', '999.00'],
    [1, 'Phone', '599.00'],
    [1, 'Cable', '9.99'],
    [2, 'Novel', '24.50'],
    [2, 'Comic', '12.00'],
  ]);
  console.log(`executeMany: ${inserted} products`);

  // users = await conn.fetch("SELECT * FROM users LIMIT 10") — a builder works too, rows typed
  const products = await engine.fetch(engine.db.selectFrom('products').select(['name', 'price']).orderBy('id'));
  console.log('fetch:', products.map((row) => `${row.name} ${row.price}`).join(', '));

  {
    // async with pool.acquire() as conn:
    await using conn = await engine.acquire();

    // stmt = await conn.prepare("SELECT * FROM products WHERE category_id = $1 AND price > $2")
    await using stmt = await conn.prepare<{ name: string; price: string }>(
      'select name, price from products where category_id = $1 and price > $2 order by price desc',
    );
    console.log('prepare: columns', stmt.columns.map((column) => `${column.name}:${column.typeName}`).join(', '));
    const electronics = await stmt.fetch(1, 100);
    const books = await stmt.fetch(2, 20);
    console.log(`prepared fetch: ${electronics.map((row) => row.name).join(', ')} | ${books.map((row) => row.name).join(', ')}`);

    // async with conn.transaction():  — and a nested one (a savepoint) that fails alone
    await conn.transaction(async (tx) => {
      await tx.execute('update users set points = points + 10 where id = $1', [1]);
      try {
        await tx.transaction(async (inner) => {
          await inner.execute('insert into achievements (user_id, type) values ($1, $2)', [1, 'bonus']);
          throw new Error('no bonus today');
        });
      } catch (error) {
        console.log(`nested transaction rolled back: ${(error as Error).message}`);
      }
    });
    const points = await conn.fetchVal('select points from users where id = $1', [1]);
    const achievements = await conn.fetchVal('select count(*)::int from achievements');
    console.log(`transaction: points ${String(points)}, achievements ${String(achievements)}`);

    // async with conn.transaction(): async for record in conn.cursor("SELECT …"):
    await conn.transaction(async () => {
      let total = 0;
      for await (const row of conn.cursor<{ n: number }>('select n from generate_series(1, $1::int) n', [10_000], {
        batchSize: 1_000,
      })) {
        total += row.n;
      }
      console.log(`cursor: summed ${total}`);
      const cur = await conn.cursor<{ name: string }>('select name from products order by id');
      await cur.forward(2);
      console.log(`cursor: third product ${(await cur.fetchRow())?.name}, then ${(await cur.fetch(5)).length} more`);
    });
  }

  // class UserRepository(BaseRepository): get_by_id / create / update / delete
  const users = createRepository(engine, 'users', { primaryKey: 'id', version: 'version' });
  const ada = await users.create({ name: 'Ada', email: 'ada@example.com' });
  const updated = await users.update(ada.id, { points: 5, version: ada.version });
  console.log(`repository: ${updated?.name} has ${updated?.points} points (version ${updated?.version})`);
  try {
    await users.update(ada.id, { points: 6, version: ada.version }); // the version read before
  } catch (error) {
    if (!(error instanceof ConcurrentUpdateError)) throw error;
    console.log('repository: a stale version is refused (ConcurrentUpdateError)');
  }
  // Inside a session context it joins the context's transaction (committed at the end).
  await runInNewContext(async () => {
    await users.createMany([{ name: 'Grace' }, { name: 'Edsger' }]);
  });
  console.log(`repository: ${await users.count()} users, page ${(await users.list({ orderBy: [['id', 'desc']], limit: 2 })).map((u) => u.name).join(', ')}`);
  console.log(`deleted: ${await users.delete(ada.id)}`);

  // health_check(): await conn.fetchval("SELECT 1")
  console.log(`health: ${(await engine.fetchVal('select 1')) === 1 ? 'ok' : 'down'}`);
  await engine.execute(`drop schema ${schema} cascade`);
} finally {
  await engine.close();
  await engine.waitClosed();
}
console.log('done');
