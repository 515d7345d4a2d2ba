import { DefaultConnectionProvider, Kysely, PostgresAdapter } from 'kysely';
import type { KyselyHost, QueryTarget } from './kysely-host.js';
import { PgsaDialect } from './pgsa-dialect.js';
import { PgsaDriver } from './pgsa-driver.js';
import { PgsaQueryCompiler } from './pgsa-query-compiler.js';
import { type DirectConnection, PgsaQueryExecutor } from './pgsa-query-executor.js';
import { TargetConnection } from './target-connection.js';

/**
 * The compiler and adapter keep no state between calls (a compile is synchronous): one of each
 * serves every Kysely.
 */
const SHARED_COMPILER = new PgsaQueryCompiler();
const SHARED_ADAPTER = new PostgresAdapter();
const NO_PLUGINS = Object.freeze([]);

/**
 * A `Kysely<DB>` whose queries run on what `host` lends out, through {@link PgsaDriver} and
 * pgsa's executor (so `conn.execute(builder)` knows the builder's plugins). Built from shared
 * parts rather than through `new Kysely({ dialect })`: `conn.db` is made once per acquire, on
 * the hot path.
 *
 * @param dialect the dialect the Kysely reports (its introspector comes from it); the engine
 *   passes `engine.dialect`; by default one over the same driver.
 * @internal
 */
export function createKysely<DB, Target extends QueryTarget = QueryTarget>(
  host: KyselyHost<Target>,
  dialect?: PgsaDialect,
): Kysely<DB> {
  const driver = new PgsaDriver(host);
  const shown = dialect ?? new PgsaDialect(() => driver);
  const executor = new PgsaQueryExecutor(
    SHARED_COMPILER,
    SHARED_ADAPTER,
    new DefaultConnectionProvider(driver),
    NO_PLUGINS,
    host.autocommit,
    host.queryTarget && directConnection(host.queryTarget.bind(host)),
  );
  return new Kysely<DB>({ config: { dialect: shown }, dialect: shown, driver, executor });
}

/** A host's `queryTarget()` as a Kysely connection, made once per target. */
function directConnection<Target extends QueryTarget>(queryTarget: () => Target): DirectConnection {
  let connection: TargetConnection<Target> | undefined;
  return () => {
    const target = queryTarget();
    if (connection?.target !== target) connection = new TargetConnection(target);
    return connection;
  };
}
