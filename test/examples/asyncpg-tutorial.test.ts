import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { observe, useTestDatabase } from '../support/test-database.js';

const db = useTestDatabase();
const root = fileURLToPath(new URL('../..', import.meta.url));

it('examples/asyncpg-tutorial.ts runs every step against the server and cleans up', async () => {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', 'examples/asyncpg-tutorial.ts'],
    { cwd: root, env: { ...process.env, DATABASE_URL: db.url }, timeout: 60_000 },
  );
  const lines = stdout.trimEnd().split('\n');
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
