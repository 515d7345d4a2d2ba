/**
 * pgsa: aiopg.sa for TypeScript. A PostgreSQL data-access layer where an `Engine` wraps a
 * node-postgres pool plus a Kysely dialect, and `SAConnection` / `ResultProxy` / `RowProxy`
 * execute Kysely-built or raw queries.
 *
 * @packageDocumentation
 */
export {
  type Executable,
  type RowOf,
  SAConnection,
} from './connection/sa-connection.js';
export { PgsaDialect } from './dialect/pgsa-dialect.js';
export { createEngine } from './engine/create-engine.js';
export { Engine, type EngineStats } from './engine/engine.js';
export type { EchoEvent, EngineOptions, PgsaLogger } from './engine/engine-options.js';
export {
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
  PoolTimeoutError,
  ProgrammingError,
  QueryCanceledError,
  SerializationFailureError,
  type ServerErrorFields,
  TransactionRollbackError,
  UniqueViolationError,
} from './errors/database-error.js';
export {
  AmbiguousColumnError,
  InterfaceError,
  PgsaError,
  ResourceClosedError,
} from './errors/pgsa-error.js';
export { StaleStatementError } from './errors/stale-statement-error.js';
export { errorClassForSqlstate } from './errors/sqlstate-map.js';
export { ResultProxy } from './result/result-proxy.js';
export type { RowMethods, RowProxy } from './result/row-shape.js';
