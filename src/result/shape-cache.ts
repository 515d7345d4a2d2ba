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
    const shape = this.#byNames(fields);
    if (Object.isFrozen(fields)) this.#byFields.set(fields, shape);
    return shape;
  }

  #byNames(fields: readonly pg.FieldDef[]): RowShape {
    let key = '';
    for (const field of fields) key += `${field.name}\u0000`;
    let shape = this.#shapes.get(key);
    if (shape === undefined) {
      if (this.#shapes.size >= LIMIT) this.#shapes.clear();
      shape = new RowShape(fields.map((field) => field.name));
      this.#shapes.set(key, shape);
    }
    return shape;
  }
}
