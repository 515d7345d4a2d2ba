/**
 * The `types` option of `createEngine`: how an engine's connections decode the built-in types
 * whose JavaScript form is a choice. Per engine: two engines in one process may choose
 * differently, and pg's process-wide `pg.types` is never changed.
 */
export interface TypeOptions {
  /**
   * `int8` (`bigint`, `bigserial`, `count(*)`): `'string'` (default, as pg: every digit kept),
   * `'bigint'` (a JavaScript `bigint`), or `'number'` (a `DataError` for a value beyond
   * ±(2^53 − 1) instead of a silently rounded one).
   */
  readonly bigint?: 'string' | 'bigint' | 'number' | undefined;
  /**
   * `numeric`: `'string'` (default: every digit kept) or `'number'` (rounded to the nearest
   * double; `NaN` and `±Infinity` become those numbers).
   */
  readonly numeric?: 'string' | 'number' | undefined;
  /**
   * `date`: `'string'` (default, `YYYY-MM-DD` as the server wrote it, also `infinity`) or
   * `'Date'` (midnight UTC of that day, so `toISOString()` starts with it; `±infinity` become
   * `±Infinity` numbers).
   */
  readonly date?: 'string' | 'Date' | undefined;
  /** `json` and `jsonb`: `'parse'` (default: `JSON.parse`) or `'string'` (the text). */
  readonly json?: 'parse' | 'string' | undefined;
  /**
   * `timestamp` (without time zone): `'Date'` (default, as pg: read in the process's local
   * time zone; microseconds are cut to milliseconds) or `'string'` (the server's text, every
   * microsecond kept).
   */
  readonly timestamp?: 'Date' | 'string' | undefined;
  /**
   * `timestamptz`: `'Date'` (default, as pg; microseconds are cut to milliseconds) or
   * `'string'` (the server's text in the session's `TimeZone`, every microsecond kept).
   */
  readonly timestamptz?: 'Date' | 'string' | undefined;
  /**
   * `interval`: `'object'` (default, as pg: `{ years, months, days, hours, minutes, seconds,
   * milliseconds }` with a `toPostgres()`) or `'string'` (the server's text).
   */
  readonly interval?: 'object' | 'string' | undefined;
  /** `bytea`: `'Buffer'` (default) or `'string'` (the server's `\x…` hex text). */
  readonly bytea?: 'Buffer' | 'string' | undefined;
}

/** {@link TypeOptions} with every choice made, frozen. Not part of the public API. */
export type ResolvedTypeOptions = { readonly [K in keyof TypeOptions]-?: NonNullable<TypeOptions[K]> };

const CHOICES: { readonly [K in keyof TypeOptions]-?: readonly NonNullable<TypeOptions[K]>[] } = {
  bigint: ['string', 'bigint', 'number'],
  numeric: ['string', 'number'],
  date: ['string', 'Date'],
  json: ['parse', 'string'],
  timestamp: ['Date', 'string'],
  timestamptz: ['Date', 'string'],
  interval: ['object', 'string'],
  bytea: ['Buffer', 'string'],
};

/**
 * Validates the `types` option and fills in the defaults (the first choice of each).
 *
 * @throws TypeError naming the key for an unknown key or a value that is not one of its
 *   choices (the message lists them).
 * @internal
 */
export function resolveTypeOptions(input: TypeOptions | undefined): ResolvedTypeOptions {
  if (input !== undefined && (input === null || typeof input !== 'object')) {
    throw new TypeError('types must be an object such as { bigint: \'bigint\' }');
  }
  const given = (input ?? {}) as Record<string, unknown>;
  const unknown = Object.keys(given).filter((key) => !Object.hasOwn(CHOICES, key));
  if (unknown.length > 0) {
    throw new TypeError(
      `unknown types option(s): ${unknown.join(', ')} (known: ${Object.keys(CHOICES).join(', ')})`,
    );
  }
  const resolved: Record<string, string> = {};
  for (const [key, choices] of Object.entries(CHOICES) as [string, readonly string[]][]) {
    const value = given[key];
    if (value === undefined) {
      resolved[key] = choices[0] as string;
    } else if (typeof value === 'string' && choices.includes(value)) {
      resolved[key] = value;
    } else {
      throw new TypeError(
        `types.${key} must be one of ${choices.map((c) => `'${c}'`).join(', ')}, got ${String(value)}`,
      );
    }
  }
  return Object.freeze(resolved) as ResolvedTypeOptions;
}
