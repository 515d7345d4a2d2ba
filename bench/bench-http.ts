/**
 * W6: an HTTP service on loopback — Fastify, `GET /users/:id` returning the user's five
 * columns as JSON — driven by a plain keep-alive client in the same process (`concurrency`
 * requests in flight). The same handler on raw pg (`pool.query`) and on pgsa's request
 * middleware (`dbSessionPlugin` + `dbSession(engine)`: BEGIN with the query, COMMIT at the
 * end), so the difference is what pgsa's per-request session costs; on raw pg with the same
 * two round trips written by hand (the ceiling of any per-request transaction); and on pgsa's
 * `engine.fetchRow` without a session (pipelined autocommit, what `pool.query` is). Units are
 * responses.
 */
import { Agent, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import pg from 'pg';
import { createEngine, dbSession } from 'pgsa';
import { dbSessionPlugin } from 'pgsa/fastify';
import { handSession, inlineValues } from './bench-clients.js';
import { type BenchDatabase, randomId, type UserRow, W1_SQL } from './bench-sql.js';

interface HttpService {
  readonly app: FastifyInstance;
  close(): Promise<void>;
}

type ServiceFactory = (url: string, concurrency: number) => Promise<HttpService>;

const asJson = (row: UserRow | undefined) =>
  row === undefined
    ? null
    : { id: row.id, name: row.name, email: row.email, created_at: row.created_at, balance: row.balance };

const pgService: ServiceFactory = async (url, concurrency) => {
  const pool = new pg.Pool({ connectionString: url, max: concurrency });
  const app = Fastify();
  app.get<{ Params: { id: string } }>('/users/:id', async (req) =>
    asJson((await pool.query<UserRow>(W1_SQL, [Number(req.params.id)])).rows[0]),
  );
  return { app, close: () => pool.end() };
};

/** The same handler on raw pg with a request session written by hand (BEGIN with the query, COMMIT: two round trips). */
const pgSessionService: ServiceFactory = async (url, concurrency) => {
  const pool = new pg.Pool({ connectionString: url, max: concurrency });
  const app = Fastify();
  app.get<{ Params: { id: string } }>('/users/:id', async (req) =>
    asJson((await handSession(pool, (client) => inlineValues(W1_SQL, [Number(req.params.id)], client)))[0]),
  );
  return { app, close: () => pool.end() };
};

/** An engine with a pool of `concurrency` connections, and its service's `close`. */
async function pgsaEngine(url: string, concurrency: number) {
  const engine = await createEngine<BenchDatabase>({ connectionString: url, minSize: concurrency, maxSize: concurrency });
  const close = async () => {
    await engine.close();
    await engine.waitClosed();
  };
  return { engine, close };
}

const pgsaService: ServiceFactory = async (url, concurrency) => {
  const { engine, close } = await pgsaEngine(url, concurrency);
  const app = Fastify();
  await app.register(dbSessionPlugin);
  app.get<{ Params: { id: string } }>('/users/:id', async (req) => {
    const session = await dbSession(engine);
    return asJson((await session.execute<UserRow>(W1_SQL, [Number(req.params.id)])).fetchAll()[0]);
  });
  return { app, close };
};

/** The same handler on pgsa without a session: `engine.fetchRow` (pipelined, autocommit), as pool.query. */
const pgsaEngineService: ServiceFactory = async (url, concurrency) => {
  const { engine, close } = await pgsaEngine(url, concurrency);
  const app = Fastify();
  app.get<{ Params: { id: string } }>('/users/:id', async (req) =>
    asJson((await engine.fetchRow<UserRow>(W1_SQL, [Number(req.params.id)])) ?? undefined),
  );
  return { app, close };
};

/** The HTTP clients of W6, by name. */
export const HTTP_CLIENTS: Record<string, { label: string; make: ServiceFactory }> = {
  'http-pg': { label: 'Fastify GET /users/:id on pg Pool (pool.query)', make: pgService },
  'http-pg-session': {
    label: "Fastify GET /users/:id on pg by hand: connect + 'BEGIN; …' + COMMIT + release (2 round trips)",
    make: pgSessionService,
  },
  'http-pgsa': { label: 'Fastify GET /users/:id on pgsa middleware (dbSession, BEGIN…COMMIT)', make: pgsaService },
  'http-pgsa-engine': { label: 'Fastify GET /users/:id on pgsa engine.fetchRow (pipelined, no session)', make: pgsaEngineService },
};

/** Serves the app on 127.0.0.1 and returns a client that runs one request (resolves on its end). */
export async function serveHttp(
  name: string,
  url: string,
  concurrency: number,
): Promise<{ op(): Promise<number>; close(): Promise<void> } | undefined> {
  const spec = HTTP_CLIENTS[name];
  if (!spec) return undefined;
  const service = await spec.make(url, concurrency);
  await service.app.listen({ port: 0, host: '127.0.0.1' });
  const port = (service.app.server.address() as AddressInfo).port;
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const op = () =>
    new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: `/users/${randomId()}`, agent }, (res) => {
        let length = 0;
        res.on('data', (chunk: Buffer) => (length += chunk.length));
        res.on('end', () => (res.statusCode === 200 && length > 0 ? resolve(1) : reject(new Error(`HTTP ${res.statusCode}`))));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });
  return {
    op,
    close: async () => {
      agent.destroy();
      await service.app.close();
      await service.close();
    },
  };
}
