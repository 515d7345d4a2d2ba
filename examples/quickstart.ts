/**
 * pgsa quickstart: `npm run demo`.
 *
 * Runs against DATABASE_URL, in a throwaway schema it drops afterwards (`npm run demo` starts an
 * embedded server when DATABASE_URL is not set). test/examples runs it in CI.
 */
import { type Generated, sql } from 'kysely';
import { createEngine } from 'pgsa';

/** The tables of this example, typed for Kysely (aiopg's users and emails). */
interface Database {
  users: { id: Generated<number>; name: string | null; birthday: Date | null };
  emails: { id: Generated<number>; user_id: number | null; email: string; private: boolean };
}

const TABLES = `
  create table users (id serial primary key, name varchar(255), birthday timestamp);
  create table emails (id serial primary key, user_id integer references users (id),
    email varchar(253) not null, private boolean not null)`;

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) throw new Error('set DATABASE_URL (npm run demo* starts a server for you when it is not set)');

const schemaName = `pgsa_demo_${process.pid}`;
const engine = await createEngine<Database>({
  connectionString: databaseUrl,
  minSize: 1,
  maxSize: 4,
  // Every new connection works inside the demo's own schema.
  onConnect: async (conn) => {
    await conn.execute(`set search_path to ${schemaName}`);
  },
});
console.log(`engine: ${engine.dsn} (size ${engine.size})`);

try {
  await using conn = await engine.acquire();
  await conn.execute(`create schema if not exists ${schemaName}`);
  await conn.execute(TABLES);

  // Kysely builds the query; pgsa runs it on this connection.
  const { db } = conn;
  const inserted = await conn.execute(
    db
      .insertInto('users')
      .values([
        { name: 'Ada', birthday: new Date('1815-12-10') },
        { name: 'Grace', birthday: new Date('1906-12-09') },
        { name: 'Edsger', birthday: null },
      ])
      .returning(['id', 'name']),
  );
  console.log(
    `inserted ${inserted.rowCount} users:`,
    inserted.fetchAll().map((row) => row.toJSON()),
  );

  // One statement, many parameter sets, one round trip (atomic: all rows or none).
  const emails = await conn.executeMany(
    'insert into emails (user_id, email, private) values ($1, $2, $3)',
    [
      [1, 'ada@example.com', false],
      [2, 'grace@example.com', true],
    ],
  );
  console.log(`inserted ${emails} emails with executeMany`);

  // ResultProxy / RowProxy, the aiopg.sa way.
  const result = await conn.execute(
    db
      .selectFrom('users')
      .leftJoin('emails', 'emails.user_id', 'users.id')
      .select(['users.id', 'users.name', 'emails.email'])
      .orderBy('users.id'),
  );
  console.log('columns:', result.keys());
  for (const row of result) {
    console.log(`  #${row.id} ${row.name} <${row.email ?? 'no email'}>`);
  }

  // Bulk load with COPY, and read a query back out as CSV.
  const copied = await conn.copyFrom(
    'users',
    [
      ['Barbara', new Date('1939-11-03')],
      ['Tony', null],
    ],
    { columns: ['name', 'birthday'] },
  );
  console.log(`copied ${copied} users with copyFrom`);
  let csv = '';
  for await (const chunk of conn.copyTo(
    'COPY (select id, name from users order by id) TO STDOUT (FORMAT csv, HEADER)',
  )) {
    csv += chunk.toString();
  }
  console.log(`copyTo as CSV:\n${csv.trimEnd()}`);

  const count = await conn.scalar(sql<number>`select count(*)::int from users`);
  console.log(`users: ${count}`);
  console.log('pool:', engine.stats());
  await conn.execute(`drop schema ${schemaName} cascade`);
} finally {
  await engine.close();
  await engine.waitClosed();
}
console.log('done');
