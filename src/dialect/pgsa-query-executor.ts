import {
  type CompiledQuery,
  type ConnectionProvider,
  DefaultQueryExecutor,
  type DialectAdapter,
  type KyselyPlugin,
  type QueryCompiler,
  type QueryId,
  type QueryResult,
  type RootOperationNode,
  type UnknownRow,
} from 'kysely';
import { recordPlugins } from '../result/query-plugins.js';
import type { AutocommitRunner } from './kysely-host.js';
import { toKyselyResult } from './target-connection.js';

/**
 * The query executor of every pgsa Kysely (`engine.db`, `conn.db`, `session.db`, and every
 * `withPlugin`, `transaction()` and `connection()` copy of them). On top of Kysely's own:
 *
 * - It records which plugins each compiled query went through, so `conn.execute(builder)`,
 *   `conn.stream(builder)` and `conn.scalar(builder)`, which run the compiled SQL themselves,
 *   apply those plugins' `transformResult` as Kysely's `execute()` would.
 * - With an `autocommit` runner (`engine.db`), a single statement executed outside any
 *   transaction goes to the engine's pipelined connections; everything that needs a
 *   connection of its own (`transaction()`, `connection()`, streams, statements the pipeline
 *   refuses) takes Kysely's usual path, which acquires one. Kysely routes all of those through
 *   `provideConnection` / `withConnectionProvider`, and only one-off statements through
 *   `executeQuery` on this executor, which is what makes the split safe.
 *
 * @internal
 */
export class PgsaQueryExecutor extends DefaultQueryExecutor {
  readonly #compiler: QueryCompiler;
  readonly #adapter: DialectAdapter;
  readonly #provider: ConnectionProvider;
  readonly #autocommit: AutocommitRunner | undefined;

  constructor(
    compiler: QueryCompiler,
    adapter: DialectAdapter,
    provider: ConnectionProvider,
    plugins: readonly KyselyPlugin[],
    autocommit: AutocommitRunner | undefined,
  ) {
    // Every caller passes a list nobody mutates: no copy needed.
    super(compiler, adapter, provider, plugins as KyselyPlugin[]);
    this.#compiler = compiler;
    this.#adapter = adapter;
    this.#provider = provider;
    this.#autocommit = autocommit;
  }

  override compileQuery(node: RootOperationNode, queryId: QueryId): CompiledQuery {
    const compiled = super.compileQuery(node, queryId);
    // Kysely's builders compile on the executor whose plugins transformed the node.
    if (this.plugins.length > 0) recordPlugins(compiled, this.plugins);
    return compiled;
  }

  override async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const pending = this.#autocommit?.(compiledQuery.sql, compiledQuery.parameters);
    if (pending === undefined) return super.executeQuery<R>(compiledQuery);
    let result = toKyselyResult<UnknownRow>(await pending);
    for (const plugin of this.plugins) {
      result = await plugin.transformResult({ result, queryId: compiledQuery.queryId });
    }
    return result as QueryResult<R>;
  }

  override withPlugins(plugins: ReadonlyArray<KyselyPlugin>): PgsaQueryExecutor {
    return this.#with([...this.plugins, ...plugins], this.#provider, this.#autocommit);
  }

  override withPlugin(plugin: KyselyPlugin): PgsaQueryExecutor {
    return this.#with([...this.plugins, plugin], this.#provider, this.#autocommit);
  }

  override withPluginAtFront(plugin: KyselyPlugin): PgsaQueryExecutor {
    return this.#with([plugin, ...this.plugins], this.#provider, this.#autocommit);
  }

  override withoutPlugins(): PgsaQueryExecutor {
    return this.#with([], this.#provider, this.#autocommit);
  }

  /** A connection of its own (transaction, `connection()`): never the pipelined path. */
  override withConnectionProvider(provider: ConnectionProvider): PgsaQueryExecutor {
    return this.#with(this.plugins, provider, undefined);
  }

  #with(
    plugins: readonly KyselyPlugin[],
    provider: ConnectionProvider,
    autocommit: AutocommitRunner | undefined,
  ): PgsaQueryExecutor {
    return new PgsaQueryExecutor(this.#compiler, this.#adapter, provider, plugins, autocommit);
  }
}
