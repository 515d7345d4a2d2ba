import {
  type CompiledQuery,
  type ConnectionProvider,
  type DatabaseConnection,
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
 * - With a `direct` connection (`conn.db`, `session.db`), a single statement outside any
 *   Kysely transaction runs on it without Kysely's acquire / release scope: five async frames
 *   and a connection object fewer per query. Transactions, `connection()` and streams still
 *   go through the provider.
 *
 * @internal
 */
export class PgsaQueryExecutor extends DefaultQueryExecutor {
  readonly #compiler: QueryCompiler;
  readonly #adapter: DialectAdapter;
  readonly #provider: ConnectionProvider;
  readonly #autocommit: AutocommitRunner | undefined;
  readonly #direct: DirectConnection | undefined;

  constructor(
    compiler: QueryCompiler,
    adapter: DialectAdapter,
    provider: ConnectionProvider,
    plugins: readonly KyselyPlugin[],
    autocommit: AutocommitRunner | undefined,
    direct?: DirectConnection,
  ) {
    // Every caller passes a list nobody mutates: no copy needed.
    super(compiler, adapter, provider, plugins as KyselyPlugin[]);
    this.#compiler = compiler;
    this.#adapter = adapter;
    this.#provider = provider;
    this.#autocommit = autocommit;
    this.#direct = direct;
  }

  override compileQuery(node: RootOperationNode, queryId: QueryId): CompiledQuery {
    const compiled = super.compileQuery(node, queryId);
    // Kysely's builders compile on the executor whose plugins transformed the node.
    if (this.plugins.length > 0) recordPlugins(compiled, this.plugins);
    return compiled;
  }

  override async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    let result: QueryResult<UnknownRow>;
    const pending = this.#autocommit?.(compiledQuery.sql, compiledQuery.parameters);
    if (pending !== undefined) result = toKyselyResult<UnknownRow>(await pending);
    else if (this.#direct !== undefined) result = await this.#direct().executeQuery<UnknownRow>(compiledQuery);
    else return super.executeQuery<R>(compiledQuery);
    for (const plugin of this.plugins) {
      result = await plugin.transformResult({ result, queryId: compiledQuery.queryId });
    }
    return result as QueryResult<R>;
  }

  override withPlugins(plugins: ReadonlyArray<KyselyPlugin>): PgsaQueryExecutor {
    return this.#withPlugins([...this.plugins, ...plugins]);
  }

  override withPlugin(plugin: KyselyPlugin): PgsaQueryExecutor {
    return this.#withPlugins([...this.plugins, plugin]);
  }

  override withPluginAtFront(plugin: KyselyPlugin): PgsaQueryExecutor {
    return this.#withPlugins([plugin, ...this.plugins]);
  }

  override withoutPlugins(): PgsaQueryExecutor {
    return this.#withPlugins([]);
  }

  /**
   * A connection of its own (transaction, `connection()`): every query through `provider`,
   * never the pipelined path or the direct connection.
   */
  override withConnectionProvider(provider: ConnectionProvider): PgsaQueryExecutor {
    return new PgsaQueryExecutor(this.#compiler, this.#adapter, provider, this.plugins, undefined);
  }

  #withPlugins(plugins: readonly KyselyPlugin[]): PgsaQueryExecutor {
    return new PgsaQueryExecutor(
      this.#compiler,
      this.#adapter,
      this.#provider,
      plugins,
      this.#autocommit,
      this.#direct,
    );
  }
}

/**
 * The connection a single statement runs on without an acquire / release scope (see
 * `KyselyHost.queryTarget`); throws when there is none to run on.
 *
 * @internal
 */
export type DirectConnection = () => DatabaseConnection;
