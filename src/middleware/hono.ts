/**
 * pgsa/hono: a Hono middleware giving each request its own session context.
 *
 * @packageDocumentation
 */
import type { MiddlewareHandler } from 'hono';
import {
  type DbSessionMiddlewareOptions,
  RequestScope,
  resolveMiddlewareOptions,
} from './request-scope.js';

export type { DbSessionMiddlewareOptions, RequestRoute, RollbackOn } from './request-scope.js';

/**
 * A Hono middleware that opens a session context per request, so `dbSession(engine)` works in
 * the handlers after it. When the handler chain returned — before Hono hands the response to
 * the server — it commits every session if the handler did not throw and the status is
 * outside `rollbackOn`, or rolls back. A failed commit (e.g. a deferred constraint) is thrown
 * to Hono's `onError`, so the client gets a 500 instead of a success for lost data. The
 * connections are always released. Requests already inside a context are left alone.
 *
 * @throws InterfaceError at creation for invalid options.
 * @example
 * ```ts
 * const app = new Hono();
 * app.use(dbSessionMiddleware());
 * app.post('/users', async (c) => {
 *   const session = await dbSession(engine);
 *   await session.db.insertInto('users').values({ name: 'ann' }).execute();
 *   return c.json({ ok: true }, 201); // committed before this is sent
 * });
 * ```
 */
export function dbSessionMiddleware(options: DbSessionMiddlewareOptions = {}): MiddlewareHandler {
  const settings = resolveMiddlewareOptions(options);
  return async (c, next) => {
    const scope = RequestScope.open(settings, { method: c.req.method, path: c.req.path });
    if (scope === undefined) return next();
    // The client went away: no answer will be delivered, so roll back and release now, as the
    // other adapters do. (Reading the signal early also makes @hono/node-server wire it up.)
    const signal = c.req.raw.signal;
    const onAbort = () => void scope.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      await scope.run(async () => {
        try {
          await next();
        } catch (error) {
          scope.markFailed();
          throw error;
        }
        // Hono's compose catches handler errors, answers through onError and records c.error.
        if (c.error !== undefined) scope.markFailed();
        await scope.finish(c.res.status);
      });
    } finally {
      signal.removeEventListener('abort', onAbort);
      await scope.abort();
    }
  };
}
