import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  dbSession,
  type Engine,
  InterfaceError,
  newSession,
  ReadOnlySqlTransactionError,
  runInNewContext,
} from '../../src/index.js';
import { dbSessionMiddleware as expressMiddleware } from '../../src/middleware/express.js';
import { dbSessionPlugin } from '../../src/middleware/fastify.js';
import { dbSessionMiddleware as honoMiddleware } from '../../src/middleware/hono.js';
import { query, type ReplicaSet, startReplicaSet } from '../support/replication.js';
import { rejection } from '../support/rejection.js';
import { replicaEngine } from './replica-support.js';

// dbSession(engine, { readOnly: true }) and the middleware's read-only routes: the session's
// connection comes from engine.readonly, its transactions are READ ONLY.
let set: ReplicaSet;
const engines: Engine[] = [];
const servers: Server[] = [];

beforeAll(async () => {
  set = await startReplicaSet({ standbys: 1 });
  await query(set.primary.url, 'create table ro_notes (id serial primary key, body text not null)');
  await set.waitForReplay();
}, 60_000);

afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    ),
  );
  for (const engine of engines.splice(0)) {
    // Every session released its connections, on the primary and on the replica.
    expect(engine.stats().inUse).toBe(0);
    expect(engine.stats().replicas.every((replica) => replica.pool.inUse === 0)).toBe(true);
    await engine.close();
    await engine.waitClosed();
  }
});

afterAll(async () => {
  await set?.close();
});

async function make(options: Parameters<typeof replicaEngine>[1] = {}) {
  const engine = await replicaEngine(set, options);
  engines.push(engine);
  return engine;
}

const notes = async () => (await query<{ n: number }>(set.primary.url, 'select count(*)::int as n from ro_notes'))[0]?.n;

/** Where the session's statements run and whether its transaction is READ ONLY. */
async function describeSession(engine: Engine, readOnly?: boolean) {
  const session = await dbSession(engine, readOnly === undefined ? undefined : { readOnly });
  return {
    readOnly: session.readOnly,
    inRecovery: await session.scalar('select pg_is_in_recovery()'),
    transactionReadOnly: await session.scalar('show transaction_read_only'),
  };
}

describe('dbSession(engine, { readOnly: true })', () => {
  it('runs on a replica in a READ ONLY transaction, apart from the read-write session', async () => {
    const engine = await make();
    await runInNewContext(async () => {
      expect(await describeSession(engine, true)).toEqual({ readOnly: true, inRecovery: true, transactionReadOnly: 'on' });
      expect(await describeSession(engine)).toEqual({ readOnly: false, inRecovery: false, transactionReadOnly: 'off' });
      expect(await dbSession(engine, { readOnly: true })).toBe(await dbSession(engine, { readOnly: true }));
      expect(await dbSession(engine, { readOnly: true })).not.toBe(await dbSession(engine));
    });
  });

  it('refuses writes with ReadOnlySqlTransactionError even when it falls back to the primary', async () => {
    const engine = await make({ replicas: [] });
    const before = await notes();
    await runInNewContext(async () => {
      const session = await dbSession(engine, { readOnly: true });
      expect(await session.scalar('select pg_is_in_recovery()')).toBe(false);
      const error = await rejection(
        session.execute("insert into ro_notes (body) values ('x')"),
        ReadOnlySqlTransactionError,
      );
      expect(error.sqlstate).toBe('25006');
      expect(error.message).toBe('cannot execute INSERT in a read-only transaction');
      await session.rollback();
    });
    expect(await notes()).toBe(before);
  });

  it('refuses to begin a read-write transaction', async () => {
    const engine = await make();
    await runInNewContext(async () => {
      const session = await dbSession(engine, { readOnly: true });
      const error = await rejection(session.begin({ readOnly: false }), InterfaceError);
      expect(error.message).toBe('cannot begin a read-write transaction: the session is read-only');
      await session.begin({ isolationLevel: 'repeatable read' });
      expect(await session.scalar('show transaction_isolation')).toBe('repeatable read');
      expect(await session.scalar('show transaction_read_only')).toBe('on');
    });
  });

  it('newSession(engine, { readOnly: true }) is read-only too', async () => {
    const engine = await make();
    await using session = await newSession(engine, { readOnly: true });
    expect(session.readOnly).toBe(true);
    expect(await session.scalar('select pg_is_in_recovery()')).toBe(true);
    expect(await session.scalar('show transaction_read_only')).toBe('on');
  });

  it('refuses a readOnly that is not a boolean', async () => {
    const engine = await make();
    await runInNewContext(async () => {
      const error = await rejection(dbSession(engine, { readOnly: 'yes' as unknown as boolean }), TypeError);
      expect(error.message).toBe('readOnly must be a boolean, got "yes"');
    });
  });
});

/** The answer of `GET|POST /where`: which server the context's default session used. */
async function where(engine: Engine) {
  return describeSession(engine);
}

async function listen(server: Server): Promise<string> {
  servers.push(server);
  if (!server.listening) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function call(url: string, method: 'GET' | 'POST') {
  const response = await fetch(url, { method });
  expect(response.status).toBe(200);
  return (await response.json()) as unknown;
}

const ON_REPLICA = { readOnly: true, inRecovery: true, transactionReadOnly: 'on' };
const ON_PRIMARY = { readOnly: false, inRecovery: false, transactionReadOnly: 'off' };

describe('read-only routes of the middleware', () => {
  it('express: readOnly as a function of the request sends GET to the replica and POST to the primary', async () => {
    const engine = await make();
    const app = express();
    app.use(expressMiddleware({ readOnly: ({ method }) => method === 'GET' }));
    app.all('/where', async (_req, res) => void res.json(await where(engine)));
    const url = await listen(createServer(app));
    expect(await call(`${url}/where?x=1`, 'GET')).toEqual(ON_REPLICA);
    expect(await call(`${url}/where`, 'POST')).toEqual(ON_PRIMARY);
  });

  it('express: the middleware mounted on one route marks it read-only behind an app-wide one', async () => {
    const engine = await make();
    const app = express();
    app.use(expressMiddleware());
    app.get('/report', expressMiddleware({ readOnly: true }), async (_req, res) => void res.json(await where(engine)));
    app.get('/where', async (_req, res) => void res.json(await where(engine)));
    const url = await listen(createServer(app));
    expect(await call(`${url}/report`, 'GET')).toEqual(ON_REPLICA);
    expect(await call(`${url}/where`, 'GET')).toEqual(ON_PRIMARY);
  });

  it('fastify: a route’s config.dbSession.readOnly', async () => {
    const engine = await make();
    const app = Fastify({ forceCloseConnections: true });
    await app.register(dbSessionPlugin);
    app.get('/report', { config: { dbSession: { readOnly: true } } }, async () => where(engine));
    app.get('/where', async () => where(engine));
    await app.listen({ host: '127.0.0.1', port: 0 });
    const url = await listen(app.server);
    expect(await call(`${url}/report`, 'GET')).toEqual(ON_REPLICA);
    expect(await call(`${url}/where`, 'GET')).toEqual(ON_PRIMARY);
  });

  it('fastify: readOnly as a function of the request', async () => {
    const engine = await make();
    const app = Fastify({ forceCloseConnections: true });
    await app.register(dbSessionPlugin, { readOnly: ({ path }) => path.startsWith('/reports/') });
    app.get('/reports/daily', async () => where(engine));
    app.get('/where', async () => where(engine));
    await app.listen({ host: '127.0.0.1', port: 0 });
    const url = await listen(app.server);
    expect(await call(`${url}/reports/daily?day=1`, 'GET')).toEqual(ON_REPLICA);
    expect(await call(`${url}/where`, 'GET')).toEqual(ON_PRIMARY);
  });

  it('hono: readOnly as a function of the request', async () => {
    const engine = await make();
    const app = new Hono();
    app.use(honoMiddleware({ readOnly: ({ method }) => method === 'GET' }));
    app.on(['GET', 'POST'], '/where', async (c) => c.json(await where(engine)));
    const server = await new Promise<Server>((resolve) => {
      const started = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(started as Server));
    });
    const url = await listen(server);
    expect(await call(`${url}/where`, 'GET')).toEqual(ON_REPLICA);
    expect(await call(`${url}/where`, 'POST')).toEqual(ON_PRIMARY);
  });

  it('refuses a readOnly option that is neither a boolean nor a function', () => {
    expect(() => expressMiddleware({ readOnly: 'GET' as unknown as boolean })).toThrow(
      new InterfaceError('session middleware option readOnly must be a boolean or a function'),
    );
  });
});
