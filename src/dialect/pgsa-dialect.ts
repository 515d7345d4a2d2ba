import {
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  type QueryCompiler,
} from 'kysely';
import { PgsaQueryCompiler } from './pgsa-query-compiler.js';

/**
 * A Kysely `Dialect` whose driver is pgsa's (`PgsaDriver` over an engine's pool). It is
 * only a factory: PostgreSQL's adapter (with the Migrator's lock) and introspector come from
 * the application's Kysely (`kysely` is a peer dependency: one copy); its compiler is Kysely's
 * PostgreSQL compiler with a faster node dispatch (same SQL).
 *
 * Transaction statements (`BEGIN …`, `COMMIT`, `ROLLBACK`, a ControlledTransaction's
 * savepoints) run through the Kysely connection's `executeQuery`, so the Kysely's `log` sees
 * them as it sees every query; errors are pgsa's classes with pg's `code` (the SQLSTATE).
 *
 * A Kysely made from it runs every query on a pooled connection (released afterwards) and its
 * transactions as pgsa transactions, like `engine.db`. Unlike `engine.db` it has Kysely's own
 * query executor: it never takes the pipelined path, and plugins passed to it apply to its own
 * `execute()` / `stream()` but are invisible to `conn.execute(builder)` (build on
 * `engine.db.withPlugin(…)` for that).
 *
 * @example
 * ```ts
 * const db = new Kysely<Database>({ dialect: engine.dialect, log: ['query', 'error'] });
 * const users = await db.selectFrom('users').selectAll().execute();
 * // SQL: select * from "users"  (on a connection from engine's pool)
 * await db
 *   .transaction()
 *   .setIsolationLevel('serializable')
 *   .execute((trx) => trx.insertInto('users').values({ name: 'ann' }).execute());
 * // logged: BEGIN ISOLATION LEVEL SERIALIZABLE; insert into "users" …; COMMIT
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
    return new PgsaQueryCompiler();
  }

  createAdapter(): DialectAdapter {
    return new PostgresAdapter();
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Kysely's Dialect interface takes Kysely<any>
  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new PostgresIntrospector(db);
  }
}
