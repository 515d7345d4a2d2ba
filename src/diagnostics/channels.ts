import diagnosticsChannel from 'node:diagnostics_channel';

/**
 * pgsa's `node:diagnostics_channel` channels: a stable contract for metrics, tracing and APM
 * tools. Subscribe with `diagnostics_channel.subscribe(name, listener)` (or through the
 * exported channel objects). Messages are published synchronously, in the caller's async
 * context (so a tracer reads its active span there), and only while someone subscribes: with
 * no subscriber pgsa builds no message at all.
 *
 * - `pgsa:query` ({@link QueryMessage}): `start`, then `end` or `error`, for every statement
 *   pgsa sends (statements, control statements, streams, COPY, the pipelined path). The SQL
 *   text is included; parameter values only with the engine option `echoParameters: true`.
 * - `pgsa:pool` ({@link PoolMessage}): `acquire`, `acquired`, `release`, `timeout`, `connect`,
 *   `disconnect` (with a reason).
 * - `pgsa:transaction` ({@link TransactionMessage}): `begin`, `commit`, `rollback`,
 *   `savepoint`, `releaseSavepoint`, `rollbackToSavepoint`, `prepare`, `commitPrepared`,
 *   `rollbackPrepared`, each once its control statement succeeded.
 *
 * Fields may be added in later versions; existing ones keep their names and meaning.
 *
 * @example
 * ```ts
 * import diagnostics from 'node:diagnostics_channel';
 * diagnostics.subscribe('pgsa:query', (message) => {
 *   const m = message as QueryMessage;
 *   if (m.event === 'end') histogram.observe(m.durationMs);
 * });
 * ```
 */
export const CHANNEL_NAMES = Object.freeze({
  /** Statements: `start`, then `end` or `error`. */
  query: 'pgsa:query',
  /** The pool: acquire, acquired, release, timeout, connect, disconnect. */
  pool: 'pgsa:pool',
  /** Transaction control statements, once they succeeded. */
  transaction: 'pgsa:transaction',
} as const);

/** Where a statement runs: host, port and database of its connection. */
export interface ServerInfo {
  /** The server's host (or socket directory), as configured. */
  readonly host: string | undefined;
  /** The server's port. */
  readonly port: number | undefined;
  /** The database name. */
  readonly database: string | undefined;
}

/** Fields every `pgsa:query` message carries. */
interface QueryMessageBase extends ServerInfo {
  /** Pairs a statement's `start` with its `end` or `error` (unique within the process). */
  readonly id: number;
  /** The SQL text as sent (placeholders `$1`…, never the values). */
  readonly sql: string;
  /** Parameter values, only with the engine option `echoParameters: true`. */
  readonly parameters?: readonly unknown[] | undefined;
  /** The server process serving the connection (0 before it is known). */
  readonly backendPid: number;
  /** The server-side prepared statement it runs as, when it runs as one. */
  readonly statementName: string | undefined;
  /** True when that prepared statement was already prepared on the connection (no Parse sent). */
  readonly cached: boolean;
  /** True on the engine's shared pipelined autocommit connections. */
  readonly pipelined: boolean;
}

/** A `pgsa:query` message: a statement was sent (`start`), answered (`end`) or failed (`error`). */
export type QueryMessage =
  | (QueryMessageBase & {
      /** The statement was sent. */
      readonly event: 'start';
    })
  | (QueryMessageBase & {
      /** The statement was answered. */
      readonly event: 'end';
      /** Milliseconds from `start` to the answer. */
      readonly durationMs: number;
      /** Rows returned or affected (`null` for statements that report none). */
      readonly rowCount: number | null;
    })
  | (QueryMessageBase & {
      /** The statement failed. */
      readonly event: 'error';
      /** Milliseconds from `start` to the failure. */
      readonly durationMs: number;
      /** The error the caller receives (a pgsa error class; never holds the password). */
      readonly error: Error;
    });

/** Why a connection left the pool (`pgsa:pool` `disconnect`). */
export type DisconnectReason =
  /** Released broken, busy or after a failed rollback: discarded instead of pooled. */
  | 'discarded'
  /** Closed by the pool: idle too long, too old (`maxLifetimeMs`), or used `maxUses` times. */
  | 'idle'
  /** Its socket failed while idle in the pool (server restart, network). */
  | 'error'
  /** Closed by `engine.close()` / `engine.terminate()`. */
  | 'closed';

/** A `pgsa:pool` message. `dsn` is the engine's masked connection string. */
export type PoolMessage =
  | {
      /** `acquire()` was called. */
      readonly event: 'acquire';
      /** The engine's masked connection string. */
      readonly dsn: string;
      /** Calls waiting for a connection, this one included. */
      readonly waiting: number;
    }
  | {
      /** `acquire()` got a connection. */
      readonly event: 'acquired';
      /** The engine's masked connection string. */
      readonly dsn: string;
      /** The server process of the connection. */
      readonly backendPid: number;
      /** How long the call waited, ms. */
      readonly waitMs: number;
    }
  | {
      /** A connection was released. */
      readonly event: 'release';
      /** The engine's masked connection string. */
      readonly dsn: string;
      /** The server process of the connection. */
      readonly backendPid: number;
      /** True when it was closed instead of pooled (broken, busy, a failed rollback). */
      readonly discarded: boolean;
    }
  | {
      /** `acquire()` gave up: `PoolTimeoutError`. */
      readonly event: 'timeout';
      /** The engine's masked connection string. */
      readonly dsn: string;
      /** How long the call waited, ms. */
      readonly waitMs: number;
    }
  | {
      /** A new connection logged in. */
      readonly event: 'connect';
      /** The engine's masked connection string. */
      readonly dsn: string;
      /** The server process of the connection. */
      readonly backendPid: number;
    }
  | {
      /** A connection left the pool. */
      readonly event: 'disconnect';
      /** The engine's masked connection string. */
      readonly dsn: string;
      /** The server process of the connection. */
      readonly backendPid: number;
      /** Why it left. */
      readonly reason: DisconnectReason;
    };

/** The control statement a `pgsa:transaction` message reports. */
export type TransactionEvent =
  | 'begin'
  | 'commit'
  | 'rollback'
  | 'savepoint'
  | 'releaseSavepoint'
  | 'rollbackToSavepoint'
  | 'prepare'
  | 'commitPrepared'
  | 'rollbackPrepared';

/** A `pgsa:transaction` message, published once the control statement succeeded. */
export interface TransactionMessage {
  /** Which control statement. */
  readonly event: TransactionEvent;
  /** The control statement sent (`BEGIN ISOLATION LEVEL …`, `SAVEPOINT pgsa_sp_1`, …). */
  readonly sql: string;
  /** The server process of the connection. */
  readonly backendPid: number;
  /** The savepoint's name, for the savepoint events. */
  readonly savepoint?: string | undefined;
  /** The global transaction id, for the two-phase events. */
  readonly xid?: string | undefined;
}

/** The `pgsa:query` channel. */
export const queryChannel = diagnosticsChannel.channel(CHANNEL_NAMES.query);
/** The `pgsa:pool` channel. */
export const poolChannel = diagnosticsChannel.channel(CHANNEL_NAMES.pool);
/** The `pgsa:transaction` channel. */
export const transactionChannel = diagnosticsChannel.channel(CHANNEL_NAMES.transaction);

let lastQueryId = 0;

/** A fresh `pgsa:query` message id. @internal */
export function nextQueryId(): number {
  lastQueryId = lastQueryId >= Number.MAX_SAFE_INTEGER ? 1 : lastQueryId + 1;
  return lastQueryId;
}

/**
 * Publishes a `pgsa:transaction` message when someone subscribes; `make` builds it only then.
 *
 * @internal
 */
export function publishTransaction(make: () => TransactionMessage): void {
  if (transactionChannel.hasSubscribers) transactionChannel.publish(make());
}
