import type { ColumnType } from 'kysely';
import type { TypeOptions } from './type-options.js';

/** What a `types.bigint` choice makes of an `int8` value. */
type BigintValue<T extends TypeOptions> = T['bigint'] extends 'bigint' ? bigint : T['bigint'] extends 'number' ? number : string;

/** What a `types.numeric` choice makes of a `numeric` value. */
type NumericValue<T extends TypeOptions> = T['numeric'] extends 'number' ? number : string;

/**
 * The select type of a column read as a string by default, under `T`: an `int8` column is one
 * whose insert type takes a `bigint` (kysely-codegen's `Int8`), a `numeric` one whose insert
 * type takes a `number` but no `bigint` (kysely-codegen's `Numeric`).
 */
type Chosen<S, I, T extends TypeOptions> = string extends S
  ? bigint extends I
    ? Exclude<S, string> | BigintValue<T>
    : number extends I
      ? Exclude<S, string> | NumericValue<T>
      : S
  : S;

/** One column's type with the select type `T` decodes to. */
export type DecodedColumn<C, T extends TypeOptions> =
  C extends ColumnType<infer S, infer I, infer U> ? ColumnType<Chosen<S, I, T>, I, U> : C;

/**
 * A Kysely schema `DB` (as kysely-codegen writes it) with the select types an engine's
 * `types` option decodes to: with `{ bigint: 'bigint' }` every `Int8` column
 * (`ColumnType<string, bigint | number | string, …>`) is selected as `bigint`, with
 * `{ numeric: 'number' }` every `Numeric` column as `number`. Insert and update types are
 * kept. Columns declared as plain types (`id: string`) are left as they are: declare them as
 * the engine decodes them. For `date` as a string, generate with kysely-codegen's
 * `--date-parser string`.
 *
 * @example
 * ```ts
 * // DB: the schema kysely-codegen wrote, e.g. import type { DB } from './db.js'
 * const types = { bigint: 'bigint' } as const;
 * const engine = await createEngine<DecodedSchema<Database, typeof types>>({ connectionString, types });
 * const id = await engine.fetchVal(engine.db.selectFrom('orders').select('id')); // bigint
 * ```
 */
export type DecodedSchema<DB, T extends TypeOptions> = {
  [Table in keyof DB]: { [Column in keyof DB[Table]]: DecodedColumn<DB[Table][Column], T> };
};
