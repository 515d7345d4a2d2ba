import {
  CheckViolationError,
  DatabaseError,
  DataError,
  DeadlockDetectedError,
  ExclusionViolationError,
  ForeignKeyViolationError,
  IntegrityError,
  InternalError,
  NotNullViolationError,
  NotSupportedError,
  OperationalError,
  ProgrammingError,
  QueryCanceledError,
  SerializationFailureError,
  type ServerErrorFields,
  TransactionRollbackError,
  UniqueViolationError,
} from './database-error.js';
import { ReadOnlySqlTransactionError } from './replica-errors.js';

/** A constructor of some `DatabaseError` class. */
export type DatabaseErrorClass = new (
  message: string,
  fields?: ServerErrorFields,
  options?: { cause?: unknown },
) => DatabaseError;

/** Exact SQLSTATE codes with a class of their own. */
const BY_CODE: Readonly<Record<string, DatabaseErrorClass>> = {
  // protocol_violation: in practice a client bug such as a wrong parameter count.
  '08P01': ProgrammingError,
  '23502': NotNullViolationError,
  '23503': ForeignKeyViolationError,
  '23505': UniqueViolationError,
  '23514': CheckViolationError,
  '23P01': ExclusionViolationError,
  // A write on a hot standby or in a READ ONLY transaction (read replicas, issue 15).
  '25006': ReadOnlySqlTransactionError,
  '40001': SerializationFailureError,
  '40P01': DeadlockDetectedError,
  '57014': QueryCanceledError,
};

/** Fallback by the two-character SQLSTATE class (the DBAPI mapping psycopg uses). */
const BY_CLASS: Readonly<Record<string, DatabaseErrorClass>> = {
  '08': OperationalError,
  '0A': NotSupportedError,
  '20': ProgrammingError,
  '21': ProgrammingError,
  '22': DataError,
  '23': IntegrityError,
  '24': InternalError,
  '25': InternalError,
  // invalid_sql_statement_name / invalid_cursor_name: psycopg maps both to OperationalError.
  '26': OperationalError,
  '27': OperationalError,
  '28': OperationalError,
  '2B': InternalError,
  '2D': InternalError,
  '2F': InternalError,
  '34': OperationalError,
  '38': InternalError,
  '39': InternalError,
  '3B': InternalError,
  '3D': ProgrammingError,
  '3F': ProgrammingError,
  '40': TransactionRollbackError,
  '42': ProgrammingError,
  '44': ProgrammingError,
  '53': OperationalError,
  '54': OperationalError,
  '55': OperationalError,
  '57': OperationalError,
  '58': OperationalError,
  F0: InternalError,
  HV: OperationalError,
  P0: InternalError,
  XX: InternalError,
};

/**
 * The pgsa error class for a SQLSTATE: the exact code first, then its two-character class,
 * then `DatabaseError`.
 *
 * @example
 * ```ts
 * errorClassForSqlstate('23505') // UniqueViolationError
 * errorClassForSqlstate('42P01') // ProgrammingError (undefined_table, by class 42)
 * ```
 */
export function errorClassForSqlstate(sqlstate: string | undefined): DatabaseErrorClass {
  if (!sqlstate) return DatabaseError;
  return BY_CODE[sqlstate] ?? BY_CLASS[sqlstate.slice(0, 2)] ?? DatabaseError;
}
