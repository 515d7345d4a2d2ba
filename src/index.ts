/**
 * pgsa: aiopg.sa for TypeScript. A PostgreSQL data-access layer where an `Engine` wraps a
 * node-postgres pool plus a Kysely dialect, and `SAConnection` / `ResultProxy` / `RowProxy`
 * execute Kysely-built or raw queries.
 *
 * @packageDocumentation
 */
export type { Executable, ResultRow, RowOf } from './connection/executable.js';
export { SAConnection } from './connection/sa-connection.js';
export type { ExecuteOptions, StreamOptions } from './connection/stream-options.js';
export type { CopyFromOptions, CopyToOptions } from './connection/bulk-writes.js';
export type { CopyData, CopyRecords } from './protocol/copy-in-query.js';
export { PgsaDialect } from './dialect/pgsa-dialect.js';
export { createEngine } from './engine/create-engine.js';
export { Engine, type EngineDescription, type EngineStats } from './engine/engine.js';
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
export { ResultProxy, type ScalarOf } from './result/result-proxy.js';
export {
  isRowProxy,
  type ReservedColumnName,
  type RowMethods,
  type RowProxy,
} from './result/row-shape.js';
export { RowStream } from './result/row-stream.js';
export { NestedTransaction } from './transaction/nested-transaction.js';
export {
  type BackoffOptions,
  type EngineTransactionOptions,
  isRetryableError,
} from './transaction/run-engine-transaction.js';
export type { TransactionCallback } from './transaction/run-in-transaction.js';
export { Transaction, type TransactionStatus } from './transaction/transaction.js';
export type { IsolationLevel, TransactionOptions } from './sql/transaction-sql.js';
export { TwoPhaseTransaction } from './transaction/two-phase-transaction.js';
export { type AtomicOptions, atomic, type OnOpenTransaction } from './session/atomic.js';
export {
  closeDbSession,
  commitDbSession,
  dbSession,
  rollbackDbSession,
} from './session/db-session.js';
export { newAtomicSession, newSession } from './session/new-session.js';
export { runInNewContext } from './session/run-in-new-context.js';
export { Session } from './session/session.js';
export type { BeforeCommitHook } from './session/session-context.js';
// --- LISTEN / NOTIFY (issue 14) ---
export type {
  ListenerReconnect,
  Notification,
  NotificationGap,
} from './notify/notification.js';
export type { ListenerOptions, NotificationsOptions } from './notify/listener-options.js';
export { Subscription, type SubscriptionStatus } from './notify/subscription.js';
// --- asyncpg conveniences (issue 12) ---
export type { FetchedValue, FetchValOptions } from './connection/fetch-calls.js';
export {
  type PreparedColumn,
  type PreparedParameter,
  PreparedStatement,
} from './connection/prepared-statement.js';
export type { ColumnSelector } from './result/fetch-value.js';
export { Cursor, type CursorOptions, type PendingCursor } from './connection/cursor.js';
export { ConcurrentUpdateError } from './errors/concurrent-update-error.js';
export { createRepository } from './repository/create-repository.js';
export { Repository } from './repository/repository.js';
export type {
  ColumnOf,
  IdOf,
  ListOptions,
  NewRowOf,
  OrderTermOf,
  PatchOf,
  PrimaryKeyOf,
  RepositoryOptions,
  RowOfTable,
  WhereOf,
} from './repository/repository-types.js';
// --- type codecs (issue 13) ---
export type { TypeOptions } from './codecs/type-options.js';
export type { TypeCodec } from './codecs/type-codec.js';
export { json, JsonParameter } from './codecs/json-parameter.js';
export type { DecodedColumn, DecodedSchema } from './codecs/decoded-schema.js';
// --- operations: health, retries, diagnostics channels, metrics (issue 17) ---
export {
  CHANNEL_NAMES,
  type DisconnectReason,
  type PoolMessage,
  poolChannel,
  type QueryMessage,
  queryChannel,
  type ServerInfo,
  type TransactionEvent,
  type TransactionMessage,
  transactionChannel,
} from './diagnostics/channels.js';
export { LATENCY_BUCKETS_MS, type LatencySummary } from './connection/query-metrics.js';
export type { ConnectRetries } from './engine/connect-retries.js';
export type { HealthReport, PingOptions } from './engine/health.js';
export { hasAttempts, isTransientError, type RetriedError, retry, type RetryOptions } from './transaction/retry.js';
export type { NoSchema } from './sql/no-schema.js';

export { ReadonlyEngine } from './engine/readonly-engine.js';
export type { ReplicaPoolStats, ReplicaStats, ReplicaStatus } from './engine/replicas.js';
export type { ReplicaConnectionOptions, ReplicaFallback, ReplicaSource } from './engine/replica-options.js';
export type { DbSessionOptions } from './session/db-session.js';
export { ReadOnlySqlTransactionError, ReplicaUnavailableError } from './errors/replica-errors.js';


export { type HostAttempt, NoSuitableHostError } from './errors/no-suitable-host-error.js';
export type { HostAddress, LoadBalanceHosts, TargetSessionAttrs } from './engine/multi-host.js';
