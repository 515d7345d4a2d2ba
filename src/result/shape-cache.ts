import type pg from 'pg';
import { RowShape } from './row-shape.js';

const LIMIT = 512;

/**
 * Shares one {@link RowShape} between all results with the same column names, so repeated
 * queries reuse the same row prototype (and V8 keeps property reads monomorphic).
 *
 * @internal
 */
export class ShapeCache {
  readonly #shapes = new Map<string, RowShape>();
  /**
   * Frozen field lists are shared by every result of one cached statement (see
   * `StatementCache.describe`): their shape is found by identity, without building a key.
   */
  readonly #byFields = new WeakMap<readonly pg.FieldDef[], RowShape>();

  /** The shape for `fields`, made on first use. */
  forFields(fields: readonly pg.FieldDef[]): RowShape {
    const known = this.#byFields.get(fields);
    if (known !== undefined) return known;
    let key = '';
    for (const field of fields) key += `${field.name}\u0000`;
    const shape = this.#shapes.get(key) ?? this.#add(key, fields.map((field) => field.name));
    if (Object.isFrozen(fields)) this.#byFields.set(fields, shape);
    return shape;
  }

  /** The shape for columns called `names`, in this order (rows Kysely plugins transformed). */
  forNames(names: readonly string[]): RowShape {
    let key = '';
    for (const name of names) key += `${name}\u0000`;
    return this.#shapes.get(key) ?? this.#add(key, [...names]);
  }

  #add(key: string, names: readonly string[]): RowShape {
    if (this.#shapes.size >= LIMIT) this.#shapes.clear();
    const shape = new RowShape(names);
    this.#shapes.set(key, shape);
    return shape;
  }
}
