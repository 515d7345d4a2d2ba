import type { KyselyPlugin, QueryId } from 'kysely';

/**
 * The Kysely plugins each compiled query went through, keyed by the query's `QueryId` object
 * (Kysely makes one per builder and hands the same object to `transformQuery`,
 * `compileQuery` and `transformResult`). Only queries compiled with plugins are recorded, so
 * the common case costs one failed lookup.
 */
const recorded = new WeakMap<QueryId, readonly KyselyPlugin[]>();

/**
 * Records that the query `queryId` was compiled through `plugins` (their `transformQuery`
 * shaped its SQL), so whoever runs it can apply their `transformResult` to its rows. Called by
 * pgsa's Kysely executor; an empty list records nothing.
 *
 * @internal
 */
export function recordPlugins(queryId: QueryId, plugins: readonly KyselyPlugin[]): void {
  if (plugins.length > 0) recorded.set(queryId, plugins);
}

/**
 * The plugins whose `transformResult` the rows of `query` must go through, or `undefined`
 * when there are none (SQL strings, queries compiled without plugins, and queries compiled by
 * a Kysely whose executor is not pgsa's: their plugins cannot be known).
 *
 * @internal
 */
export function pluginsOf(query: { readonly queryId?: QueryId }): readonly KyselyPlugin[] | undefined {
  const queryId = query.queryId;
  return queryId === undefined ? undefined : recorded.get(queryId);
}
