import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, inject } from 'vitest';
import { adminQuery, withDatabase } from './postgres-server.js';

/** A database of its own for one test file, cloned from the schema template. */
export interface TestDatabase {
  /** URL of this file's database (superuser). */
  readonly url: string;
  readonly name: string;
  /** The server's superuser password. */
  readonly password: string;
}

/**
 * Gives the calling test file its own database (so files run in parallel without seeing each
 * other's rows) and drops it after the file. Read `db.url` inside tests or hooks.
 */
export function useTestDatabase(): TestDatabase {
  const name = `pgsa_${randomBytes(6).toString('hex')}`;
  const serverUrl = inject('pgUrl');
  const database: TestDatabase = {
    url: withDatabase(serverUrl, name),
    name,
    password: inject('pgPassword'),
  };
  beforeAll(async () => {
    await adminQuery(serverUrl, `CREATE DATABASE ${name} TEMPLATE ${inject('pgTemplate')}`);
  });
  afterAll(async () => {
    // Prepared transactions left by a failed test would block the drop; clear them first.
    await withClient(database.url, async (client) => {
      const prepared = await client.query<{ gid: string }>(
        'select gid from pg_prepared_xacts where database = current_database()',
      );
      for (const { gid } of prepared.rows) {
        await client.query(`ROLLBACK PREPARED '${gid.replaceAll("'", "''")}'`);
      }
    }).catch(() => {});
    await adminQuery(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });
  return database;
}

/** Runs `fn` with a fresh, independent client (an observer outside pgsa). */
export async function withClient<T>(
  url: string,
  fn: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Rows of `text` as seen by an independent connection. */
export function observe<R extends pg.QueryResultRow>(
  url: string,
  text: string,
  values: unknown[] = [],
): Promise<R[]> {
  return withClient(url, async (client) => (await client.query<R>(text, values)).rows);
}
