import fc from 'fast-check';
import {
  type ComparisonOperator,
  DefaultQueryCompiler,
  type Dialect,
  type Expression,
  Kysely,
  PostgresAdapter,
  PostgresDialect,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type QueryCompiler,
  sql,
  type SqlBool,
} from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { DIRECT_VISITS, PgsaQueryCompiler } from '../../src/dialect/pgsa-query-compiler.js';
import { useEngines } from '../support/engine-fixture.js';
import { useTestDatabase } from '../support/test-database.js';

// pgsa's compiler (src/dialect/pgsa-query-compiler.ts) replaces Kysely's node dispatch: the
// protected parts of Kysely it relies on must exist on the installed version, and it must
// compile every query to exactly the SQL and parameters Kysely's own PostgreSQL compiler does.

/** A Kysely that only compiles (its pool never connects): Kysely's compiler or pgsa's. */
function compilingKysely(compiler: () => QueryCompiler): Kysely<Record<string, Record<string, unknown>>> {
  const pool = { connect: () => Promise.reject(new Error('compile only')), end: () => Promise.resolve() };
  const postgres = new PostgresDialect({ pool });
  const dialect: Dialect = {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => postgres.createDriver(),
    createIntrospector: (db) => new PostgresIntrospector(db),
    createQueryCompiler: compiler,
  };
  return new Kysely({ dialect });
}

const stock = compilingKysely(() => new PostgresQueryCompiler());
const pgsa = compilingKysely(() => new PgsaQueryCompiler());

afterAll(async () => {
  await stock.destroy();
  await pgsa.destroy();
});

describe("the parts of Kysely's compiler pgsa's relies on", () => {
  it('has the visitNode field, the node stack and every method called directly', () => {
    const compiler = new PostgresQueryCompiler() as unknown as Record<string, unknown>;
    expect(typeof compiler.visitNode).toBe('function');
    expect(Object.hasOwn(compiler, 'visitNode')).toBe(true);
    expect(Array.isArray(compiler.nodeStack)).toBe(true);
    const proto = PostgresQueryCompiler.prototype as unknown as Record<string, unknown>;
    for (const method of DIRECT_VISITS) expect(typeof proto[method], method).toBe('function');
  });

  it('has the output methods pgsa overrides, so its private SQL and parameters stay unused', () => {
    const proto = DefaultQueryCompiler.prototype as unknown as Record<string, unknown>;
    for (const method of ['append', 'addParameter', 'getSql', 'getCurrentParameterPlaceholder', 'appendValue']) {
      expect(typeof proto[method], method).toBe('function');
    }
    expect(typeof Object.getOwnPropertyDescriptor(DefaultQueryCompiler.prototype, 'numParameters')?.get).toBe('function');
    // appendValue numbers a value through the overridden methods: what pgsa's placeholders rely on.
    const compiler = new PgsaQueryCompiler();
    const query = pgsa.selectFrom('t').select('a').where('a', 'in', [1, 2, 3]).toOperationNode();
    expect(compiler.compileQuery(query, { queryId: 'q' }).sql).toBe('select "a" from "t" where "a" in ($1, $2, $3)');
  });
});

type Db = Kysely<Record<string, Record<string, unknown>>>;

/** Both compilers' output for the same builder. */
function both(build: (db: Db) => { compile(): { sql: string; parameters: readonly unknown[] } }) {
  const expected = build(stock).compile();
  const actual = build(pgsa).compile();
  return {
    expected: { sql: expected.sql, parameters: expected.parameters },
    actual: { sql: actual.sql, parameters: actual.parameters },
  };
}

// Identifiers with quotes, dots-free (a dot would be read as a schema or table separator),
// spaces and non-ASCII: everything sanitizeIdentifier must quote correctly.
const identifier = fc
  .stringMatching(/^[a-zA-Z_"' ÿé0-9]{1,12}$/)
  .filter((s) => !s.includes(' as ') && s.trim() === s && s.length > 0);
const value = fc.oneof(fc.integer(), fc.string(), fc.boolean(), fc.constant(null), fc.double({ noNaN: true }));
const operator = fc.constantFrom<ComparisonOperator>('=', '<>', '<', '>=', 'like', 'is', 'is not');

describe('PgsaQueryCompiler', () => {
  it('compiles generated selects, inserts, updates and deletes exactly as Kysely does', () => {
    fc.assert(
      fc.property(
        identifier,
        fc.array(identifier, { minLength: 1, maxLength: 5 }),
        fc.array(fc.tuple(identifier, operator, value), { maxLength: 4 }),
        fc.option(identifier, { nil: undefined }),
        fc.array(value, { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        (table, columns, conditions, schema, list, useOr) => {
          const from = schema === undefined ? table : `${schema}.${table}`;
          const where = (db: Db) =>
            db
              .selectFrom(`${from} as t`)
              .select(columns.map((c) => `t.${c}` as const))
              .select((eb) => eb.ref(columns[0] as string).as('first'))
              .where((eb) => {
                const terms: Expression<SqlBool>[] = conditions.map(([c, op, v]) => eb(c, op, v) as Expression<SqlBool>);
                terms.push(eb(columns[0] as string, 'in', list));
                const first = columns[0] as string;
                terms.push(eb(first, 'in', db.selectFrom(table).select(first).where(first, '>', 1)));
                return useOr ? eb.or(terms) : eb.and(terms);
              })
              .orderBy(sql.ref(columns[0] as string))
              .limit(10);
          const select = both(where);
          expect(select.actual).toEqual(select.expected);

          const first = columns[0] as string;
          const joined = both((db) =>
            db
              .selectFrom(`${from} as t`)
              .innerJoin(`${table} as u`, (join) => join.onRef(`t.${first}`, '=', `u.${first}`).on(`u.${first}`, '<>', list[0]))
              .leftJoin(`${table} as v`, `v.${first}`, `u.${first}`)
              .selectAll('t')
              .where((eb) => eb.parens(`t.${first}`, '=', list[0]))
              .orderBy(sql.ref(`u.${first}`), 'desc')
              .limit(5)
              .offset(list.length),
          );
          expect(joined.actual).toEqual(joined.expected);

          const row = Object.fromEntries(columns.map((c, i) => [c, list[i % list.length]]));
          const insert = both((db) => db.insertInto(from).values([row, row]).returning(columns));
          expect(insert.actual).toEqual(insert.expected);

          const upsert = both((db) =>
            db
              .insertInto(from)
              .values(row)
              .onConflict((oc) => (useOr ? oc.column(first).doNothing() : oc.column(first).doUpdateSet(row)))
              .returningAll(),
          );
          expect(upsert.actual).toEqual(upsert.expected);

          const update = both((db) =>
            db
              .updateTable(from)
              .set(row)
              .set((eb) => ({ [columns[0] as string]: eb(columns[0] as string, '+', 1) }))
              .where(columns[0] as string, '=', list[0]),
          );
          expect(update.actual).toEqual(update.expected);

          const remove = both((db) => db.deleteFrom(from).where(sql.ref(columns[0] as string), 'is not', null));
          expect(remove.actual).toEqual(remove.expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('gives each compile its own frozen result and parameter list, as Kysely does', () => {
    const compiler = new PgsaQueryCompiler();
    const node = (id: number) => pgsa.selectFrom('users').select('id').where('id', '=', id).toOperationNode();
    const first = compiler.compileQuery(node(1), { queryId: 'a' });
    const second = compiler.compileQuery(node(2), { queryId: 'b' });
    expect(Object.isFrozen(first)).toBe(true);
    expect(first.parameters).toEqual([1]);
    expect(second.parameters).toEqual([2]);
    expect(first.parameters).not.toBe(second.parameters);
    expect(first.sql).toBe(second.sql);
    // Placeholders past the precomputed ones are still numbered.
    const many = Array.from({ length: 70 }, (_, i) => i);
    const wide = compiler.compileQuery(pgsa.selectFrom('t').select('a').where('a', 'in', many).toOperationNode(), {
      queryId: 'c',
    });
    expect(wide.sql).toContain('$64, $65, $66');
    expect(wide.sql.endsWith('$70)')).toBe(true);
    expect(wide.parameters).toEqual(many);
    // Every node a compile pushed is popped again, whichever dispatch visited it.
    const joined = pgsa
      .selectFrom('t')
      .innerJoin('u', (join) => join.onRef('t.a', '=', 'u.a').on('u.b', '>', 1))
      .selectAll('t')
      .where('t.a', 'in', pgsa.selectFrom('v').select('a').where('b', '=', 2))
      .orderBy('t.a')
      .limit(1)
      .offset(2);
    compiler.compileQuery(joined.toOperationNode(), { queryId: 'd' });
    expect((compiler as unknown as { nodeStack: unknown[] }).nodeStack).toEqual([]);
  });

  it('compiles the same statement again from an empty node stack after a compile that threw', () => {
    const compiler = new PgsaQueryCompiler();
    const good = pgsa.selectFrom('users').select('id').where('id', '=', 1).toOperationNode();
    const bad = pgsa.selectFrom('users').select('id').where('id', '=', 1).modifyEnd(sql.raw('')).toOperationNode();
    // A non-string identifier makes Kysely's compiler throw in the middle of the tree.
    const table = { kind: 'SchemableIdentifierNode', identifier: { kind: 'IdentifierNode', name: 42 } };
    const broken = { ...good, from: { kind: 'FromNode', froms: [{ kind: 'TableNode', table }] } };
    expect(() => compiler.compileQuery(broken as typeof good, { queryId: 'q' })).toThrow(
      'a non-string identifier was passed to compileUnwrappedIdentifier.',
    );
    expect(compiler.compileQuery(good, { queryId: 'q' }).sql).toBe('select "id" from "users" where "id" = $1');
    expect(compiler.compileQuery(bad, { queryId: 'q' }).sql).toBe('select "id" from "users" where "id" = $1 ');
    // Every node pushed was popped.
    expect((compiler as unknown as { nodeStack: unknown[] }).nodeStack).toEqual([]);
  });
});

describe('engine.db with quoted identifiers, on the server', () => {
  const db = useTestDatabase();
  const engines = useEngines(db, {
    defaults: { minSize: 1, maxSize: 2 },
    setup: 'create table "we""ird" ("i""d" int primary key, "na me" text)',
  });

  it('writes and reads a table whose names need quoting', async () => {
    const engine = await engines.make<Record<string, Record<string, unknown>>>();
    await engine.db.insertInto('we"ird').values({ 'i"d': 1, 'na me': 'x' }).execute();
    await engine.db.updateTable('we"ird').set({ 'na me': 'y' }).where('i"d', '=', 1).execute();
    const rows = await engine.db.selectFrom('we"ird').select(['i"d', 'na me']).where('i"d', 'in', [1, 2]).execute();
    expect(rows).toEqual([{ 'i"d': 1, 'na me': 'y' }]);
  });
});
