/**
 * `/healthz` and `/metrics` for a pgsa engine on Fastify, Express and Hono.
 *
 * `/healthz` answers 200 with `engine.health()`'s report while the database answers within the
 * timeout, 503 otherwise (a load balancer or Kubernetes probe takes the instance out of
 * rotation). `engine.health()` never throws and is bounded by its timeout even when the network
 * is cut, so the probe itself cannot hang. `/metrics` serves Prometheus text
 * (examples/prometheus-metrics.ts).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import express from 'express';
import Fastify, { type FastifyInstance } from 'fastify';
import { Hono } from 'hono';
import type { Engine } from 'pgsa';

/** What the routes use of an engine (any `Engine<DB>` fits). */
export type ProbedEngine = Pick<Engine, 'health' | 'stats' | 'dsn'>;
import { PROMETHEUS_CONTENT_TYPE, prometheusText } from './prometheus-metrics.js';

/** How long a probe waits for the database (keep it below the probe's own timeout). */
export const HEALTH_TIMEOUT_MS = 1_000;

/** Fastify: `app.get('/healthz')` and `app.get('/metrics')`. */
export function fastifyApp(engine: ProbedEngine): FastifyInstance {
  const app = Fastify();
  app.get('/healthz', async (_request, reply) => {
    const report = await engine.health({ timeoutMs: HEALTH_TIMEOUT_MS });
    return reply.code(report.ok ? 200 : 503).send(report);
  });
  app.get('/metrics', async (_request, reply) => {
    return reply.type(PROMETHEUS_CONTENT_TYPE).send(prometheusText([engine]));
  });
  return app;
}

/** Express 5 (async handlers are awaited). */
export function expressApp(engine: ProbedEngine): express.Express {
  const app = express();
  app.get('/healthz', async (_request, response) => {
    const report = await engine.health({ timeoutMs: HEALTH_TIMEOUT_MS });
    response.status(report.ok ? 200 : 503).json(report);
  });
  app.get('/metrics', (_request, response) => {
    response.type(PROMETHEUS_CONTENT_TYPE).send(prometheusText([engine]));
  });
  return app;
}

/** Hono. */
export function honoApp(engine: ProbedEngine): Hono {
  const app = new Hono();
  app.get('/healthz', async (c) => {
    const report = await engine.health({ timeoutMs: HEALTH_TIMEOUT_MS });
    return c.json(report, report.ok ? 200 : 503);
  });
  app.get('/metrics', (c) => c.text(prometheusText([engine]), 200, { 'content-type': PROMETHEUS_CONTENT_TYPE }));
  return app;
}

/** A running app: its base URL, and `close()`. */
export interface Listening {
  readonly url: string;
  close(): Promise<void>;
}

/** Serves the chosen framework's app on 127.0.0.1 (a free port). */
export async function listen(framework: 'fastify' | 'express' | 'hono', engine: ProbedEngine): Promise<Listening> {
  if (framework === 'fastify') {
    const app = fastifyApp(engine);
    await app.listen({ host: '127.0.0.1', port: 0 });
    return listening(app.server, () => app.close());
  }
  let server: Server;
  if (framework === 'express') {
    server = createServer(expressApp(engine));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  } else {
    server = await new Promise<Server>((resolve) => {
      const started = serve({ fetch: honoApp(engine).fetch, hostname: '127.0.0.1', port: 0 }, () =>
        resolve(started as Server),
      );
    });
  }
  return listening(server, () => new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  }));
}

function listening(server: Server, close: () => Promise<unknown>): Listening {
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: async () => void (await close()) };
}
