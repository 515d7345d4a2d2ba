import { Kysely, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../schema/database.js';
import { ResourceClosedError } from '../../src/index.js';
import { observe, useTestDatabase } from '../support/test-database.js';
import { useEngines } from '../support/engine-fixture.js';
import { countRows } from '../support/observers.js';
import { rejection } from '../support/rejection.js';

const db = useTestDatabase();
const engines = useEngines(db, { defaults: { minSize: 1, maxSize: 4 } });

beforeEach(async () => {
  await observe(db.url, "insert into users (name) select 'u' || n from generate_series(1, 5) n");
});

afterEach(async () => {
  await observe(db.url, 'truncate users, emails restart identity cascade');
});

describe('a Kysely of your own on engine.dialect', () => {
  it('runs each query on a pooled connection and returns it to the pool', async () => {
    const engine = await engines.make();
    const kysely = new Kysely<Database>({ dialect: engine.dialect });
    const rows = await kysely.selectFrom('users').select('name').orderBy('id').limit(2).execute();
    expect(rows).toEqual([{ name: 'u1' }, { name: 'u2' }]);
    expect(engine.stats()).toMatchObject({ acquires: 1, inUse: 0 });
  });

  it('runs its transactions as pgsa transactions on one pooled connection', async () => {
    const engine = await engines.make();
    const events = engine.captured.events;
    const kysely = new Kysely<Database>({ dialect: engine.dialect });
    await kysely.transaction().execute(async (trx) => {
      await trx.insertInto('users').values({ name: 'own' }).execute();
      await trx.insertInto('users').values({ name: 'kysely' }).execute();
    });
    expect(events.map((event) => event.sql.split(' ')[0])).toEqual(['BEGIN', 'insert', 'insert', 'COMMIT']);
    expect(new Set(events.map((event) => event.backendPid)).size).toBe(1);
    expect(await countRows(db.url, 'users')).toBe(7);
    expect(engine.stats().inUse).toBe(0);
  });

  it('leaves the engine open when it is destroyed', async () => {
    const engine = await engines.make();
    await new Kysely<Database>({ dialect: engine.dialect }).destroy();
    await engine.db.destroy();
    expect(engine.closed).toBe(false);
    expect(await engine.db.selectFrom('users').select('id').limit(1).execute()).toHaveLength(1);
  });
});

describe('engine.db', () => {
  it('runs every statement of connection() on one pooled connection', async () => {
    const engine = await engines.make();
    const pids = await engine.db.connection().execute(async (one) => {
      const first = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(one);
      const second = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(one);
      return [first.rows[0]?.pid, second.rows[0]?.pid];
    });
    expect(pids[0]).toBe(pids[1]);
    expect(engine.stats()).toMatchObject({ acquires: 1, inUse: 0 });
  });

  it('closes the cursor and releases the connection when a Kysely stream is left early', async () => {
    const engine = await engines.make();
    const names: (string | null)[] = [];
    for await (const row of engine.db.selectFrom('users').select('name').orderBy('id').stream(2)) {
      names.push(row.name);
      if (names.length === 3) break;
    }
    expect(names).toEqual(['u1', 'u2', 'u3']);
    expect(engine.stats().inUse).toBe(0);
  });
});

describe('conn.db', () => {
  it('refuses to run once its connection is closed', async () => {
    const engine = await engines.make();
    const conn = await engine.acquire();
    const kysely = conn.db;
    await conn.close();
    const error = await rejection(kysely.selectFrom('users').selectAll().execute(), ResourceClosedError);
    expect(error.message).toBe('cannot execute: the connection is closed');
  });

  it('streams through a cursor on its connection, inside its transaction', async () => {
    const engine = await engines.make();
    await using conn = await engine.acquire();
    await using tx = await conn.begin();
    await conn.db.insertInto('users').values({ name: 'uncommitted' }).execute();
    const names: (string | null)[] = [];
    for await (const row of conn.db.selectFrom('users').select('name').orderBy('id').stream(4)) {
      names.push(row.name);
    }
    expect(names.at(-1)).toBe('uncommitted');
    expect(names).toHaveLength(6);
    await tx.rollback();
  });
});
