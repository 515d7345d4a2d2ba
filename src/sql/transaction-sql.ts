/**
 * Pure builders for transaction control statements (BEGIN with its options, savepoints,
 * two-phase commit), for connections and sessions alike, so the exact SQL is unit-testable.
 * Names and xids are quoted by `quote.ts`.
 */
import { quoteIdentifier, quoteXid } from './quote.js';

/**
 * Isolation levels accepted by `begin()` and `transaction()`. PostgreSQL runs
 * `'read uncommitted'` as `'read committed'`; it is accepted for aiopg and Kysely parity.
 */
export type IsolationLevel =
  | 'read committed'
  | 'repeatable read'
  | 'serializable'
  | 'read uncommitted';

/** How a transaction starts: `BEGIN ISOLATION LEVEL … READ ONLY DEFERRABLE`. */
export interface TransactionOptions {
  /** Default: the server's `default_transaction_isolation` (normally read committed). */
  readonly isolationLevel?: IsolationLevel | undefined;
  /** `READ ONLY` when true, `READ WRITE` when false, the server's default when absent. */
  readonly readOnly?: boolean | undefined;
  /** `DEFERRABLE` (only meaningful for serializable read-only transactions) or `NOT DEFERRABLE`. */
  readonly deferrable?: boolean | undefined;
}

const ISOLATION_LEVELS: ReadonlySet<string> = new Set([
  'read committed',
  'repeatable read',
  'serializable',
  'read uncommitted',
]);

/** The options of a plain `BEGIN`, shared (validating them allocates nothing). */
const NO_OPTIONS: TransactionOptions = Object.freeze({});

const OPTION_KEYS: ReadonlySet<string> = new Set(['isolationLevel', 'readOnly', 'deferrable']);

/**
 * Checks transaction options before anything is sent and returns a normalized copy.
 *
 * @throws TypeError for an unknown isolation level, a non-boolean flag or an unknown key.
 */
export function validateTransactionOptions(
  options: TransactionOptions | undefined,
  extraKeys: ReadonlySet<string> = new Set(),
): TransactionOptions {
  if (options === undefined || options === NO_OPTIONS) return NO_OPTIONS;
  if (options === null || typeof options !== 'object') {
    throw new TypeError('transaction options must be an object');
  }
  const unknown = Object.keys(options).filter((k) => !OPTION_KEYS.has(k) && !extraKeys.has(k));
  if (unknown.length > 0) {
    throw new TypeError(`unknown transaction option(s): ${unknown.join(', ')}`);
  }
  const { isolationLevel, readOnly, deferrable } = options;
  let level: IsolationLevel | undefined;
  if (isolationLevel !== undefined) {
    const normalized = typeof isolationLevel === 'string' ? isolationLevel.toLowerCase() : '';
    if (!ISOLATION_LEVELS.has(normalized)) {
      throw new TypeError(
        `unknown isolation level ${JSON.stringify(isolationLevel)}; expected one of ` +
          `'read committed', 'repeatable read', 'serializable'`,
      );
    }
    level = normalized as IsolationLevel;
  }
  for (const [name, value] of [
    ['readOnly', readOnly],
    ['deferrable', deferrable],
  ] as const) {
    if (value !== undefined && typeof value !== 'boolean') {
      throw new TypeError(`${name} must be a boolean, got ${JSON.stringify(value)}`);
    }
  }
  if (level === undefined && readOnly === undefined && deferrable === undefined) return NO_OPTIONS;
  return Object.freeze({
    ...(level === undefined ? {} : { isolationLevel: level }),
    ...(readOnly === undefined ? {} : { readOnly }),
    ...(deferrable === undefined ? {} : { deferrable }),
  });
}

/**
 * `BEGIN` with the given (validated) options.
 *
 * @example
 * ```ts
 * beginSql({ isolationLevel: 'serializable', readOnly: true, deferrable: true })
 * // 'BEGIN ISOLATION LEVEL SERIALIZABLE READ ONLY DEFERRABLE'
 * ```
 */
export function beginSql(options: TransactionOptions = NO_OPTIONS): string {
  if (options === NO_OPTIONS) return 'BEGIN';
  const { isolationLevel, readOnly, deferrable } = validateTransactionOptions(options);
  let sql = 'BEGIN';
  // The level is one of a fixed set (validated above), so it is safe to splice in.
  if (isolationLevel) sql += ` ISOLATION LEVEL ${isolationLevel.toUpperCase()}`;
  if (readOnly !== undefined) sql += readOnly ? ' READ ONLY' : ' READ WRITE';
  if (deferrable !== undefined) sql += deferrable ? ' DEFERRABLE' : ' NOT DEFERRABLE';
  return sql;
}

/** What a Kysely transaction asks for (`setIsolationLevel`, `setAccessMode`). */
export interface KyselyTransactionSettings {
  readonly isolationLevel?: string | undefined;
  readonly accessMode?: string | undefined;
}

/**
 * Maps Kysely's transaction settings to pgsa's {@link TransactionOptions}: the one place
 * Kysely's spelling (`accessMode: 'read only'`) is translated, so `db.transaction()` on a
 * connection and on a session begin the same way.
 *
 * @throws TypeError for `'snapshot'` (a SQL Server level PostgreSQL does not have) and for an
 *   unknown isolation level or access mode, before anything is sent.
 * @example
 * ```ts
 * kyselyTransactionOptions({ isolationLevel: 'serializable', accessMode: 'read only' })
 * // { isolationLevel: 'serializable', readOnly: true }
 * ```
 */
export function kyselyTransactionOptions(settings: KyselyTransactionSettings): TransactionOptions {
  const { isolationLevel, accessMode } = settings;
  if (isolationLevel === 'snapshot') {
    throw new TypeError(
      "isolation level 'snapshot' is not supported by PostgreSQL; its snapshot isolation is " +
        "'repeatable read'",
    );
  }
  if (accessMode !== undefined && accessMode !== 'read only' && accessMode !== 'read write') {
    throw new TypeError(
      `unknown access mode ${JSON.stringify(accessMode)}; expected 'read only' or 'read write'`,
    );
  }
  return validateTransactionOptions({
    ...(isolationLevel === undefined ? {} : { isolationLevel: isolationLevel as IsolationLevel }),
    ...(accessMode === undefined ? {} : { readOnly: accessMode === 'read only' }),
  });
}

/** The name of the `n`-th savepoint on a connection: `pgsa_savepoint_<n>`. */
export function savepointName(n: number): string {
  return `pgsa_savepoint_${n}`;
}

/** `SAVEPOINT "name"` */
export function savepointSql(name: string): string {
  return `SAVEPOINT ${quoteIdentifier(name)}`;
}

/** `RELEASE SAVEPOINT "name"`: keeps the work, hands it to the enclosing transaction. */
export function releaseSavepointSql(name: string): string {
  return `RELEASE SAVEPOINT ${quoteIdentifier(name)}`;
}

/**
 * `ROLLBACK TO SAVEPOINT "name"; RELEASE SAVEPOINT "name"`: undoes the work since the savepoint
 * and forgets it, in one round trip (a rolled-back savepoint is never reused).
 */
export function rollbackToSavepointSql(name: string): string {
  const quoted = quoteIdentifier(name);
  return `ROLLBACK TO SAVEPOINT ${quoted}; RELEASE SAVEPOINT ${quoted}`;
}

/** `PREPARE TRANSACTION 'xid'` */
export function prepareTransactionSql(xid: string): string {
  return `PREPARE TRANSACTION ${quoteXid(xid)}`;
}

/** `COMMIT PREPARED 'xid'` */
export function commitPreparedSql(xid: string): string {
  return `COMMIT PREPARED ${quoteXid(xid)}`;
}

/** `ROLLBACK PREPARED 'xid'` */
export function rollbackPreparedSql(xid: string): string {
  return `ROLLBACK PREPARED ${quoteXid(xid)}`;
}

/** The prepared transactions of the current database, oldest first. */
export const RECOVER_TWOPHASE_SQL =
  'SELECT gid FROM pg_prepared_xacts WHERE database = current_database() ORDER BY prepared, gid';
