import { AmbiguousColumnError, InterfaceError } from '../errors/pgsa-error.js';
import { deepEqual } from './deep-equal.js';

/**
 * Names a column may not take as a property: the row's own methods and `Object.prototype`'s
 * win over them, and `then` is never a property, so `await row` does not mistake a row for a
 * promise. Such columns are read with `row.get(name)` or `row.at(i)`.
 */
const RESERVED_NAMES = [
  'get',
  'at',
  'keys',
  'values',
  'entries',
  'has',
  'length',
  'toJSON',
  'equals',
  'constructor',
  '__proto__',
  'toString',
  'valueOf',
  'hasOwnProperty',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toLocaleString',
  'then',
] as const;

const RESERVED: ReadonlySet<string> = new Set(RESERVED_NAMES);

/** Column names that never become row properties; read those columns with `row.get(name)`. */
export type ReservedColumnName = (typeof RESERVED_NAMES)[number];

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

const AMBIGUOUS = -1;

/**
 * The column layout of one result, shared by all its rows: names in order, a name → position
 * index, and a row prototype with one getter per column. Rows are then a values array plus this
 * shape, with no per-row Proxy and no per-row property definitions.
 *
 * Not part of the public API.
 */
export class RowShape {
  readonly names: readonly string[];
  readonly #positions: ReadonlyMap<string, number>;
  readonly #RowClass: new (
    values: unknown[],
    shape: RowShape,
  ) => RowBase;

  constructor(names: readonly string[]) {
    this.names = names;
    const positions = new Map<string, number>();
    names.forEach((name, index) => {
      positions.set(name, positions.has(name) ? AMBIGUOUS : index);
    });
    this.#positions = positions;
    const RowClass = class Row extends RowBase {};
    const prototype = RowClass.prototype;
    for (const [name, index] of positions) {
      if (RESERVED.has(name)) continue;
      Object.defineProperty(prototype, name, {
        enumerable: true,
        configurable: false,
        get:
          index === AMBIGUOUS
            ? () => {
                throw new AmbiguousColumnError(name);
              }
            : function (this: RowBase) {
                return RowBase.valuesOf(this)[index];
              },
      });
    }
    this.#RowClass = RowClass;
  }

  /** Position of `name`; throws for shared names, `undefined` for unknown ones. */
  position(name: string): number | undefined {
    const index = this.#positions.get(name);
    if (index === AMBIGUOUS) throw new AmbiguousColumnError(name);
    return index;
  }

  hasColumn(name: string): boolean {
    return this.#positions.has(name);
  }

  /** A row of this shape over `values` (one entry per column, in order). */
  row<Row>(values: unknown[]): RowProxy<Row> {
    return new this.#RowClass(values, this) as unknown as RowProxy<Row>;
  }
}

/** Methods every row has, next to its columns. */
export interface RowMethods<Row> {
  /** The value of column `name`. @throws AmbiguousColumnError, InterfaceError (no such column) */
  get<K extends keyof Row & string>(name: K): Row[K];
  /** The value at position `index` (negative counts from the end), or `undefined`. */
  at(index: number): unknown;
  /** Column names in order, duplicates included. */
  keys(): string[];
  /** Values in column order. */
  values(): unknown[];
  /** `[name, value]` pairs in column order, duplicates included. */
  entries(): [string, unknown][];
  /** True when the row has a column called `name`. */
  has(name: string): boolean;
  /** Number of columns. */
  readonly length: number;
  /** A plain object of the row. @throws AmbiguousColumnError when column names repeat */
  toJSON(): Row;
  /** Structural equality with another row, an array of values or a plain object. */
  equals(other: unknown): boolean;
}

/**
 * A row of a `ResultProxy`: the columns as properties (`row.name`), plus {@link RowMethods}.
 * A column named like a method (`keys`, `get`, `length` …, see {@link ReservedColumnName}) is
 * read with `row.get('keys')`; the method keeps its name, and the type says so.
 *
 * The columns are getters on a prototype shared by all rows of one column layout, so a row has
 * no own properties: `{ ...row }` and `Object.keys(row)` are empty. Use `row.toJSON()` (or
 * `JSON.stringify(row)`) for a plain object and `row.entries()` for the pairs.
 *
 * @example
 * ```ts
 * const row = (await conn.execute(db.selectFrom('users').select(['id', 'name']))).first();
 * row?.name; row?.get('id'); row?.at(0); JSON.stringify(row);
 * ```
 */
export type RowProxy<Row> = Omit<Row, ReservedColumnName> & RowMethods<Row>;

/** @internal */
class RowBase {
  readonly #values: unknown[];
  readonly #shape: RowShape;

  constructor(values: unknown[], shape: RowShape) {
    this.#values = values;
    this.#shape = shape;
  }

  /** The values array of `row` (for the per-shape column getters). */
  static valuesOf(row: RowBase): unknown[] {
    return row.#values;
  }

  get<K extends string>(name: K): unknown {
    const index = this.#shape.position(name);
    if (index === undefined) {
      throw new InterfaceError(
        `no column named "${name}" in this row (columns: ${this.#shape.names.join(', ')})`,
      );
    }
    return this.#values[index];
  }

  at(index: number): unknown {
    return this.#values.at(index);
  }

  keys(): string[] {
    return [...this.#shape.names];
  }

  values(): unknown[] {
    return [...this.#values];
  }

  entries(): [string, unknown][] {
    return this.#shape.names.map((name, index) => [name, this.#values[index]]);
  }

  has(name: string): boolean {
    return this.#shape.hasColumn(name);
  }

  get length(): number {
    return this.#values.length;
  }

  toJSON(): Record<string, unknown> {
    const plain: Record<string, unknown> = {};
    const names = this.#shape.names;
    for (let index = 0; index < names.length; index++) {
      const name = names[index] as string;
      if (Object.hasOwn(plain, name)) throw new AmbiguousColumnError(name);
      plain[name] = this.#values[index];
    }
    return plain;
  }

  /** `console.log(row)` shows the columns (duplicates numbered), not an empty object. */
  [INSPECT](): object {
    const shown = new InspectedRow();
    this.#shape.names.forEach((name, index) => {
      let key = name;
      for (let n = 2; Object.hasOwn(shown, key); n++) key = `${name} (${n})`;
      (shown as Record<string, unknown>)[key] = this.#values[index];
    });
    return shown;
  }

  equals(other: unknown): boolean {
    if (other === this) return true;
    if (other instanceof RowBase) {
      return (
        deepEqual(this.#shape.names, other.#shape.names) && deepEqual(this.#values, other.#values)
      );
    }
    if (Array.isArray(other)) return deepEqual(this.#values, other);
    if (other !== null && typeof other === 'object') {
      const keys = Object.keys(other);
      return (
        keys.length === this.#values.length &&
        this.#shape.names.every(
          (name, index) =>
            Object.hasOwn(other, name) &&
            deepEqual(this.#values[index], (other as Record<string, unknown>)[name]),
        )
      );
    }
    return false;
  }
}

/** Gives `console.log(row)` the class name `RowProxy`. */
class InspectedRow {
  static {
    Object.defineProperty(this, 'name', { value: 'RowProxy' });
  }
}

/** True when `value` is a row made by pgsa. */
export function isRowProxy(value: unknown): value is RowProxy<Record<string, unknown>> {
  return value instanceof RowBase;
}
