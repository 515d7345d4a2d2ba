import {
  type CompiledQuery,
  type ConnectionProvider,
  DefaultQueryExecutor,
  type DialectAdapter,
  type KyselyPlugin,
  type QueryCompiler,
  type QueryResult,
  type UnknownRow,
} from 'kysely';
import type pg from 'pg';
import { toKyselyResult } from './connection-adapter.js';

/** Runs an autocommit statement on the pipelined path, or `undefined` to use the pool. @internal */
export type AutocommitRunner = (
  sql: string,
  parameters: readonly unknown[],
) => Promise<pg.QueryResult> | undefined;

/**
 * The query executor of `engine.db`: a single statement executed outside any transaction goes
 * to the engine's pipelined connections; everything that needs a connection of its own
 * (`transaction()`, `connection()`, streams, and statements the pipeline refuses) takes Kysely's
 * usual path, which acquires one from the pool. Kysely routes all of those through
 * `provideConnection` / `withConnectionProvider`, and only one-off statements through
 * `executeQuery` on this executor, which is what makes the split safe.
 *
 * @internal
 */
export class PipelinedQueryExecutor extends DefaultQueryExecutor {
  readonly #compiler: QueryCompiler;
  readonly #adapter: DialectAdapter;
  readonly #provider: ConnectionProvider;
  readonly #run: AutocommitRunner;

  constructor(
    compiler: QueryCompiler,
    adapter: DialectAdapter,
    provider: ConnectionProvider,
    plugins: KyselyPlugin[],
    run: AutocommitRunner,
  ) {
    super(compiler, adapter, provider, plugins);
    this.#compiler = compiler;
    this.#adapter = adapter;
    this.#provider = provider;
    this.#run = run;
  }

  override async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const pending = this.#run(compiledQuery.sql, compiledQuery.parameters);
    if (pending === undefined) return super.executeQuery<R>(compiledQuery);
    let result = toKyselyResult<UnknownRow>(await pending);
    for (const plugin of this.plugins) {
      result = await plugin.transformResult({ result, queryId: compiledQuery.queryId });
    }
    return result as QueryResult<R>;
  }

  override withPlugins(plugins: ReadonlyArray<KyselyPlugin>): PipelinedQueryExecutor {
    return this.#with([...this.plugins, ...plugins]);
  }

  override withPlugin(plugin: KyselyPlugin): PipelinedQueryExecutor {
    return this.#with([...this.plugins, plugin]);
  }

  override withPluginAtFront(plugin: KyselyPlugin): PipelinedQueryExecutor {
    return this.#with([plugin, ...this.plugins]);
  }

  override withoutPlugins(): PipelinedQueryExecutor {
    return this.#with([]);
  }

  /** A connection of its own (transaction, `connection()`): Kysely's plain executor. */
  override withConnectionProvider(provider: ConnectionProvider): DefaultQueryExecutor {
    return new DefaultQueryExecutor(this.#compiler, this.#adapter, provider, [...this.plugins]);
  }

  #with(plugins: KyselyPlugin[]): PipelinedQueryExecutor {
    return new PipelinedQueryExecutor(this.#compiler, this.#adapter, this.#provider, plugins, this.#run);
  }
}
