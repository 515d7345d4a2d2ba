import { describe, expect, it } from 'vitest';
import {
  AmbiguousColumnError,
  CheckViolationError,
  DatabaseError,
  DataError,
  DeadlockDetectedError,
  ExclusionViolationError,
  ForeignKeyViolationError,
  IntegrityError,
  InterfaceError,
  InternalError,
  NotNullViolationError,
  NotSupportedError,
  OperationalError,
  PgsaError,
  PoolTimeoutError,
  ProgrammingError,
  QueryCanceledError,
  ResourceClosedError,
  SerializationFailureError,
  TransactionRollbackError,
  UniqueViolationError,
  errorClassForSqlstate,
} from '../../src/index.js';
import { isConnectionFatal, mask, translateError } from '../../src/errors/translate-error.js';

describe('errorClassForSqlstate', () => {
  it.each([
    ['23505', UniqueViolationError],
    ['23503', ForeignKeyViolationError],
    ['23502', NotNullViolationError],
    ['23514', CheckViolationError],
    ['23P01', ExclusionViolationError],
    ['40001', SerializationFailureError],
    ['40P01', DeadlockDetectedError],
    ['57014', QueryCanceledError],
    ['08P01', ProgrammingError],
  ])('maps the exact code %s to its own class', (code, expected) => {
    expect(errorClassForSqlstate(code)).toBe(expected);
  });

  it.each([
    ['23001', IntegrityError], // restrict_violation
    ['40002', TransactionRollbackError], // transaction_integrity_constraint_violation
    ['08006', OperationalError], // connection_failure
    ['57P01', OperationalError], // admin_shutdown (pg_terminate_backend)
    ['53300', OperationalError], // too_many_connections
    ['42P01', ProgrammingError], // undefined_table
    ['42501', ProgrammingError], // insufficient_privilege
    ['22003', DataError], // numeric_value_out_of_range
    ['0A000', NotSupportedError],
    ['25P02', InternalError], // in_failed_sql_transaction
    ['XX000', InternalError],
    ['P0001', InternalError], // raise_exception
    ['28P01', OperationalError], // invalid_password
    ['34000', OperationalError], // invalid_cursor_name
  ])('falls back on the two-character class for %s', (code, expected) => {
    expect(errorClassForSqlstate(code)).toBe(expected);
  });

  it('gives DatabaseError for an unknown class or no code', () => {
    expect(errorClassForSqlstate('ZZ999')).toBe(DatabaseError);
    expect(errorClassForSqlstate(undefined)).toBe(DatabaseError);
  });
});

describe('the hierarchy', () => {
  it('follows API.md: misuse under InterfaceError, server errors under DatabaseError', () => {
    expect(new ResourceClosedError('x')).toBeInstanceOf(InterfaceError);
    expect(new AmbiguousColumnError('id')).toBeInstanceOf(InterfaceError);
    expect(new InterfaceError('x')).toBeInstanceOf(PgsaError);
    expect(new QueryCanceledError('x')).toBeInstanceOf(OperationalError);
    expect(new PoolTimeoutError('x')).toBeInstanceOf(OperationalError);
    expect(new SerializationFailureError('x')).toBeInstanceOf(TransactionRollbackError);
    expect(new UniqueViolationError('x')).toBeInstanceOf(IntegrityError);
    expect(new OperationalError('x')).toBeInstanceOf(DatabaseError);
    expect(new DatabaseError('x')).toBeInstanceOf(PgsaError);
    expect(new DatabaseError('x')).not.toBeInstanceOf(InterfaceError);
  });

  it('names each error after its class', () => {
    expect(new UniqueViolationError('x').name).toBe('UniqueViolationError');
    expect(new AmbiguousColumnError('id')).toMatchObject({
      name: 'AmbiguousColumnError',
      column: 'id',
    });
  });
});

describe('translateError', () => {
  it('turns a node-postgres server error into its class with every field and the cause', () => {
    const pgError = Object.assign(new Error('duplicate key value violates unique constraint "k"'), {
      code: '23505',
      severity: 'ERROR',
      detail: 'Key (a)=(1) already exists.',
      hint: 'a hint',
      position: '7',
      schema: 'public',
      table: 't',
      column: 'a',
      dataType: 'integer',
      constraint: 'k',
    });
    const translated = translateError(pgError) as UniqueViolationError;
    expect(translated).toBeInstanceOf(UniqueViolationError);
    expect(translated).toMatchObject({
      message: 'duplicate key value violates unique constraint "k"',
      sqlstate: '23505',
      severity: 'ERROR',
      detail: 'Key (a)=(1) already exists.',
      hint: 'a hint',
      position: 7,
      schema: 'public',
      table: 't',
      column: 'a',
      dataType: 'integer',
      constraint: 'k',
    });
    expect(translated.cause).toBe(pgError);
  });

  it('turns a lost connection into an OperationalError', () => {
    const lost = new Error('Connection terminated unexpectedly');
    const translated = translateError(lost) as OperationalError;
    expect(translated).toBeInstanceOf(OperationalError);
    expect(translated.message).toBe('Connection terminated unexpectedly');
    expect(translated.cause).toBe(lost);
  });

  it('masks the password in the message', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED s3cret'), { code: 'ECONNREFUSED' });
    const translated = translateError(refused, 's3cret') as Error;
    expect(translated.message).toBe('connect ECONNREFUSED ***');
    expect(mask('a s3cret b s3cret', 's3cret')).toBe('a *** b ***');
  });

  it('passes pgsa errors and unrelated errors through unchanged', () => {
    const own = new InterfaceError('x');
    const other = new RangeError('not a pg error');
    expect(translateError(own)).toBe(own);
    expect(translateError(other)).toBe(other);
  });

  it('turns a TypeError (a parameter node-postgres cannot serialize) into a ProgrammingError', () => {
    const serialization = new TypeError('Converting circular structure to JSON');
    const translated = translateError(serialization) as ProgrammingError;
    expect(translated).toBeInstanceOf(ProgrammingError);
    expect(translated.message).toBe('cannot send a parameter: Converting circular structure to JSON');
    expect(translated.cause).toBe(serialization);
  });
});

describe('isConnectionFatal', () => {
  const serverError = (severity: string) =>
    Object.assign(new Error('terminating connection due to administrator command'), {
      code: '57P01',
      severity,
    });

  it('is true for FATAL and PANIC server errors and for dropped sockets', () => {
    expect(isConnectionFatal(serverError('FATAL'))).toBe(true);
    expect(isConnectionFatal(serverError('PANIC'))).toBe(true);
    expect(isConnectionFatal(new Error('Connection terminated unexpectedly'))).toBe(true);
  });

  it('is false for ordinary statement errors', () => {
    expect(isConnectionFatal(serverError('ERROR'))).toBe(false);
    expect(isConnectionFatal(new TypeError('bad parameter'))).toBe(false);
  });
});
