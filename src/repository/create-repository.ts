import type { Engine } from '../engine/engine.js';
import { Repository } from './repository.js';
import type { PrimaryKeyOf, RepositoryOptions } from './repository-types.js';

/**
 * A typed repository over `table` of the engine's `DB` (asyncpg's `BaseRepository`):
 * `getById`, `list`, `count`, `create`, `createMany`, `update`, `delete`. Inside a session
 * context it runs on the context's session (joining the request's transaction); outside, on
 * the engine.
 *
 * @throws InterfaceError for a missing table name or primary key.
 * @example
 * ```ts
 * const users = createRepository(engine, 'users', { primaryKey: 'id' });
 * const accounts = createRepository(engine, 'accounts', { primaryKey: ['tenant', 'id'], version: 'version' });
 * const row = await accounts.getById({ tenant: 't1', id: 7 });
 * if (row) await accounts.update({ tenant: 't1', id: 7 }, { balance: 10, version: row.version });
 * ```
 */
export function createRepository<DB, T extends keyof DB & string, const K extends PrimaryKeyOf<DB, T>>(
  engine: Engine<DB>,
  table: T,
  options: RepositoryOptions<DB, T, K>,
): Repository<DB, T, K> {
  return new Repository<DB, T, K>(engine, table, options);
}
