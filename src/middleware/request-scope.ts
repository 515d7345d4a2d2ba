import { InterfaceError } from '../errors/pgsa-error.js';
import {
  type BeforeCommitHook,
  currentContext,
  hasActiveContext,
  runInContext,
  SessionContext,
} from '../session/session-context.js';

/**
 * Which response statuses roll the request's sessions back: a number `n` means "status >= n",
 * a list names the statuses, a function decides. Default `400` (context-async-sqlalchemy's
 * behaviour); `500` commits client errors such as 404 or 409.
 */
export type RollbackOn = number | readonly number[] | ((status: number) => boolean);

/** Options shared by the Fastify plugin, the Express middleware and the Hono middleware. */
export interface DbSessionMiddlewareOptions {
  /** Statuses that roll back instead of committing; default `400` (every status >= 400). */
  readonly rollbackOn?: RollbackOn | undefined;
  /**
   * Runs before each session with an open transaction is committed (e.g. to write an audit
   * row); when it throws, every session is rolled back and the response becomes a 500.
   */
  readonly beforeCommit?: BeforeCommitHook | undefined;
  /**
   * Read-only requests: `true` for every request this middleware sees (mount it on the
   * read-only routes), or a function of the request's method and path. In such a request
   * `dbSession(engine)` gives the read-only session — on `engine.readonly` (a replica when one
   * is usable), its transactions `READ ONLY` —; `dbSession(engine, { readOnly: false })` still
   * gives the read-write one. Used on a route behind an app-wide instance of the middleware,
   * it marks that request's context read-only. Default: none.
   */
  readonly readOnly?: boolean | ((request: RequestRoute) => boolean) | undefined;
}

/** What the `readOnly` option's function sees of a request. */
export interface RequestRoute {
  /** `GET`, `POST` … */
  readonly method: string;
  /** The path, without the query string. */
  readonly path: string;
}

const KNOWN_OPTIONS: ReadonlySet<string> = new Set(['rollbackOn', 'beforeCommit', 'readOnly']);

/**
 * Turns `rollbackOn` into a predicate over response statuses.
 *
 * @throws InterfaceError for a value that is not a status, a list of statuses or a function.
 * @internal
 */
export function rollbackPredicate(rollbackOn: RollbackOn = 400): (status: number) => boolean {
  if (typeof rollbackOn === 'function') return rollbackOn;
  if (typeof rollbackOn === 'number') {
    if (!isStatus(rollbackOn)) throw invalidRollbackOn(rollbackOn);
    return (status) => status >= rollbackOn;
  }
  if (Array.isArray(rollbackOn) && rollbackOn.every(isStatus)) {
    const statuses = new Set<number>(rollbackOn);
    return (status) => statuses.has(status);
  }
  throw invalidRollbackOn(rollbackOn);
}

/** Validates the middleware options and freezes a copy. @internal */
export function resolveMiddlewareOptions(
  options: DbSessionMiddlewareOptions = {},
): ResolvedMiddlewareOptions {
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key)) {
      throw new InterfaceError(`unknown session middleware option ${JSON.stringify(key)}`);
    }
  }
  if (options.beforeCommit !== undefined && typeof options.beforeCommit !== 'function') {
    throw new InterfaceError('session middleware option beforeCommit must be a function');
  }
  const readOnly = options.readOnly ?? false;
  if (typeof readOnly !== 'boolean' && typeof readOnly !== 'function') {
    throw new InterfaceError('session middleware option readOnly must be a boolean or a function');
  }
  return Object.freeze({
    shouldRollBack: rollbackPredicate(options.rollbackOn),
    beforeCommit: options.beforeCommit,
    readOnly: typeof readOnly === 'boolean' ? () => readOnly : readOnly,
  });
}

/** Not part of the public API: kept in the declarations because public ones refer to it. */
export interface ResolvedMiddlewareOptions {
  readonly shouldRollBack: (status: number) => boolean;
  readonly beforeCommit: BeforeCommitHook | undefined;
  readonly readOnly: (request: RequestRoute) => boolean;
}

/**
 * One request's session context: opened when the request arrives, finished once — committed
 * or rolled back by the response status and whether the handler threw — and always closed.
 *
 * @internal
 */
export class RequestScope {
  readonly #context = new SessionContext();
  readonly #options: ResolvedMiddlewareOptions;
  #failed = false;
  #finishing: Promise<void> | undefined;

  private constructor(options: ResolvedMiddlewareOptions) {
    this.#options = options;
  }

  /**
   * A scope for a new request, or undefined when the caller already runs in a context (which
   * is then marked read-only when `options.readOnly` says so for `request`). `routeReadOnly`,
   * a route's own setting, overrides `options.readOnly`.
   */
  static open(
    options: ResolvedMiddlewareOptions,
    request?: RequestRoute,
    routeReadOnly?: boolean,
  ): RequestScope | undefined {
    const readOnly = routeReadOnly ?? (request !== undefined && options.readOnly(request));
    if (hasActiveContext()) {
      if (readOnly) currentContext()?.preferReadOnly();
      return undefined;
    }
    const scope = new RequestScope(options);
    if (readOnly) scope.#context.preferReadOnly();
    return scope;
  }

  /** True once `finish()` or `abort()` was called. */
  get finished(): boolean {
    return this.#finishing !== undefined;
  }

  /** Runs `fn` (and its child tasks) in the request's context. */
  run<T>(fn: () => T): T {
    return runInContext(this.#context, fn);
  }

  /** The handler threw: roll back whatever the status. */
  markFailed(): void {
    this.#failed = true;
  }

  /**
   * Commits (status not in the rollback set and no error) or rolls back, then releases. Runs
   * once; later calls return the first call's promise.
   *
   * @throws the commit's error; the sessions are then rolled back and closed.
   */
  finish(status: number): Promise<void> {
    if (this.#finishing === undefined) {
      const rollBack = this.#failed || this.#options.shouldRollBack(status);
      this.#finishing = this.#context.finish(
        rollBack ? 'rollback' : 'commit',
        this.#options.beforeCommit,
      );
    }
    return this.#finishing;
  }

  /** The response ended without `finish()` (client gone): roll back and release. */
  abort(): Promise<void> {
    this.#finishing ??= this.#context.finish('rollback');
    return this.#finishing.catch(() => {});
  }
}

function isStatus(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 100 && value <= 999;
}

function invalidRollbackOn(value: unknown): InterfaceError {
  return new InterfaceError(
    `invalid rollbackOn ${JSON.stringify(value)}: use a status (rolls back status >= it), ` +
      'a list of statuses or a function of the status',
  );
}
