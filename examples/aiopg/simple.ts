/**
 * Follows aiopg's examples/simple.py: take a connection from a pool, run `SELECT 1`, iterate
 * over the rows and check they are `[(1,)]`.
 *
 * aiopg's low-level cursor becomes `conn.execute(sql)` and its `ResultProxy`; the pool is the
 * engine. Run it with `npx tsx --conditions=pgsa-source test/support/run-example.ts
 * examples/aiopg/simple.ts` (an embedded server is started when DATABASE_URL is not set).
 */
import { deepStrictEqual } from 'node:assert/strict';
import { createEngine } from 'pgsa';

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) throw new Error('set DATABASE_URL (test/support/run-example.ts starts a server for you when it is not set)');

const engine = await createEngine({ connectionString: databaseUrl, minSize: 1, maxSize: 2 });
try {
  await using conn = await engine.acquire();
  const result = await conn.execute('SELECT 1');
  const ret: unknown[][] = [];
  for await (const row of result) {
    ret.push(row.values());
  }
  deepStrictEqual(ret, [[1]]);
  console.log(`SELECT 1 -> ${JSON.stringify(ret)}`);
} finally {
  await engine.close();
  await engine.waitClosed();
}
console.log('ALL DONE');
