/**
 * The control statements sessions send, built by pure functions so the exact SQL is
 * unit-tested. Savepoint SQL (and identifier quoting) is shared with transactions:
 * `src/transaction/transaction-sql.ts`.
 *
 * @internal
 */

/** Isolation levels a session transaction may begin with (Kysely's spelling). */
export type SessionIsolationLevel =
  | 'read uncommitted'
  | 'read committed'
  | 'repeatable read'
  | 'serializable'
  | 'snapshot';

/** Options of the BEGIN that opens a session transaction. */
export interface SessionBeginOptions {
  readonly isolationLevel?: SessionIsolationLevel | undefined;
  readonly accessMode?: 'read only' | 'read write' | undefined;
}

const ISOLATION_LEVELS: ReadonlySet<string> = new Set([
  'read uncommitted',
  'read committed',
  'repeatable read',
  'serializable',
]);
const ACCESS_MODES: ReadonlySet<string> = new Set(['read only', 'read write']);

/** `COMMIT`. */
export const COMMIT_SQL = 'COMMIT';
/** `ROLLBACK`. */
export const ROLLBACK_SQL = 'ROLLBACK';

/**
 * `BEGIN` with an optional isolation level and access mode, e.g.
 * `BEGIN ISOLATION LEVEL SERIALIZABLE READ ONLY`. Values are checked against a fixed list
 * because they are spliced into the statement.
 *
 * @throws RangeError for an isolation level or access mode PostgreSQL does not know.
 */
export function beginSql(options: SessionBeginOptions = {}): string {
  const parts = ['BEGIN'];
  const { isolationLevel, accessMode } = options;
  if (isolationLevel !== undefined) {
    if (!ISOLATION_LEVELS.has(isolationLevel)) {
      throw new RangeError(`unknown isolation level: ${JSON.stringify(isolationLevel)}`);
    }
    parts.push(`ISOLATION LEVEL ${isolationLevel.toUpperCase()}`);
  }
  if (accessMode !== undefined) {
    if (!ACCESS_MODES.has(accessMode)) {
      throw new RangeError(`unknown access mode: ${JSON.stringify(accessMode)}`);
    }
    parts.push(accessMode.toUpperCase());
  }
  return parts.join(' ');
}
