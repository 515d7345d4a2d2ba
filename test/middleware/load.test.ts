import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../schema/database.js';
import type { Engine } from '../../src/index.js';
import { observe, useTestDatabase } from '../support/test-database.js';
import { DEFERRED_SCHEMA, FRAMEWORKS, post, type Served, serveApp } from './apps.js';
import { useEngines } from '../support/engine-fixture.js';

const db = useTestDatabase();
const engines = useEngines(db, { setup: DEFERRED_SCHEMA });
const REQUESTS = 200;
const POOL_SIZE = 5;
let engine: Engine<Database>;
let servers: Served[] = [];

beforeAll(async () => {
  engine = await engines.make({ minSize: 1, maxSize: POOL_SIZE });
  servers = await Promise.all(FRAMEWORKS.map((framework) => serveApp(framework, engine)));
});

afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
});

describe('the middleware under load', () => {
  it('stores exactly the rows of the successful requests among 200 concurrent ones and leaks no connection', async () => {
    // Request i goes to framework i % 3; every 5th throws, every 7th answers 422, every 11th
    // fails at COMMIT: those must leave nothing behind.
    const plan = Array.from({ length: REQUESTS }, (_, i) => {
      const framework = FRAMEWORKS[i % FRAMEWORKS.length] ?? 'fastify';
      const name = `load-${framework}-${i}`;
      const kind = i % 5 === 0 ? 'throw' : i % 7 === 0 ? '422' : i % 11 === 0 ? 'deferred' : 'ok';
      return { i, framework, name, kind };
    });
    const byFramework = new Map(FRAMEWORKS.map((framework, index) => [framework, servers[index]]));
    const started = performance.now();
    const responses = await Promise.all(
      plan.map(({ framework, name, kind }) => {
        const base = `${byFramework.get(framework)?.url}/users/${name}`;
        if (kind === 'throw') return post(`${base}/throw`);
        if (kind === 'deferred') return post(`${base}/deferred`);
        return post(base, kind === '422' ? { status: 422 } : {});
      }),
    );
    const elapsedMs = performance.now() - started;

    const expectedStatus = { ok: 201, throw: 500, '422': 422, deferred: 500 } as const;
    expect(responses.map((response) => response.status)).toEqual(
      plan.map(({ kind }) => expectedStatus[kind as keyof typeof expectedStatus]),
    );
    const succeeded = plan.filter(({ kind }) => kind === 'ok').map(({ name }) => name);
    const rows = await observe<{ name: string }>(
      db.url,
      "select name from users where name like 'load-%'",
    );
    const stored = rows.map((row) => row.name).sort();
    expect(stored).toEqual([...succeeded].sort());
    expect(await observe(db.url, 'select * from children')).toEqual([]);

    const stats = engine.stats();
    expect(engine.size).toBe(engine.freeSize);
    expect(stats.inUse).toBe(0);
    expect(engine.size).toBeLessThanOrEqual(POOL_SIZE);
    console.log(
      `[load] ${REQUESTS} concurrent requests over ${FRAMEWORKS.join('/')} on a pool of ` +
        `${POOL_SIZE} in ${Math.round(elapsedMs)} ms: ${succeeded.length} succeeded, ` +
        `${REQUESTS - succeeded.length} failed on purpose; rows found ${stored.length} ` +
        `(expected ${succeeded.length}); leaked connections ${engine.size - engine.freeSize} ` +
        `(size ${engine.size}, free ${engine.freeSize}, acquires ${stats.acquires}, ` +
        `timeouts ${stats.timeouts})`,
    );
  });
});
