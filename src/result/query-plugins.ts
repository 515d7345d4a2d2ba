import type { CompiledQuery, KyselyPlugin } from 'kysely';

/**
 * The Kysely plugins each compiled query went through, keyed by the `CompiledQuery` object
 * itself. Not by its `QueryId`: a builder and its `withPlugin()` copies share one, yet only the
 * copy's plugins shaped the copy's SQL; each `compile()` returns a new object, which names
 * exactly one executor's plugins. Only queries compiled with plugins are recorded, so the
 * common case costs one failed lookup.
 */
const recorded = new WeakMap<object, readonly KyselyPlugin[]>();

/**
 * Records that `compiled` was compiled through `plugins` (their `transformQuery` shaped its
 * SQL), so whoever runs it can apply their `transformResult` to its rows. Called by pgsa's
 * Kysely executor; an empty list records nothing.
 *
 * @internal
 */
export function recordPlugins(compiled: CompiledQuery, plugins: readonly KyselyPlugin[]): void {
  if (plugins.length > 0) recorded.set(compiled, plugins);
}

/**
 * The plugins whose `transformResult` the rows of `compiled` must go through, or `undefined`
 * when there are none (SQL strings, queries compiled without plugins, and queries compiled by
 * a Kysely whose executor is not pgsa's, whose plugins cannot be known).
 *
 * @internal
 */
export function pluginsOf(compiled: object): readonly KyselyPlugin[] | undefined {
  return recorded.get(compiled);
}
