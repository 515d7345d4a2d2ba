import { quoteIdentifier } from '../sql/quote.js';

/**
 * How one PostgreSQL type, named to `engine.setTypeCodec` / `conn.setTypeCodec`, becomes a
 * JavaScript value and back (asyncpg's `set_type_codec`, text format).
 *
 * - `decode(text)` turns the server's text form of a value into what rows hold; arrays of the
 *   type decode to arrays of what `decode` returns. It is never called for NULL.
 * - `encode(value)` (optional) turns a parameter into the text the server parses: it is
 *   applied to the parameters of a statement prepared with `conn.prepare` whose type is this
 *   one (those are the statements whose parameter types pgsa knows before sending them).
 *   Without it, parameters are sent as node-postgres sends them (`toPostgres()` is honoured).
 * - `schema` (optional) qualifies the name; without it, the name is looked up as the server
 *   reads a type name in SQL (`search_path`, built-in aliases such as `int8`, `"Quoted"`).
 *
 * @example
 * ```ts
 * await engine.setTypeCodec('mood', { decode: (text) => text.toUpperCase() });
 * await engine.setTypeCodec('point2d', {
 *   schema: 'geo',
 *   decode: (text) => { const [x, y] = text.slice(1, -1).split(','); return { x: Number(x), y: Number(y) }; },
 *   encode: (p: { x: number; y: number }) => `(${p.x},${p.y})`,
 * });
 * ```
 */
export interface TypeCodec<T = unknown> {
  /** The schema of the type (default: the first one on the search path that has it). */
  readonly schema?: string | undefined;
  /** Turns the server's text form of a value into what rows hold (never called for NULL). */
  readonly decode: (text: string) => T;
  /** Turns a parameter value into the type's text form (prepared statements). */
  readonly encode?: ((value: T) => string) | undefined;
}

/** A codec with its type's name as the server is asked for it. Not part of the public API. */
export interface NamedCodec {
  /** What was registered, for messages: `geo.point2d`. */
  readonly label: string;
  /** The text given to `to_regtype`. */
  readonly regtype: string;
  readonly decode: (text: string) => unknown;
  readonly encode: ((value: unknown) => string) | undefined;
}

/**
 * Checks a `setTypeCodec` call's arguments and names the type for `to_regtype`.
 *
 * @throws TypeError for an empty type name, a codec without a `decode` function, an `encode`
 *   or `schema` of the wrong type.
 * @internal
 */
export function namedCodec<T>(typeName: unknown, codec: TypeCodec<T> | undefined): NamedCodec {
  if (typeof typeName !== 'string' || typeName.trim() === '') {
    throw new TypeError('setTypeCodec needs a type name, e.g. setTypeCodec(\'mood\', { decode })');
  }
  if (codec === null || typeof codec !== 'object' || typeof codec.decode !== 'function') {
    throw new TypeError(`setTypeCodec('${typeName}', codec): the codec needs a decode(text) function`);
  }
  if (codec.encode !== undefined && typeof codec.encode !== 'function') {
    throw new TypeError(`setTypeCodec('${typeName}', codec): encode must be a function`);
  }
  if (codec.schema !== undefined && (typeof codec.schema !== 'string' || codec.schema === '')) {
    throw new TypeError(`setTypeCodec('${typeName}', codec): schema must be a non-empty string`);
  }
  const schema = codec.schema;
  return Object.freeze({
    label: schema === undefined ? typeName : `${schema}.${typeName}`,
    regtype: schema === undefined ? typeName : `${quoteIdentifier(schema)}.${quoteIdentifier(typeName)}`,
    decode: codec.decode,
    encode: codec.encode as ((value: unknown) => string) | undefined,
  });
}
