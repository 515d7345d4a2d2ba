import { expect, it } from 'vitest';
import { runExampleFile } from '../support/run-example-file.js';
import { observe, useTestDatabase } from '../support/test-database.js';

const db = useTestDatabase();

it('examples/asyncpg-tutorial.ts runs every step against the server and cleans up', async () => {
  const lines = await runExampleFile('asyncpg-tutorial.ts', db.url);
  expect(lines).toEqual(
    expect.arrayContaining([
      'fetchVal: 1 user(s)',
      'fetchRow: #1 John (by index: John)',
      'executeMany: 5 products',
      'prepare: columns name:text, price:numeric',
      'prepared fetch: Laptop, Phone | Novel',
      'nested transaction rolled back: no bonus today',
      'transaction: points 10, achievements 0',
      'cursor: summed 50005000',
      'cursor: third product Cable, then 2 more',
      'repository: Ada has 5 points (version 2)',
      'repository: a stale version is refused (ConcurrentUpdateError)',
      'repository: 4 users, page Edsger, Grace',
      'deleted: true',
      'health: ok',
    ]),
  );
  expect(lines.at(-1)).toBe('done');
  // The throwaway schema is gone.
  expect(await observe(db.url, "select nspname from pg_namespace where nspname like 'pgsa_asyncpg_%'")).toEqual([]);
}, 90_000);
