/**
 * The Kysely schema of an engine created without one: `createEngine(options)` instead of
 * `createEngine<DB>(options)`. Its one table name is the instruction, so that
 * `engine.db.selectFrom('users')` fails to compile and the message says what is missing, where a
 * schema of `Record<string, never>` would accept every table and type every column as `never`.
 * Raw SQL (`conn.execute('select …', params)`, `sql` templates) is unaffected.
 */
export interface NoSchema {
  /** Not a table: pass the schema as the engine's type argument, `createEngine<DB>(…)`. */
  readonly 'no Kysely schema given: create the engine with createEngine<DB>(…)': never;
}
