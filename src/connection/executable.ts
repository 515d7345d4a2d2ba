import type {
  Compilable,
  CompiledQuery,
  DeleteResult,
  InsertResult,
  MergeResult,
  RawBuilder,
  UpdateResult,
} from 'kysely';

/** Anything `execute` accepts besides a SQL string: a builder, a compiled query, a `sql` template. */
export type Executable<Row> = Compilable<Row> | CompiledQuery<Row> | RawBuilder<Row>;

/** Row type produced by an {@link Executable}. */
export type RowOf<Q> = Q extends Executable<infer Row> ? ResultRow<Row> : Record<string, unknown>;

/**
 * The row type of a result: Kysely types a DML builder without `returning()` as yielding an
 * `InsertResult`/`UpdateResult`/`DeleteResult`/`MergeResult`, but such a statement returns no
 * rows at all (`returnsRows` is false), so its rows have no columns; an untyped `sql` template
 * (`unknown`) gives `Record<string, unknown>`, like a raw string.
 */
export type ResultRow<Row> = unknown extends Row
  ? Record<string, unknown>
  : [Row] extends [InsertResult | UpdateResult | DeleteResult | MergeResult]
    ? Record<string, never>
    : Row;
