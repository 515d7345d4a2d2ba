/** Fields the server sends with an error (see PostgreSQL's "Error Message Fields"). */
export interface ServerErrorFields {
  /** Five-character SQLSTATE code, e.g. `23505`. */
  readonly sqlstate?: string | undefined;
  /**
   * node-postgres' `code`: the SQLSTATE of a server error; for a connection lost on a socket
   * error, Node's code of that error (`ECONNRESET`, `EPIPE` …). Defaults to `sqlstate`.
   */
  readonly code?: string | undefined;
  /** `ERROR`, `FATAL` or `PANIC` (a notice's severity for warnings); not translated. */
  readonly severity?: string | undefined;
  /** A secondary message with more detail, e.g. the key that violated a unique constraint. */
  readonly detail?: string | undefined;
  /** A suggestion of what to do about it, when the server has one. */
  readonly hint?: string | undefined;
  /** 1-based character offset of the error in the statement text. */
  readonly position?: number | undefined;
  /** Where it happened: the call stack of PL/pgSQL functions or the SQL statement context. */
  readonly where?: string | undefined;
  /** The schema of the object the error is about (constraint violations and the like). */
  readonly schema?: string | undefined;
  /** The table the error is about. */
  readonly table?: string | undefined;
  /** The column the error is about. */
  readonly column?: string | undefined;
  /** The data type the error is about (a domain check, say). */
  readonly dataType?: string | undefined;
  /** The name of the violated constraint. */
  readonly constraint?: string | undefined;
  /** Offset of the error in `internalQuery` (an internally generated statement). */
  readonly internalPosition?: number | undefined;
  /** The internally generated statement that failed (e.g. inside a PL/pgSQL function). */
  readonly internalQuery?: string | undefined;
  /** The server source file that reported the error. */
  readonly file?: string | undefined;
  /** The line in the server source file that reported the error. */
  readonly line?: string | undefined;
  /** The server source routine that reported the error. */
  readonly routine?: string | undefined;
}

import { PgsaError } from './pgsa-error.js';

/**
 * An error reported by (or about) the database. Server errors carry the server's fields;
 * the original node-postgres error is `cause`.
 *
 * The fields have the names node-postgres' `DatabaseError` gives them, so code written for pg
 * or for Kysely's stock dialect (`err.code === '23505'`) works unchanged: `code` is the
 * SQLSTATE (the same as `sqlstate`). Two differences: `position` and `internalPosition` are
 * numbers (pg: strings), and an `OperationalError` for a lost connection has `sqlstate`
 * `undefined` and, as pg's socket errors do, Node's code of the socket error in `code`
 * (`ECONNRESET`, `EPIPE` …; `undefined` when pg reported the loss without one). Errors
 * pgsa raises itself (`PoolTimeoutError`, `InterfaceError`s) have no `code`.
 *
 * @example
 * ```ts
 * try {
 *   await engine.db.insertInto('users').values({ id: 1, name: 'ann' }).execute();
 * } catch (e) {
 *   if (e instanceof UniqueViolationError) console.log(e.code, e.constraint); // '23505' 'users_pkey'
 * }
 * ```
 */
export class DatabaseError extends PgsaError implements ServerErrorFields {
  /** {@inheritDoc ServerErrorFields.sqlstate} */
  readonly sqlstate: string | undefined;
  /** The SQLSTATE (node-postgres' name for it); see the class comment for lost connections. */
  readonly code: string | undefined;
  /** {@inheritDoc ServerErrorFields.severity} */
  readonly severity: string | undefined;
  /** {@inheritDoc ServerErrorFields.detail} */
  readonly detail: string | undefined;
  /** {@inheritDoc ServerErrorFields.hint} */
  readonly hint: string | undefined;
  /** {@inheritDoc ServerErrorFields.position} */
  readonly position: number | undefined;
  /** {@inheritDoc ServerErrorFields.where} */
  readonly where: string | undefined;
  /** {@inheritDoc ServerErrorFields.schema} */
  readonly schema: string | undefined;
  /** {@inheritDoc ServerErrorFields.table} */
  readonly table: string | undefined;
  /** {@inheritDoc ServerErrorFields.column} */
  readonly column: string | undefined;
  /** {@inheritDoc ServerErrorFields.dataType} */
  readonly dataType: string | undefined;
  /** {@inheritDoc ServerErrorFields.constraint} */
  readonly constraint: string | undefined;
  /** {@inheritDoc ServerErrorFields.internalPosition} */
  readonly internalPosition: number | undefined;
  /** {@inheritDoc ServerErrorFields.internalQuery} */
  readonly internalQuery: string | undefined;
  /** {@inheritDoc ServerErrorFields.file} */
  readonly file: string | undefined;
  /** {@inheritDoc ServerErrorFields.line} */
  readonly line: string | undefined;
  /** {@inheritDoc ServerErrorFields.routine} */
  readonly routine: string | undefined;

  constructor(message: string, fields: ServerErrorFields = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.sqlstate = fields.sqlstate;
    this.code = fields.code ?? fields.sqlstate;
    this.severity = fields.severity;
    this.detail = fields.detail;
    this.hint = fields.hint;
    this.position = fields.position;
    this.where = fields.where;
    this.schema = fields.schema;
    this.table = fields.table;
    this.column = fields.column;
    this.dataType = fields.dataType;
    this.constraint = fields.constraint;
    this.internalPosition = fields.internalPosition;
    this.internalQuery = fields.internalQuery;
    this.file = fields.file;
    this.line = fields.line;
    this.routine = fields.routine;
  }
}

/** Not the programmer's fault: lost connection, unreachable server, timeouts, resources. */
export class OperationalError extends DatabaseError {}
/** `acquire()` waited longer than `acquireTimeoutMs` for a free connection. */
export class PoolTimeoutError extends OperationalError {}
/** The statement was cancelled: `cancel()`, `statementTimeoutMs` or `statement_timeout` (57014). */
export class QueryCanceledError extends OperationalError {}
/** A constraint was violated (SQLSTATE class 23). */
export class IntegrityError extends DatabaseError {}
export class UniqueViolationError extends IntegrityError {}
export class ForeignKeyViolationError extends IntegrityError {}
export class NotNullViolationError extends IntegrityError {}
export class CheckViolationError extends IntegrityError {}
export class ExclusionViolationError extends IntegrityError {}
/** Bad data: division by zero, invalid input syntax, value out of range (class 22). */
export class DataError extends DatabaseError {}
/** Bad SQL: syntax errors, unknown tables or columns, wrong parameter counts (class 42 …). */
export class ProgrammingError extends DatabaseError {}
/** The transaction was rolled back by the server (class 40); usually worth retrying. */
export class TransactionRollbackError extends DatabaseError {}
/** 40001: could not serialize access; re-run the whole transaction. */
export class SerializationFailureError extends TransactionRollbackError {}
/** 40P01: deadlock detected; re-run the whole transaction. */
export class DeadlockDetectedError extends TransactionRollbackError {}
/** The server's internal state is inconsistent (classes XX, 25, 2D …). */
export class InternalError extends DatabaseError {}
/** A feature the server or pgsa does not support (class 0A). */
export class NotSupportedError extends DatabaseError {}
