import { CamelCasePlugin, Kysely, type LogEvent } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../schema/database.js';
import { newSession } from '../../src/index.js';
import { useEngines } from '../support/engine-fixture.js';
import { committedUsers } from '../support/observers.js';
import { observe, useTestDatabase } from '../support/test-database.js';

// The README's "Kysely compatibility" section, one test per claim that is not covered by
// kysely-transactions.test.ts, migrator.test.ts, plugins.test.ts or pgsa-driver.test.ts.

const db = useTestDatabase();
const engines = useEngines(db, { defaults: { minSize: 1, maxSize: 3 } });

beforeEach(async () => {
  await observe(db.url, "insert into users (name) select 'u' || n from generate_series(1, 5) n");
});

afterEach(async () => {
  await observe(db.url, 'truncate users, emails restart identity cascade');
});

describe('a Kysely of your own on engine.dialect', () => {
  it('streams through a cursor with its log seeing the stream, and releases the connection', async () => {
    const engine = await engines.make();
    const events: LogEvent[] = [];
    const kysely = new Kysely<Database>({ dialect: engine.dialect, log: (e) => void events.push(e) });
    const names: (string | null)[] = [];
    for await (const row of kysely.selectFrom('users').select('name').orderBy('id').stream(2)) {
      names.push(row.name);
    }
    expect(names).toEqual(['u1', 'u2', 'u3', 'u4', 'u5']);
    expect(events).toMatchObject([{ level: 'query', isStream: true }]);
    expect(engine.stats().inUse).toBe(0);
  });

  it('applies its plugins to its own queries', async () => {
    const engine = await engines.make();
    interface Camel {
      users: { id: number; name: string | null; birthday: Date | null };
    }
    const log: string[] = [];
    const kysely = new Kysely<Camel>({
      dialect: engine.dialect,
      plugins: [new CamelCasePlugin()],
      log: (event) => void log.push(event.query.sql),
    });
    const row = await kysely
      .selectFrom('users')
      .select(['name as fullName'])
      .orderBy('id')
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ fullName: 'u1' });
    expect(log).toEqual(['select "name" as "full_name" from "users" order by "id"']);
  });

  it('introspects the schema', async () => {
    const engine = await engines.make();
    const kysely = new Kysely<Database>({ dialect: engine.dialect });
    const tables = await kysely.introspection.getTables();
    const users = tables.find((table) => table.name === 'users');
    expect(users?.columns.map((column) => column.name)).toEqual(['id', 'name', 'birthday']);
    expect(engine.stats().inUse).toBe(0);
  });
});

describe('engine.db, conn.db and session.db', () => {
  it('introspect the schema through engine.db', async () => {
    const engine = await engines.make();
    const tables = await engine.db.introspection.getTables();
    expect(tables.map((table) => table.name)).toEqual(
      expect.arrayContaining(['users', 'emails', 'typed_values']),
    );
    expect(engine.stats().inUse).toBe(0);
  });

  it('take withSchema on engine.db, conn.db and session.db', async () => {
    const engine = await engines.make();
    const count = (kysely: Kysely<Database>): Promise<{ n: string | number | bigint }> =>
      kysely
        .withSchema('public')
        .selectFrom('users')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
    await using conn = await engine.acquire();
    await using session = await newSession(engine);
    const counts = await Promise.all([count(engine.db), count(conn.db), count(session.db)]);
    expect(counts.map((row) => Number(row.n))).toEqual([5, 5, 5]);
  });

  it('run a ControlledTransaction with withSchema on conn.db inside its connection', async () => {
    const engine = await engines.make();
    await using conn = await engine.acquire();
    const trx = await conn.db.startTransaction().execute();
    expect(conn.inTransaction).toBe(true);
    await trx.withSchema('public').insertInto('users').values({ name: 'schema' }).execute();
    const sp = await trx.savepoint('s').execute();
    await sp.withSchema('public').deleteFrom('users').execute();
    await (await sp.rollbackToSavepoint('s').execute()).commit().execute();
    expect(conn.inTransaction).toBe(false);
    expect(await committedUsers(db.url)).toEqual(['u1', 'u2', 'u3', 'u4', 'u5', 'schema']);
  });

  it('run a ControlledTransaction on engine.db on one pooled connection, released at the end', async () => {
    const engine = await engines.make();
    const trx = await engine.db.startTransaction().setIsolationLevel('serializable').execute();
    expect(engine.stats().inUse).toBe(1);
    await trx.insertInto('users').values({ name: 'serial' }).execute();
    await trx.commit().execute();
    expect(engine.captured.sql).toEqual([
      'BEGIN ISOLATION LEVEL SERIALIZABLE',
      'insert into "users" ("name") values ($1)',
      'COMMIT',
    ]);
    expect(engine.stats().inUse).toBe(0);
  });
});
