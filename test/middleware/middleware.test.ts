import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../schema/database.js';
import { type Engine, runInNewContext, type Session } from '../../src/index.js';
import type { DbSessionMiddlewareOptions } from '../../src/middleware/request-scope.js';
import { observe, useTestDatabase } from '../support/test-database.js';
import {
  DEFERRED_SCHEMA,
  FRAMEWORKS,
  type Framework,
  post,
  SLOW_MS,
  type Served,
  serveApp,
} from './apps.js';
import { useEngines } from '../support/engine-fixture.js';
import { rejection } from '../support/rejection.js';

const db = useTestDatabase();
const engines = useEngines(db, { setup: DEFERRED_SCHEMA });
let engine: Engine<Database>;
let other: Engine<Database>;
const servers: Served[] = [];

beforeAll(async () => {
  engine = await engines.make({ minSize: 1, maxSize: 5 });
  other = await engines.make({ minSize: 0, maxSize: 1 });
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
  // Every request released its connection.
  expect(engine.size).toBe(engine.freeSize);
  expect(engine.stats().inUse).toBe(0);
});

async function start(framework: Framework, options?: DbSessionMiddlewareOptions) {
  const server = await serveApp(framework, engine, options);
  servers.push(server);
  return server;
}

async function users(name: string): Promise<string[]> {
  const rows = await observe<{ name: string }>(
    db.url,
    'select name from users where name like $1 order by id',
    [`${name}%`],
  );
  return rows.map((row) => row.name);
}

describe.each(FRAMEWORKS)('the %s middleware', (framework) => {
  const name = (label: string) => `${framework}-${label}`;

  it('commits when the handler answers 2xx, before the response is sent', async () => {
    const { url } = await start(framework);
    const response = await post(`${url}/users/${name('ok')}`);
    expect(response).toEqual({ status: 201, body: { name: name('ok') } });
    // Observed right after the response: the commit happened before it was flushed.
    expect(await users(name('ok'))).toEqual([name('ok')]);
  });

  it('holds the response until a slow commit has finished', async () => {
    const { url } = await start(framework, {
      beforeCommit: () => new Promise((resolve) => setTimeout(resolve, 150)),
    });
    const started = performance.now();
    expect((await post(`${url}/users/${name('slow')}`)).status).toBe(201);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    expect(await users(name('slow'))).toEqual([name('slow')]);
  });

  it('takes no connection for a request that never queries', async () => {
    const { url } = await start(framework);
    const acquires = engine.stats().acquires;
    expect((await post(`${url}/noop`)).status).toBe(204);
    expect(engine.stats().acquires).toBe(acquires);
  });

  it('rolls back when the handler throws', async () => {
    const { url } = await start(framework);
    const response = await post(`${url}/users/${name('throw')}/throw`);
    expect(response.status).toBe(500);
    expect(await users(name('throw'))).toEqual([]);
  });

  it('rolls back on a 4xx answer by default', async () => {
    const { url } = await start(framework);
    const response = await post(`${url}/users/${name('404')}`, { status: 404 });
    expect(response.status).toBe(404);
    expect(await users(name('404'))).toEqual([]);
  });

  it('commits a 4xx answer when rollbackOn is 500', async () => {
    const { url } = await start(framework, { rollbackOn: 500 });
    const response = await post(`${url}/users/${name('409')}`, { status: 409 });
    expect(response.status).toBe(409);
    expect(await users(name('409'))).toEqual([name('409')]);
  });

  it('rolls back a 5xx answer when rollbackOn is 500', async () => {
    const { url } = await start(framework, { rollbackOn: 500 });
    const response = await post(`${url}/users/${name('503')}`, { status: 503 });
    expect(response.status).toBe(503);
    expect(await users(name('503'))).toEqual([]);
  });

  it('rolls back a thrown 4xx error even when rollbackOn is 500', async () => {
    const { url } = await start(framework, { rollbackOn: 500 });
    const response = await post(`${url}/users/${name('thrown409')}/http-error`);
    expect(response.status).toBe(409);
    expect(await users(name('thrown409'))).toEqual([]);
  });

  it('rolls back only the statuses listed when rollbackOn is a list', async () => {
    const { url } = await start(framework, { rollbackOn: [418] });
    expect((await post(`${url}/users/${name('list418')}`, { status: 418 })).status).toBe(418);
    expect((await post(`${url}/users/${name('list404')}`, { status: 404 })).status).toBe(404);
    expect(await users(name('list4'))).toEqual([name('list404')]);
  });

  it('turns a failed commit into a 500 and stores nothing', async () => {
    const { url } = await start(framework);
    const response = await post(`${url}/users/${name('deferred')}/deferred`);
    expect(response.status).toBe(500);
    expect(JSON.stringify(response.body)).toContain('violates foreign key constraint');
    expect(await users(name('deferred'))).toEqual([]);
    expect(await observe(db.url, 'select * from children')).toEqual([]);
  });

  it('runs beforeCommit with the session before committing', async () => {
    const seen: Session<unknown>[] = [];
    const { url } = await start(framework, {
      beforeCommit: async (session) => {
        seen.push(session);
        const own = session.of(engine);
        if (own === undefined) throw new Error('a session of another engine');
        await own.db.insertInto('users').values({ name: name('hook-audit') }).execute();
      },
    });
    expect((await post(`${url}/users/${name('hook')}`)).status).toBe(201);
    expect(await users(name('hook'))).toEqual([name('hook'), name('hook-audit')]);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.engine).toBe(engine);
    expect(seen[0]?.closed).toBe(true);
    expect(seen[0]?.of(other)).toBeUndefined();
  });

  it('rolls everything back and answers 500 when beforeCommit throws', async () => {
    const { url } = await start(framework, {
      beforeCommit: () => {
        throw new Error('audit refused');
      },
    });
    const response = await post(`${url}/users/${name('hookfail')}`);
    expect(response.status).toBe(500);
    expect(JSON.stringify(response.body)).toContain('audit refused');
    expect(await users(name('hookfail'))).toEqual([]);
  });

  it('rolls back and releases the connection when the client goes away', async () => {
    const { url } = await start(framework);
    const aborted = await rejection(fetch(`${url}/users/${name('gone')}/slow`, {
      method: 'POST',
      signal: AbortSignal.timeout(SLOW_MS / 3),
    }), DOMException);
    expect(aborted.name).toBe('TimeoutError');
    await new Promise((resolve) => setTimeout(resolve, SLOW_MS * 2));
    expect(await users(name('gone'))).toEqual([]);
    expect(engine.stats().inUse).toBe(0);
  });

  it('leaves the request to an enclosing context that already exists', async () => {
    // A server started inside a context serves its requests in that context.
    let server: Served | undefined;
    let during: string[] = [];
    await runInNewContext(async () => {
      server = await start(framework);
      expect((await post(`${server.url}/users/${name('outer')}`)).status).toBe(201);
      // The middleware did not commit: the enclosing context owns the session.
      during = await users(name('outer'));
    });
    expect(during).toEqual([]);
    expect(await users(name('outer'))).toEqual([name('outer')]);
  });
});
