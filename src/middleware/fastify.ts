/**
 * pgsa/fastify: a Fastify plugin giving each request its own session context.
 *
 * @packageDocumentation
 */
import type { FastifyInstance, FastifyPluginCallback, FastifyRequest } from 'fastify';
import {
  type DbSessionMiddlewareOptions,
  RequestScope,
  resolveMiddlewareOptions,
} from './request-scope.js';

export type { DbSessionMiddlewareOptions, RequestRoute, RollbackOn } from './request-scope.js';

const scopes = new WeakMap<FastifyRequest, RequestScope>();

/**
 * A Fastify plugin that opens a session context per request, so `dbSession(engine)` works in
 * handlers and hooks. In the `onSend` hook — before the response is written — it commits every
 * session when the handler succeeded with a status outside `rollbackOn`, or rolls back when the
 * handler threw or the status is in it. A failed commit (e.g. a deferred constraint) goes to
 * Fastify's error handler, so the client gets a 500 instead of a success for lost data. The
 * connections are always released, also when the client disconnects. Requests that already
 * run inside a context (a test wrapping `app.inject`) are left alone.
 *
 * Registered at the root (it is not encapsulated), it applies to every route. A route is made
 * read-only (see the `readOnly` option) by its own `config: { dbSession: { readOnly: true } }`.
 *
 * @throws InterfaceError at registration for invalid options.
 * @example
 * ```ts
 * import Fastify from 'fastify';
 * import { dbSession } from 'pgsa';
 * import { dbSessionPlugin } from 'pgsa/fastify';
 *
 * const app = Fastify();
 * await app.register(dbSessionPlugin, { rollbackOn: 500 });
 * app.post('/users', async (request, reply) => {
 *   const session = await dbSession(engine);
 *   await session.db.insertInto('users').values({ name: 'ann' }).execute();
 *   return reply.code(201).send({ ok: true }); // committed before this is sent
 * });
 * ```
 */
export const dbSessionPlugin: FastifyPluginCallback<DbSessionMiddlewareOptions> =
  Object.assign(
    (app: FastifyInstance, options: DbSessionMiddlewareOptions, done: (error?: Error) => void) => {
      let resolved;
      try {
        resolved = resolveMiddlewareOptions(pluginOptions(options));
      } catch (error) {
        done(error as Error);
        return;
      }
      const settings = resolved;
      app.addHook('onRequest', (request, reply, next) => {
        const scope = RequestScope.open(settings, {
          method: request.method,
          path: request.url.split('?')[0] ?? '/',
        }, routeReadOnly(request));
        if (scope === undefined) return next();
        scopes.set(request, scope);
        // 'close' fires after the response is written or when the client goes away.
        reply.raw.once('close', () => void scope.abort());
        scope.run(next);
      });
      // Body parsing resumes from socket events, outside the context: enter it again.
      app.addHook('preValidation', (request, _reply, next) => {
        const scope = scopes.get(request);
        if (scope === undefined) return next();
        scope.run(next);
      });
      app.addHook('onError', async (request) => {
        scopes.get(request)?.markFailed();
      });
      app.addHook('onSend', async (request, reply, payload) => {
        const scope = scopes.get(request);
        if (scope !== undefined && !scope.finished) await scope.finish(reply.statusCode);
        return payload;
      });
      done();
    },
    {
      // What fastify-plugin sets: hooks apply outside the plugin's encapsulation context.
      [Symbol.for('skip-override')]: true,
      [Symbol.for('fastify.display-name')]: 'pgsa-db-session',
    },
  );

/** Fastify adds its own keys (e.g. `prefix`) to plugin options: keep only ours. */
function pluginOptions(options: DbSessionMiddlewareOptions): DbSessionMiddlewareOptions {
  const { rollbackOn, beforeCommit, readOnly } = options;
  return {
    ...(rollbackOn !== undefined ? { rollbackOn } : {}),
    ...(beforeCommit !== undefined ? { beforeCommit } : {}),
    ...(readOnly !== undefined ? { readOnly } : {}),
  };
}

/** A route's own `config: { dbSession: { readOnly } }`, when it has one. */
function routeReadOnly(request: FastifyRequest): boolean | undefined {
  const config = request.routeOptions?.config as { dbSession?: { readOnly?: unknown } } | undefined;
  const readOnly = config?.dbSession?.readOnly;
  return typeof readOnly === 'boolean' ? readOnly : undefined;
}
