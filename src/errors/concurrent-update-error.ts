import { PgsaError } from './pgsa-error.js';

/**
 * An optimistic-lock conflict: `repository.update(id, patch)` carried a `version` the row no
 * longer has — someone else updated it since it was read. Nothing was changed. Read the row
 * again (for its current version) and retry the update, or report the conflict.
 *
 * @example
 * ```ts
 * const accounts = createRepository(engine, 'accounts', { primaryKey: ['tenant', 'id'], version: 'version' });
 * try {
 *   await accounts.update({ tenant: 't1', id: 7 }, { balance: 10, version: 3 });
 * } catch (error) {
 *   if (error instanceof ConcurrentUpdateError) console.log(error.table, error.expectedVersion);
 * }
 * ```
 */
export class ConcurrentUpdateError extends PgsaError {
  /** The table of the row. */
  readonly table: string;
  /** The primary key of the row, as given to `update`. */
  readonly id: unknown;
  /** The version the update expected. */
  readonly expectedVersion: unknown;

  constructor(table: string, id: unknown, expectedVersion: unknown) {
    super(
      `cannot update ${table} ${describeId(id)}: its version is no longer ${String(expectedVersion)} ` +
        '(another update came first); nothing was changed: read the row again and retry',
    );
    this.table = table;
    this.id = id;
    this.expectedVersion = expectedVersion;
  }
}

function describeId(id: unknown): string {
  if (typeof id === 'object' && id !== null) {
    return `(${Object.entries(id).map(([key, value]) => `${key} = ${String(value)}`).join(', ')})`;
  }
  return `id ${String(id)}`;
}
