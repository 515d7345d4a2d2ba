import { OperationalError, ProgrammingError, type ServerErrorFields } from './database-error.js';
import { PgsaError } from './pgsa-error.js';
import { errorClassForSqlstate } from './sqlstate-map.js';

/** The shape of node-postgres' server error (`pg-protocol`'s DatabaseError). */
interface PgServerError extends Error {
  code: string;
  severity?: string | undefined;
  detail?: string | undefined;
  hint?: string | undefined;
  position?: string | undefined;
  where?: string | undefined;
  schema?: string | undefined;
  table?: string | undefined;
  column?: string | undefined;
  dataType?: string | undefined;
  constraint?: string | undefined;
  internalPosition?: string | undefined;
  internalQuery?: string | undefined;
  file?: string | undefined;
  line?: string | undefined;
  routine?: string | undefined;
}

function isPgServerError(error: unknown): error is PgServerError {
  return (
    error instanceof Error &&
    typeof (error as Partial<PgServerError>).code === 'string' &&
    (error as Partial<PgServerError>).code?.length === 5 &&
    'severity' in error
  );
}

/** Node's codes for a socket or a name lookup that failed: the connection is gone or never was. */
const SOCKET_FAILURE_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
]);

/**
 * node-postgres' own errors for a connection that failed. pg gives them no code, so the message
 * is the only signal; these are fixed English literals in pg's source (not server text, which
 * `lc_messages` translates), and test/errors/connection-failure.test.ts provokes each one
 * against the pinned pg version.
 */
const PG_CONNECTION_FAILURES: ReadonlySet<string> = new Set([
  'Connection terminated',
  'Connection terminated unexpectedly',
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
  'timeout expired',
  'Query read timeout',
]);

/**
 * Converts whatever node-postgres threw into a pgsa error: server errors by SQLSTATE, lost or
 * failed connections as `OperationalError`, a `TypeError` raised while node-postgres serialized
 * the parameters (a circular object …) as `ProgrammingError` (psycopg's "cannot adapt"). pgsa
 * errors pass through; anything else is returned unchanged.
 *
 * @param secret text that must never appear in a message (the password); it is masked.
 */
export function translateError(error: unknown, secret?: string): unknown {
  if (error instanceof PgsaError) return error;
  if (isPgServerError(error)) {
    const ErrorClass = isPoolerDisconnect(error) ? OperationalError : errorClassForSqlstate(error.code);
    return new ErrorClass(mask(error.message, secret), serverFields(error), { cause: error });
  }
  if (error instanceof Error && isConnectionFailure(error)) {
    const code = (error as { code?: unknown }).code;
    const fields = typeof code === 'string' ? { code } : {};
    return new OperationalError(mask(error.message, secret), fields, { cause: error });
  }
  if (error instanceof TypeError) {
    return new ProgrammingError(
      `cannot send a parameter: ${mask(error.message, secret)}`,
      {},
      { cause: error },
    );
  }
  return error;
}

/**
 * True when `error` says the connection to the server failed or was lost: a socket error (by
 * its code) or one of node-postgres' connection errors.
 */
export function isConnectionFailure(error: Error): boolean {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return SOCKET_FAILURE_CODES.has(code);
  return PG_CONNECTION_FAILURES.has(error.message);
}

/**
 * True when, after `error`, the connection is unusable: a FATAL or PANIC server error (the
 * server closes the session right after sending it, e.g. `pg_terminate_backend`) or a failed
 * socket. The socket may still look open for a moment, so such a connection must be discarded
 * rather than pooled.
 */
export function isConnectionFatal(error: unknown): boolean {
  if (isPgServerError(error)) {
    return error.severity === 'FATAL' || error.severity === 'PANIC' || isPoolerDisconnect(error);
  }
  return error instanceof Error && isConnectionFailure(error);
}

/**
 * True for a connection-class error (08…) sent by a pooler rather than by PostgreSQL: PgBouncer
 * reports every reason it closes a client connection ("server conn crashed?",
 * "query_wait_timeout", "client_idle_timeout" …) as 08P01 with severity ERROR and then hangs
 * up. PostgreSQL's own errors always name the source file and routine that raised them;
 * PgBouncer's never do.
 */
function isPoolerDisconnect(error: PgServerError): boolean {
  return error.code.startsWith('08') && error.file === undefined && error.routine === undefined;
}

function serverFields(error: PgServerError): ServerErrorFields {
  return {
    sqlstate: error.code,
    severity: error.severity,
    detail: error.detail,
    hint: error.hint,
    position: error.position === undefined ? undefined : Number(error.position),
    where: error.where,
    schema: error.schema,
    table: error.table,
    column: error.column,
    dataType: error.dataType,
    constraint: error.constraint,
    internalPosition:
      error.internalPosition === undefined ? undefined : Number(error.internalPosition),
    internalQuery: error.internalQuery,
    file: error.file,
    line: error.line,
    routine: error.routine,
  };
}

/** Replaces every occurrence of `secret` in `text`. */
export function mask(text: string, secret: string | undefined): string {
  if (!secret) return text;
  return text.split(secret).join('***');
}
