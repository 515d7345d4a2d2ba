/**
 * A parameter sent as JSON text: `json(value)` for a `json`/`jsonb` parameter whose value is an
 * array (node-postgres would send an array as a PostgreSQL array literal, `{1,2}`, which is not
 * JSON) or a string, number or boolean that must arrive as a JSON value. Plain objects are sent as
 * JSON without it.
 *
 * @example
 * ```ts
 * await conn.execute('insert into events (tags) values ($1)', [json(['a', 'b'])]); // '["a","b"]'
 * await conn.execute('select $1::jsonb', [json('text')]); // '"text"'
 * ```
 */
export class JsonParameter {
  /** The value, sent as `JSON.stringify(value)`. */
  readonly value: unknown;

  constructor(value: unknown) {
    this.value = value;
  }

  /** node-postgres' hook: the JSON text (a bigint inside is refused as a ProgrammingError). */
  toPostgres(): string {
    return JSON.stringify(this.value) ?? 'null';
  }
}

/**
 * Wraps `value` so it is sent as JSON text (see {@link JsonParameter}).
 *
 * @example
 * ```ts
 * await engine.execute('select $1::jsonb as doc', [json([1, 2, 3])]);
 * ```
 */
export function json(value: unknown): JsonParameter {
  return new JsonParameter(value);
}
