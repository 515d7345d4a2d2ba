import type { Insertable, Selectable, Updateable } from 'kysely';

/** A column name of table `T` of `DB`. */
export type ColumnOf<DB, T extends keyof DB> = keyof DB[T] & string;

/** The primary key option: one column, or the columns of a composite key. */
export type PrimaryKeyOf<DB, T extends keyof DB> = ColumnOf<DB, T> | readonly [ColumnOf<DB, T>, ...ColumnOf<DB, T>[]];

/**
 * The id `getById`, `update` and `delete` take: the key column's value, or for a composite key
 * an object with every key column.
 */
export type IdOf<DB, T extends keyof DB, K extends PrimaryKeyOf<DB, T>> = K extends readonly (infer C)[]
  ? { readonly [P in C & keyof Selectable<DB[T]>]: Selectable<DB[T]>[P] }
  : Selectable<DB[T]>[K & keyof Selectable<DB[T]>];

/** `list()`'s and `count()`'s filter: columns equal to values (`null`: IS NULL), all of them. */
export type WhereOf<DB, T extends keyof DB> = { readonly [C in keyof Selectable<DB[T]>]?: Selectable<DB[T]>[C] };

/** One ordering term: a column (ascending) or `[column, 'asc' | 'desc']`. */
export type OrderTermOf<DB, T extends keyof DB> = ColumnOf<DB, T> | readonly [ColumnOf<DB, T>, 'asc' | 'desc'];

/** What `list()` takes. */
export interface ListOptions<DB, T extends keyof DB> {
  /** Column values the rows must equal (all of them; `null` matches IS NULL). */
  readonly where?: WhereOf<DB, T> | undefined;
  /** Sort terms, first the most significant. */
  readonly orderBy?: OrderTermOf<DB, T> | readonly OrderTermOf<DB, T>[] | undefined;
  /** At most this many rows (a non-negative integer). */
  readonly limit?: number | undefined;
  /** Skip this many rows first (a non-negative integer). */
  readonly offset?: number | undefined;
}

/** How `createRepository` maps the table. */
export interface RepositoryOptions<DB, T extends keyof DB, K extends PrimaryKeyOf<DB, T>> {
  /** The primary key column, or the columns of a composite key. */
  readonly primaryKey: K;
  /**
   * An integer optimistic-lock column: `update(id, patch)` must then carry the row's current
   * `version` in `patch`; the update sets it to `version + 1`, and a stale one raises
   * `ConcurrentUpdateError`.
   */
  readonly version?: ColumnOf<DB, T> | undefined;
}

/** A row of the table, as read. */
export type RowOfTable<DB, T extends keyof DB> = Selectable<DB[T]>;
/** The values `create` takes (generated and nullable columns optional). */
export type NewRowOf<DB, T extends keyof DB> = Insertable<DB[T]>;
/** The values `update` takes (every column optional). */
export type PatchOf<DB, T extends keyof DB> = Updateable<DB[T]>;
