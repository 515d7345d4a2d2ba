/**
 * Graceful shutdown of a service using pgsa: on SIGTERM (what Kubernetes, systemd and Docker
 * send), stop accepting requests, `engine.close()` (no new acquires; connections in use close
 * when released, so the requests in flight finish), `engine.waitClosed()` bounded by a deadline,
 * and `engine.terminate()` if the deadline passes (the statements still running fail and their
 * transactions roll back on the server).
 *
 * `tsx examples/graceful-shutdown.ts` serves `GET /sleep?ms=N` (a transaction that sleeps N ms
 * on the server) on 127.0.0.1 until SIGTERM or Ctrl-C. Env: DATABASE_URL (else an embedded
 * server), SHUTDOWN_DEADLINE_MS (default 10000), PORT (default: a free one).
 */
import type { Server } from 'node:http';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import Fastify from 'fastify';
import { createEngine, type Engine } from 'pgsa';

/** How the shutdown ended. */
export type ShutdownOutcome = 'closed' | 'terminated';

/**
 * Stops `server` accepting connections, then closes `engine`, waiting at most `deadlineMs` for
 * the connections in use to be released before terminating them.
 */
export async function shutdownGracefully(
  server: Server,
  engine: Pick<Engine, 'close' | 'waitClosed' | 'terminate'>,
  { deadlineMs, log = () => {} }: { deadlineMs: number; log?: (line: string) => void },
): Promise<ShutdownOutcome> {
  const deadline = performance.now() + deadlineMs;
  // 1. Stop accepting: the listener closes; idle keep-alive sockets are closed so clients
  //    reconnect elsewhere; requests in flight go on.
  const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  log('shutdown: stopped accepting requests');
  // 2. No new acquires; the free connections close now, the ones in use when released.
  await engine.close();
  // 3. Wait for the requests in flight, within the deadline.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<'expired'>((resolve) => {
    timer = setTimeout(() => resolve('expired'), Math.max(0, deadline - performance.now()));
  });
  try {
    const outcome = await Promise.race([engine.waitClosed().then(() => 'closed' as const), expired]);
    if (outcome === 'closed') {
      log('shutdown: every connection released and closed');
      await Promise.race([serverClosed, expired]);
      return 'closed';
    }
  } finally {
    clearTimeout(timer);
  }
  // 4. The deadline passed: close every connection now.
  log(`shutdown: deadline of ${deadlineMs} ms passed, terminating the connections still in use`);
  await engine.terminate();
  server.closeAllConnections();
  return 'terminated';
}

// `DATABASE_URL=… tsx examples/graceful-shutdown.ts` (or `npm run demo:shutdown`, which starts a
// server when DATABASE_URL is unset): a small service that shuts down on SIGTERM / SIGINT.
if (process.argv.slice(1).some((arg) => pathToFileURL(resolve(arg)).href === import.meta.url)) {
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) throw new Error('set DATABASE_URL (test/support/run-example.ts starts a server for you when it is not set)');
  const engine = await createEngine({ connectionString: databaseUrl, applicationName: 'pgsa-shutdown-demo' });
  const app = Fastify();
  app.get<{ Querystring: { ms?: string } }>('/sleep', async (request) => {
    const ms = Number(request.query.ms ?? 100);
    return engine.transaction(async (conn) => {
      await conn.execute('select pg_sleep($1::float8 / 1000)', [ms]);
      return { slept: ms };
    });
  });
  const url = await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) });
  console.log(`listening ${url}`);
  const deadlineMs = Number(process.env.SHUTDOWN_DEADLINE_MS ?? 10_000);
  const stop = async (signal: string) => {
    console.log(`shutdown: ${signal} received`);
    const outcome = await shutdownGracefully(app.server, engine, { deadlineMs, log: console.log });
    await app.close();
    console.log(`shutdown: ${outcome}`);
    process.exit(0);
  };
  process.once('SIGTERM', (signal) => void stop(signal));
  process.once('SIGINT', (signal) => void stop(signal));
}
