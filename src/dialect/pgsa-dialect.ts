import {
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type QueryCompiler,
} from 'kysely';

/**
 * A Kysely `Dialect` whose driver is pgsa's (`PgsaDriver` over an engine's pool). It is
 * only a factory: PostgreSQL's compiler, adapter and introspector come from Kysely.
 *
 * A Kysely made from it runs every query on a pooled connection (released afterwards) and its
 * transactions as pgsa transactions, like `engine.db`. Unlike `engine.db` it has Kysely's own
 * query executor: it never takes the pipelined path, and plugins passed to it apply to its own
 * `execute()` / `stream()` but are invisible to `conn.execute(builder)` (build on
 * `engine.db.withPlugin(…)` for that).
 *
 * @example
 * ```ts
 * const db = new Kysely<Database>({ dialect: engine.dialect, log: ['error'] });
 * const users = await db.selectFrom('users').selectAll().execute();
 * // SQL: select * from "users"  (on a connection from engine's pool)
 * ```
 */
export class PgsaDialect implements Dialect {
  readonly #createDriver: () => Driver;

  /** @internal */
  constructor(createDriver: () => Driver) {
    this.#createDriver = createDriver;
  }

  createDriver(): Driver {
    return this.#createDriver();
  }

  createQueryCompiler(): QueryCompiler {
    return new PostgresQueryCompiler();
  }

  createAdapter(): DialectAdapter {
    return new PostgresAdapter();
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Kysely's Dialect interface takes Kysely<any>
  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new PostgresIntrospector(db);
  }
}
