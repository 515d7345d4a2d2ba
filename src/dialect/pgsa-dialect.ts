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
 * A Kysely `Dialect` whose driver is pgsa's (an engine's pool, or one connection). It is only a
 * factory: PostgreSQL's compiler, adapter and introspector come from Kysely.
 *
 * @example
 * ```ts
 * const db = new Kysely<Database>({ dialect: engine.dialect }); // same as engine.db
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
