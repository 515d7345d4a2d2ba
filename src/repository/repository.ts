import { type Kysely, sql } from 'kysely';
import type { Executor } from '../connection/fetch-calls.js';
import type { Engine } from '../engine/engine.js';
import { ConcurrentUpdateError } from '../errors/concurrent-update-error.js';
import { InterfaceError } from '../errors/pgsa-error.js';
import { dbSession } from '../session/db-session.js';
import { hasActiveContext } from '../session/session-context.js';
import type {
  IdOf,
  ListOptions,
  NewRowOf,
  PatchOf,
  PrimaryKeyOf,
  RepositoryOptions,
  RowOfTable,
  WhereOf,
} from './repository-types.js';

/** The engine's Kysely with table and column names left to the caller's types. */
type LooseDB = Record<string, Record<string, unknown>>;
// Kysely's builders, loosely typed: the repository's public signatures carry the real types.
type Loose = Kysely<LooseDB>;
type Filterable<Q> = { where(column: never, operator: '=' | 'is', value: never): Q };

/**
 * The asyncpg `BaseRepository` over one table, typed from the application's `DB`: rows are
 * `Selectable<DB[T]>`, new rows `Insertable<DB[T]>`, patches `Updateable<DB[T]>`. Made by
 * {@link createRepository}.
 *
 * Each call is one statement (`update` with a version check may read once more to tell a
 * stale version from a missing row). Inside a session context (`runInNewContext`, the request
 * middleware) it runs on the context's session, so it joins the request's transaction and is
 * committed or rolled back with it; outside one, on the engine (autocommit, the pipelined path
 * when it is on).
 *
 * @example
 * ```ts
 * const users = createRepository(engine, 'users', { primaryKey: 'id' });
 * const ann = await users.create({ name: 'ann' });          // INSERT … RETURNING *
 * await users.update(ann.id, { name: 'Ann' });
 * const page = await users.list({ where: { name: 'Ann' }, orderBy: [['id', 'desc']], limit: 10 });
 * await users.delete(ann.id);                                // true
 * ```
 */
export class Repository<DB, T extends keyof DB & string, K extends PrimaryKeyOf<DB, T>> {
  /** The table. */
  readonly table: T;
  /** The primary key columns, in order. */
  readonly primaryKey: readonly string[];
  /** The optimistic-lock column, if any. */
  readonly version: string | undefined;
  readonly #engine: Engine<DB>;

  /** @internal Use {@link createRepository}. */
  constructor(engine: Engine<DB>, table: T, options: RepositoryOptions<DB, T, K>) {
    if (typeof table !== 'string' || table === '') {
      throw new InterfaceError('createRepository needs a table name');
    }
    const key: unknown = options?.primaryKey;
    const columns = typeof key === 'string' ? [key] : Array.isArray(key) ? [...(key as unknown[])] : [];
    if (columns.length === 0 || !columns.every((column) => typeof column === 'string' && column !== '')) {
      throw new InterfaceError(
        `createRepository(${table}): primaryKey must be a column name or a non-empty array of them`,
      );
    }
    if (options.version !== undefined && (typeof options.version !== 'string' || options.version === '')) {
      throw new InterfaceError(`createRepository(${table}): version must be a column name`);
    }
    this.#engine = engine;
    this.table = table;
    this.primaryKey = Object.freeze(columns as string[]);
    this.version = options.version;
  }

  /**
   * The row with primary key `id`, or `null`.
   *
   * @throws InterfaceError for an id that is not a key value (or, for a composite key, an
   *   object of exactly the key columns); `DataError` when the server cannot read it as the
   *   key column's type.
   */
  async getById(id: IdOf<DB, T, K>): Promise<RowOfTable<DB, T> | null> {
    const keys = this.#keys('getById', id);
    const query = this.#byKeys(this.#db.selectFrom(this.#table).selectAll(), keys);
    const row = (await (await this.#executor()).execute(query)).first();
    return row === null ? null : (row.toJSON() as RowOfTable<DB, T>);
  }

  /**
   * The rows matching `where` (column = value for each, `null` as IS NULL), in `orderBy` order
   * (the primary key when not given), `limit` and `offset` applied.
   *
   * @throws InterfaceError for a `limit`/`offset` that is not a non-negative integer or a bad
   *   `orderBy` term.
   */
  async list(options: ListOptions<DB, T> = {}): Promise<RowOfTable<DB, T>[]> {
    let query = this.#filtered(this.#db.selectFrom(this.#table).selectAll(), 'list', options.where);
    for (const [column, direction] of this.#orderTerms(options.orderBy)) {
      query = query.orderBy(column as never, direction);
    }
    if (options.limit !== undefined) query = query.limit(count('list', 'limit', options.limit));
    if (options.offset !== undefined) query = query.offset(count('list', 'offset', options.offset));
    const result = await (await this.#executor()).execute(query);
    return result.fetchAll().map((row) => row.toJSON() as RowOfTable<DB, T>);
  }

  /** The number of rows matching `where` (all rows without it). */
  async count(where?: WhereOf<DB, T>): Promise<number> {
    const query = this.#filtered(
      this.#db.selectFrom(this.#table).select(sql<number>`count(*)::int8`.as('count')),
      'count',
      where,
    );
    const value = (await (await this.#executor()).execute(query)).scalar();
    return Number(value);
  }

  /**
   * Inserts one row and returns it as stored (`INSERT … RETURNING *`: generated ids and
   * defaults included).
   *
   * @throws InterfaceError when `values` is not an object; `IntegrityError` subclasses for
   *   constraint violations (nothing is stored).
   */
  async create(values: NewRowOf<DB, T>): Promise<RowOfTable<DB, T>> {
    plainObject('create', this.table, values, 'the new row');
    const query = this.#db.insertInto(this.#table).values(values as never).returningAll();
    const row = (await (await this.#executor()).execute(query)).first();
    return (row as NonNullable<typeof row>).toJSON() as RowOfTable<DB, T>;
  }

  /**
   * Inserts several rows in one statement and returns them as stored, in order. All or none:
   * one failing row stores nothing.
   *
   * @throws InterfaceError for an empty list or a row that is not an object; as `create`.
   */
  async createMany(values: readonly NewRowOf<DB, T>[]): Promise<RowOfTable<DB, T>[]> {
    if (!Array.isArray(values) || values.length === 0) {
      throw new InterfaceError(
        `createMany(${this.table}): expected a non-empty array of rows, got ${Array.isArray(values) ? 'an empty array' : typeof values}`,
      );
    }
    for (const row of values) plainObject('createMany', this.table, row, 'each row');
    const query = this.#db.insertInto(this.#table).values(values as never).returningAll();
    const result = await (await this.#executor()).execute(query);
    return result.fetchAll().map((row) => row.toJSON() as RowOfTable<DB, T>);
  }

  /**
   * Updates the row with primary key `id` with `patch` and returns it as stored, or `null`
   * when there is no such row. With a `version` column, `patch` must carry the version the
   * caller read: the row is updated only if it still has it (and its version goes up by one).
   *
   * @throws InterfaceError for an empty patch, a missing version, or a bad id (nothing sent);
   *   ConcurrentUpdateError when the row's version is no longer the one given (nothing changed).
   */
  async update(id: IdOf<DB, T, K>, patch: PatchOf<DB, T>): Promise<RowOfTable<DB, T> | null> {
    const keys = this.#keys('update', id);
    plainObject('update', this.table, patch, 'the patch');
    const changes: Record<string, unknown> = {};
    for (const [column, value] of Object.entries(patch as object)) {
      if (value !== undefined && column !== this.version) changes[column] = value;
    }
    const versionColumn = this.version;
    const expected = versionColumn === undefined ? undefined : (patch as Record<string, unknown>)[versionColumn];
    if (versionColumn !== undefined && (expected === undefined || expected === null)) {
      throw new InterfaceError(
        `update(${this.table}): the patch must carry the row's current "${versionColumn}" ` +
          '(optimistic locking); read the row first',
      );
    }
    if (Object.keys(changes).length === 0) {
      throw new InterfaceError(`update(${this.table}): the patch has no column to change`);
    }
    if (versionColumn !== undefined) {
      changes[versionColumn] = sql`${sql.ref(versionColumn)} + 1`;
    }
    let query = this.#byKeys(this.#db.updateTable(this.#table).set(changes as never), keys);
    if (versionColumn !== undefined) query = query.where(versionColumn as never, '=', expected as never);
    const executor = await this.#executor();
    const row = (await executor.execute(query.returningAll())).first();
    if (row !== null) return row.toJSON() as RowOfTable<DB, T>;
    if (versionColumn === undefined) return null;
    const exists = this.#byKeys(this.#db.selectFrom(this.#table).select(sql<number>`1`.as('one')), keys);
    if ((await executor.execute(exists)).first() === null) return null;
    throw new ConcurrentUpdateError(this.table, id, expected);
  }

  /** Deletes the row with primary key `id`; true when there was one. @throws as `getById` */
  async delete(id: IdOf<DB, T, K>): Promise<boolean> {
    const keys = this.#keys('delete', id);
    const query = this.#byKeys(this.#db.deleteFrom(this.#table), keys);
    return (await (await this.#executor()).execute(query)).rowCount > 0;
  }

  /** The table, as the loose Kysely takes it. */
  get #table(): string {
    return this.table;
  }

  get #db(): Loose {
    return this.#engine.db as unknown as Loose;
  }

  /** The context's session inside a session context, else the engine. */
  async #executor(): Promise<Executor> {
    if (hasActiveContext()) return (await dbSession(this.#engine)) as unknown as Executor;
    return this.#engine as unknown as Executor;
  }

  #byKeys<Q extends Filterable<Q>>(query: Q, keys: readonly [string, unknown][]): Q {
    let keyed = query;
    for (const [column, value] of keys) keyed = keyed.where(column as never, '=', value as never);
    return keyed;
  }

  #filtered<Q extends Filterable<Q>>(query: Q, operation: string, where: object | undefined): Q {
    if (where === undefined) return query;
    plainObject(operation, this.table, where, 'where');
    let filtered = query;
    for (const [column, value] of Object.entries(where)) {
      if (value === undefined) continue;
      filtered =
        value === null
          ? filtered.where(column as never, 'is', null as never)
          : filtered.where(column as never, '=', value as never);
    }
    return filtered;
  }

  #orderTerms(orderBy: unknown): [string, 'asc' | 'desc'][] {
    if (orderBy === undefined) return this.primaryKey.map((column) => [column, 'asc']);
    const isTerm = (term: unknown) => typeof term === 'string' || (Array.isArray(term) && typeof term[0] === 'string');
    const terms: unknown[] = Array.isArray(orderBy) && !(orderBy.length === 2 && typeof orderBy[0] === 'string' && (orderBy[1] === 'asc' || orderBy[1] === 'desc')) ? orderBy : [orderBy];
    return terms.map((term) => {
      if (typeof term === 'string' && term !== '') return [term, 'asc'];
      if (Array.isArray(term) && isTerm(term) && (term[1] === 'asc' || term[1] === 'desc')) {
        return [term[0] as string, term[1] as 'asc' | 'desc'];
      }
      throw new InterfaceError(
        `list(${this.table}): orderBy takes column names or [column, 'asc' | 'desc'] pairs, got ${JSON.stringify(term)}`,
      );
    });
  }

  /** `id` as [column, value] pairs of the primary key, checked. */
  #keys(operation: string, id: unknown): [string, unknown][] {
    const columns = this.primaryKey;
    if (columns.length === 1) {
      const column = columns[0] as string;
      if (!isKeyValue(id)) {
        throw new InterfaceError(
          `${operation}(${this.table}): the id must be a value of the "${column}" column ` +
            `(a string, number, bigint or Date), got ${describe(id)}`,
        );
      }
      return [[column, id]];
    }
    const names = columns.map((column) => `"${column}"`).join(', ');
    if (typeof id !== 'object' || id === null || Array.isArray(id) || id instanceof Date) {
      throw new InterfaceError(
        `${operation}(${this.table}): the id of a composite key must be an object with ${names}, got ${describe(id)}`,
      );
    }
    const given = Object.keys(id);
    const record = id as Record<string, unknown>;
    const wrong = given.filter((key) => !columns.includes(key));
    const missing = columns.filter((column) => !isKeyValue(record[column]));
    if (wrong.length > 0 || missing.length > 0) {
      throw new InterfaceError(
        `${operation}(${this.table}): the id must have exactly ${names}, each a key value` +
          (missing.length > 0 ? `; missing or not a value: ${missing.join(', ')}` : '') +
          (wrong.length > 0 ? `; not key columns: ${wrong.join(', ')}` : ''),
      );
    }
    return columns.map((column) => [column, record[column]]);
  }
}

function isKeyValue(value: unknown): boolean {
  if (typeof value === 'number') return Number.isFinite(value);
  return typeof value === 'string' || typeof value === 'bigint' || (value instanceof Date && !Number.isNaN(value.getTime()));
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return String(value);
  return typeof value;
}

function plainObject(operation: string, table: string, value: unknown, what: string): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InterfaceError(`${operation}(${table}): ${what} must be an object of columns, got ${describe(value)}`);
  }
}

function count(operation: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new InterfaceError(`${operation}: ${name} must be a non-negative integer, got ${String(value)}`);
  }
  return value;
}
