/** Receives one line per statement when `echo` is on. */
export interface EchoEvent {
  /** The statement text as sent (parameters as `$1`, `$2` …). */
  readonly sql: string;
  /** Present only when `echoParameters` is true. */
  readonly parameters?: readonly unknown[] | undefined;
  /** From the call to the answer, queueing on the connection included. */
  readonly durationMs: number;
  /** Rows returned or affected; absent when the statement failed. */
  readonly rowCount?: number | null | undefined;
  /** The error's message when the statement failed. */
  readonly error?: string | undefined;
  /** The server process that ran it (`pg_backend_pid()`). */
  readonly backendPid?: number | undefined;
}

/** A logger for `echo` and for pgsa's warnings. */
export interface PgsaLogger {
  /** One executed statement. */
  query?(event: EchoEvent): void;
  /** Something the user should know about (e.g. a connection released inside a transaction). */
  warn?(message: string): void;
}

/** The engine settings a connection reads (a subset of the engine's resolved options). Not part of the public API: kept in the declarations because public ones refer to it. */
export interface ConnectionSettings {
  /** The statement logger, when `echo` is on. */
  readonly echo: PgsaLogger | undefined;
  readonly echoParameters: boolean;
  /** Where warnings go. */
  readonly logger: PgsaLogger;
  readonly statementCacheSize: number;
  readonly resetOnRelease: boolean;
  /** The engine's `statement_timeout`; also bounds each round trip (see ResponseWatchdog). */
  readonly statementTimeoutMs: number | undefined;
  /** The engine connects through PgBouncer in transaction mode (LISTEN is refused). */
  readonly pgbouncer?: boolean | undefined;
}
