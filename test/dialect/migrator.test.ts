import { readFileSync } from 'node:fs';
import {
  type Kysely,
  Kysely as KyselyClass,
  type Migration,
  type MigrationResultSet,
  Migrator,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  sql,
} from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { useEngines, type TestEngine } from '../support/engine-fixture.js';
import { observe, useTestDatabase } from '../support/test-database.js';

// Kysely's Migrator on pgsa: its advisory lock must hold until the migration's transaction has
// ended (Kysely 0.28 takes a session-level pg_advisory_lock on one connection from
// db.connection(), runs the transaction on that same connection, then unlocks), so two
// migrators started at once apply each migration once.

const db = useTestDatabase();
const engines = useEngines(db, { defaults: { minSize: 1, maxSize: 3 } });

const TABLES = 'migration_runs, migrated_a, migrated_b, pgsa_migration, pgsa_migration_lock';

afterEach(async () => {
  await observe(db.url, `drop table if exists ${TABLES}`);
});

/** Two migrations, each recording that it ran (and dawdling, so migrators overlap). */
function migrations(): Record<string, Migration> {
  const step = (table: string): Migration => ({
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations take Kysely<any>
    async up(trx: Kysely<any>) {
      await sql`create table if not exists migration_runs (name text not null)`.execute(trx);
      await sql`insert into migration_runs values (${table})`.execute(trx);
      await sql`select pg_sleep(0.2)`.execute(trx);
      await trx.schema.createTable(table).addColumn('id', 'integer').execute();
    },
  });
  return { '001_a': step('migrated_a'), '002_b': step('migrated_b') };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the Migrator takes Kysely<any>
function migratorOn(kysely: Kysely<any>): Migrator {
  return new Migrator({
    db: kysely,
    provider: { getMigrations: async () => migrations() },
    migrationTableName: 'pgsa_migration',
    migrationLockTableName: 'pgsa_migration_lock',
  });
}

/** Runs both to the latest migration at once; expects neither to fail. */
async function migrateTogether(first: Migrator, second: Migrator): Promise<string[][]> {
  const sets: MigrationResultSet[] = await Promise.all([
    first.migrateToLatest(),
    second.migrateToLatest(),
  ]);
  for (const set of sets) expect(set.error).toBeUndefined();
  return sets.map((set) => (set.results ?? []).map((r) => `${r.migrationName}:${r.status}`));
}

async function expectAppliedOnce(...used: TestEngine[]): Promise<void> {
  const runs = await observe<{ name: string }>(db.url, 'select name from migration_runs order by name');
  expect(runs.map((row) => row.name)).toEqual(['migrated_a', 'migrated_b']);
  const applied = await observe<{ name: string }>(db.url, 'select name from pgsa_migration order by name');
  expect(applied.map((row) => row.name)).toEqual(['001_a', '002_b']);
  for (const engine of used) expect(engine.stats().inUse).toBe(0);
}

describe("Kysely's Migrator", () => {
  it('applies each migration once when two run at once on engine.dialect', async () => {
    const [one, two] = [await engines.make(), await engines.make()];
    const results = await migrateTogether(
      migratorOn(new KyselyClass({ dialect: one.dialect })),
      migratorOn(new KyselyClass({ dialect: two.dialect })),
    );
    expect(results.flat().sort()).toEqual(['001_a:Success', '002_b:Success']);
    await expectAppliedOnce(one, two);
  });

  it('applies each migration once when two run at once on engine.db', async () => {
    const [one, two] = [await engines.make(), await engines.make()];
    const results = await migrateTogether(migratorOn(one.db), migratorOn(two.db));
    expect(results.flat().sort()).toEqual(['001_a:Success', '002_b:Success']);
    await expectAppliedOnce(one, two);
  });

  it('holds its advisory lock around the migration transaction, on one pooled connection', async () => {
    const engine = await engines.make();
    await migratorOn(engine.db).migrateToLatest();
    const statements = engine.captured.sql;
    // Kysely 0.28 takes a session lock in db.connection() and runs the transaction inside it.
    const lock = statements.findIndex((s) => s.includes('pg_advisory_lock('));
    const begin = statements.indexOf('BEGIN');
    const commit = statements.lastIndexOf('COMMIT');
    const unlock = statements.findIndex((s) => s.includes('pg_advisory_unlock('));
    expect(lock).toBeGreaterThanOrEqual(0);
    expect([lock < begin, begin < commit, commit < unlock]).toEqual([true, true, true]);
    const pids = new Set(engine.captured.events.slice(lock, unlock + 1).map((e) => e.backendPid));
    expect(pids.size).toBe(1);
    expect(engine.stats().inUse).toBe(0);
  });

  it('rolls back a failing migration and releases its connection', async () => {
    const engine = await engines.make();
    const failing = new Migrator({
      db: engine.db,
      provider: {
        getMigrations: async () => ({
          '001_broken': {
            // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations take Kysely<any>
            async up(trx: Kysely<any>) {
              await trx.schema.createTable('migrated_a').addColumn('id', 'integer').execute();
              await sql`select 1 / 0`.execute(trx);
            },
          },
        }),
      },
      migrationTableName: 'pgsa_migration',
      migrationLockTableName: 'pgsa_migration_lock',
    });
    const { error, results } = await failing.migrateToLatest();
    expect((error as { code?: string }).code).toBe('22012');
    expect(results).toEqual([{ migrationName: '001_broken', direction: 'Up', status: 'Error' }]);
    expect(await observe(db.url, "select to_regclass('migrated_a') as t")).toEqual([{ t: null }]);
    expect(engine.stats().inUse).toBe(0);
  });
});

describe("the dialect's parts come from the application's Kysely", () => {
  it("builds Kysely's PostgreSQL adapter, compiler and introspector of the one installed copy", async () => {
    const engine = await engines.make();
    const kysely = new KyselyClass({ dialect: engine.dialect });
    expect(engine.dialect.createAdapter()).toBeInstanceOf(PostgresAdapter);
    expect(engine.dialect.createQueryCompiler()).toBeInstanceOf(PostgresQueryCompiler);
    expect(engine.dialect.createIntrospector(kysely)).toBeInstanceOf(PostgresIntrospector);
    expect(engine.db.getExecutor().adapter).toBeInstanceOf(PostgresAdapter);
  });

  it('declares kysely as a peer dependency, never a bundled one', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      dependencies?: Record<string, string>;
      peerDependencies?: Record<string, string>;
    };
    expect(pkg.dependencies?.['kysely']).toBeUndefined();
    expect(pkg.peerDependencies?.['kysely']).toMatch(/^\^0\.28\./);
  });
});
