/**
 * pgsa/express: an Express middleware giving each request its own session context.
 *
 * @packageDocumentation
 */
import type { ServerResponse } from 'node:http';
import type { ErrorRequestHandler, NextFunction, Request, RequestHandler } from 'express';
import {
  type DbSessionMiddlewareOptions,
  RequestScope,
  resolveMiddlewareOptions,
} from './request-scope.js';

export type { DbSessionMiddlewareOptions, RequestRoute, RollbackOn } from './request-scope.js';

const scopes = new WeakMap<Request, RequestScope>();

/** Headers describing a body that a failed commit replaces. */
const BODY_HEADERS = [
  'content-length',
  'content-type',
  'content-encoding',
  'content-language',
  'content-range',
  'etag',
  'last-modified',
];

/**
 * An Express middleware that opens a session context per request, so `dbSession(engine)`
 * works in the handlers after it. When the response starts (the first `writeHead`, `write` or
 * `end`, i.e. before anything is flushed) it commits every session if the status is outside
 * `rollbackOn`, or rolls back; the response waits for that. A failed commit (e.g. a deferred
 * constraint) is passed to Express's error handling as `next(error)` with status 500, so the
 * client never sees a success for lost data. The connections are always released, also when
 * the client disconnects. Requests already inside a context are left alone.
 *
 * A thrown error rolls back through the status Express's error handler answers with (500, or
 * the error's 4xx). To roll back on every thrown error whatever the status, also add
 * {@link dbSessionErrorHandler} after your routes.
 *
 * @throws InterfaceError at creation for invalid options.
 * @example
 * ```ts
 * const app = express();
 * app.use(dbSessionMiddleware());
 * app.post('/users', async (req, res) => {
 *   const session = await dbSession(engine);
 *   await session.db.insertInto('users').values({ name: 'ann' }).execute();
 *   res.status(201).json({ ok: true }); // committed before this is sent
 * });
 * app.use(dbSessionErrorHandler());
 * ```
 */
export function dbSessionMiddleware(options: DbSessionMiddlewareOptions = {}): RequestHandler {
  const settings = resolveMiddlewareOptions(options);
  return (req, res, next) => {
    const scope = RequestScope.open(settings, {
      method: req.method,
      path: (req.originalUrl ?? req.url).split('?')[0] ?? '/',
    });
    if (scope === undefined) return next();
    scopes.set(req, scope);
    gateResponse(res, scope, next);
    // 'close' fires after the response is written or when the client goes away.
    res.once('close', () => void scope.abort());
    scope.run(() => next());
  };
}

/**
 * An Express error middleware (add it after your routes) that marks the request as failed, so
 * its sessions roll back even when the error's status is outside `rollbackOn`, then passes the
 * error on unchanged.
 *
 * @example
 * ```ts
 * const app = express();
 * app.use(dbSessionErrorHandler());
 * app.use((err: HttpError, req: Request, res: Response, next: NextFunction) => {
 *   res.status(err.status ?? 500).json({ error: err.message });
 * });
 * ```
 */
export function dbSessionErrorHandler(): ErrorRequestHandler {
  return (error, req, _res, next) => {
    scopes.get(req)?.markFailed();
    next(error);
  };
}

type Method = 'writeHead' | 'write' | 'end' | 'flushHeaders';
const GATED: readonly Method[] = ['writeHead', 'write', 'end', 'flushHeaders'];

/**
 * Holds back the response's first output until the scope finished: replays it after a
 * commit, or replaces it by an error after a failed one.
 */
function gateResponse(res: ServerResponse, scope: RequestScope, next: NextFunction): void {
  const originals = new Map<Method, unknown>(GATED.map((name) => [name, res[name]]));
  const held: Array<[Method, unknown[]]> = [];
  const restore = () => {
    for (const [name, fn] of originals) Object.assign(res, { [name]: fn });
  };
  const replay = () => {
    for (const [name, args] of held.splice(0)) {
      (originals.get(name) as (...a: unknown[]) => unknown).apply(res, args);
    }
  };
  const start = () => {
    scope.finish(res.statusCode).then(
      () => {
        restore();
        replay();
      },
      (error: unknown) => {
        restore();
        held.length = 0;
        fail(res, error, next);
      },
    );
  };
  for (const name of GATED) {
    Object.assign(res, {
      [name](...args: unknown[]) {
        // writeHead(status) decides the outcome: apply the status now, the headers later.
        if (name === 'writeHead' && typeof args[0] === 'number') res.statusCode = args[0];
        held.push([name, args]);
        if (held.length === 1) start();
        return name === 'write' ? true : res;
      },
    });
  }
}

function fail(res: ServerResponse, error: unknown, next: NextFunction): void {
  if (res.headersSent) {
    res.destroy(error as Error);
    return;
  }
  for (const header of BODY_HEADERS) res.removeHeader(header);
  res.statusCode = 500;
  next(error);
}
