/**
 * The same small service on Fastify, Express and Hono, served over real HTTP on 127.0.0.1, for
 * the middleware tests: every route inserts a user through `dbSession(engine)` and then answers
 * in its own way.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import express, { type ErrorRequestHandler } from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { Database } from '../../schema/database.js';
import type { Engine } from '../../src/index.js';
import { dbSession } from '../../src/index.js';
import { dbSessionErrorHandler, dbSessionMiddleware as expressMiddleware } from '../../src/middleware/express.js';
import { dbSessionPlugin } from '../../src/middleware/fastify.js';
import { dbSessionMiddleware as honoMiddleware } from '../../src/middleware/hono.js';
import type { DbSessionMiddlewareOptions } from '../../src/middleware/request-scope.js';

export type Framework = 'fastify' | 'express' | 'hono';
export const FRAMEWORKS: readonly Framework[] = ['fastify', 'express', 'hono'];

/** A running server: its base URL and a `close()` that stops it and its sockets. */
export interface Served {
  readonly url: string;
  close(): Promise<void>;
}

/** The deferred foreign key a commit can violate: run once per test database. */
export const DEFERRED_SCHEMA = `
  create table parents (id int primary key);
  create table children (
    id serial primary key,
    parent_id int not null references parents (id) deferrable initially deferred
  )`;

/** Inserts a user through the context's session. */
export async function insertUser(engine: Engine<Database>, name: string): Promise<void> {
  const session = await dbSession(engine);
  await session.db.insertInto('users').values({ name }).execute();
}

/** Inserts a user and a child of a missing parent: accepted now, refused at COMMIT. */
async function insertOrphan(engine: Engine<Database>, name: string): Promise<void> {
  await insertUser(engine, name);
  const session = await dbSession(engine);
  await session.execute('insert into children (parent_id) values (-1)');
}

/** How long the `/slow` route works after its insert. */
export const SLOW_MS = 300;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function httpError(status: number): Error {
  return Object.assign(new Error(`failed with ${status}`), { status, statusCode: status });
}

/**
 * Routes (all POST, JSON body `{ "status"?: number }`):
 * `/users/:name` inserts and answers `status` (201); `/users/:name/throw` inserts and throws;
 * `/users/:name/http-error` inserts and throws an HTTP 409 error; `/users/:name/deferred`
 * inserts an orphan child and answers 201 (the commit fails); `/users/:name/slow` inserts,
 * waits {@link SLOW_MS} and answers 201; `/noop` answers 204 without touching the database.
 */
export async function serveApp(
  framework: Framework,
  engine: Engine<Database>,
  options: DbSessionMiddlewareOptions = {},
): Promise<Served> {
  if (framework === 'fastify') return serveFastify(engine, options);
  if (framework === 'express') return serveExpress(engine, options);
  return serveHono(engine, options);
}

async function serveFastify(engine: Engine<Database>, options: DbSessionMiddlewareOptions) {
  const app = Fastify({ forceCloseConnections: true });
  await app.register(dbSessionPlugin, options);
  type Req = { Params: { name: string }; Body: { status?: number } | undefined };
  app.post<Req>('/users/:name', async (request, reply) => {
    await insertUser(engine, request.params.name);
    return reply.code(request.body?.status ?? 201).send({ name: request.params.name });
  });
  app.post<Req>('/users/:name/throw', async (request) => {
    await insertUser(engine, request.params.name);
    throw new Error('boom');
  });
  app.post<Req>('/users/:name/http-error', async (request) => {
    await insertUser(engine, request.params.name);
    throw httpError(409);
  });
  app.post<Req>('/users/:name/deferred', async (request, reply) => {
    await insertOrphan(engine, request.params.name);
    return reply.code(201).send({ name: request.params.name });
  });
  app.post('/noop', async (_request, reply) => reply.code(204).send());
  app.post<Req>('/users/:name/slow', async (request, reply) => {
    await insertUser(engine, request.params.name);
    await sleep(SLOW_MS);
    return reply.code(201).send({ name: request.params.name });
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return served(app.server, () => app.close());
}

async function serveExpress(engine: Engine<Database>, options: DbSessionMiddlewareOptions) {
  const app = express();
  app.use(expressMiddleware(options));
  app.use(express.json());
  app.post('/users/:name', async (req, res) => {
    await insertUser(engine, req.params.name);
    res.status((req.body as { status?: number } | undefined)?.status ?? 201).json({
      name: req.params.name,
    });
  });
  app.post('/users/:name/throw', async (req) => {
    await insertUser(engine, req.params.name);
    throw new Error('boom');
  });
  app.post('/users/:name/http-error', async (req) => {
    await insertUser(engine, req.params.name);
    throw httpError(409);
  });
  app.post('/users/:name/deferred', async (req, res) => {
    await insertOrphan(engine, req.params.name);
    res.status(201).json({ name: req.params.name });
  });
  app.post('/noop', (_req, res) => {
    res.status(204).end();
  });
  app.post('/users/:name/slow', async (req, res) => {
    await insertUser(engine, req.params.name);
    await sleep(SLOW_MS);
    res.status(201).json({ name: req.params.name });
  });
  app.use(dbSessionErrorHandler());
  const errorHandler: ErrorRequestHandler = (error: Error & { status?: number }, _req, res, _next) => {
    res.status(error.status ?? 500).json({ error: error.message });
  };
  app.use(errorHandler);
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return served(server, () => closeServer(server));
}

async function serveHono(engine: Engine<Database>, options: DbSessionMiddlewareOptions) {
  const app = new Hono();
  app.use(honoMiddleware(options));
  app.post('/users/:name', async (c) => {
    const { status } = (await c.req.json().catch(() => ({}))) as { status?: number };
    await insertUser(engine, c.req.param('name'));
    return c.json({ name: c.req.param('name') }, (status ?? 201) as 201);
  });
  app.post('/users/:name/throw', async (c) => {
    await insertUser(engine, c.req.param('name'));
    throw new Error('boom');
  });
  app.post('/users/:name/http-error', async (c) => {
    await insertUser(engine, c.req.param('name'));
    throw new HTTPException(409, { message: 'failed with 409' });
  });
  app.post('/users/:name/deferred', async (c) => {
    await insertOrphan(engine, c.req.param('name'));
    return c.json({ name: c.req.param('name') }, 201);
  });
  app.post('/noop', (c) => c.body(null, 204));
  app.post('/users/:name/slow', async (c) => {
    await insertUser(engine, c.req.param('name'));
    await sleep(SLOW_MS);
    return c.json({ name: c.req.param('name') }, 201);
  });
  app.onError((error, c) =>
    error instanceof HTTPException ? error.getResponse() : c.json({ error: error.message }, 500),
  );
  const server = await new Promise<Server>((resolve) => {
    const started = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () =>
      resolve(started as Server),
    );
  });
  return served(server, () => closeServer(server));
}

function served(server: Server, close: () => Promise<unknown>): Served {
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: async () => void (await close()) };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}

/** POSTs JSON to `url` and returns the status and parsed body. */
export async function post(
  url: string,
  body: unknown = {},
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? (JSON.parse(text) as unknown) : undefined;
  } catch {
    // A plain-text body (e.g. a framework's default error page) stays a string.
  }
  return { status: response.status, body: parsed };
}
