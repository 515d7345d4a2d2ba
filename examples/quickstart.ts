/**
 * pgsa quickstart: `npm run demo`.
 *
 * Runs against DATABASE_URL when it is set (in a throwaway schema it drops afterwards), or
 * starts an embedded PostgreSQL server when it is not.
 */
import { readFile } from 'node:fs/promises';
import { sql } from 'kysely';
import type { Database } from '../schema/database.js';
import { createEngine } from '../src/index.js';
import { provisionPostgres } from '../test/support/postgres-server.js';

const server = await provisionPostgres({
  envUrl: process.env.DATABASE_URL,
  log: (message) => console.log(message),
});
console.log(`PostgreSQL ${server.version} (${server.provider})`);

const schemaName = `pgsa_demo_${process.pid}`;
const engine = await createEngine<Database>({
  connectionString: server.url,
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
  await conn.execute(await readFile(new URL('../schema/schema.sql', import.meta.url), 'utf8'));

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
  await server.stop();
}
console.log('done');
