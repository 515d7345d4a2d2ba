import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { Database } from '../../schema/database.js';
import {
  type Engine,
  InterfaceError,
  isRowProxy,
  newSession,
  ProgrammingError,
  QueryCanceledError,
  type SAConnection,
  type Session,
  UniqueViolationError,
} from '../../src/index.js';
import { useEngines } from '../support/engine-fixture.js';
import { EMPTY_USERS } from '../support/sample-tables.js';
import { observe, useTestDatabase } from '../support/test-database.js';
import { rejection } from '../support/rejection.js';

const db = useTestDatabase();
const engines = useEngines(db, { defaults: { minSize: 1, maxSize: 3 }, reset: EMPTY_USERS });

/** The calls the three targets share, with the same signatures. */
type Runner = Pick<SAConnection<Database>, 'execute' | 'fetch' | 'fetchRow' | 'fetchVal'>;

/** Each target of the conveniences, with what closes it. */
const TARGETS: readonly {
  name: string;
  open: () => Promise<{ on: Runner; engine: Engine<Database>; done: () => Promise<void> }>;
}[] = [
  {
    name: 'engine (pipelined)',
    open: async () => {
      const engine = await engines.make({ pipelineConnections: 1 });
      return { on: engine, engine, done: async () => {} };
    },
  },
  {
    name: 'engine (pool)',
    open: async () => {
      const engine = await engines.make({ pipelineConnections: 0 });
      return { on: engine, engine, done: async () => {} };
    },
  },
  {
    name: 'connection',
    open: async () => {
      const engine = await engines.make();
      const conn = await engine.acquire();
      return { on: conn, engine, done: () => conn.close() };
    },
  },
  {
    name: 'session',
    open: async () => {
      const engine = await engines.make();
      const session = await newSession(engine);
      return {
        on: session,
        engine,
        done: async () => {
          await session.commit();
          await session.close();
        },
      };
    },
  },
];

const seed = () =>
  observe(db.url, "insert into users (name) values ('ann'), ('bob'), (null) returning id");

describe.each(TARGETS)('fetch* on $name', ({ open }) => {
  it('fetch returns every row as a RowProxy, from a SQL string with params', async () => {
    await seed();
    const { on, done } = await open();
    try {
      const rows = await on.fetch<{ id: number; name: string | null }>(
        'select id, name from users where id > $1 order by id',
        [1],
      );
      expect(rows.map((row) => row.toJSON())).toEqual([
        { id: 2, name: 'bob' },
        { id: 3, name: null },
      ]);
      expect(rows.every((row) => isRowProxy(row))).toBe(true);
      expect(rows[0]?.at(1)).toBe('bob');
    } finally {
      await done();
    }
  });

  it('fetch runs a Kysely builder and a sql template', async () => {
    await seed();
    const { on, engine, done } = await open();
    try {
      const built = await on.fetch(engine.db.selectFrom('users').select(['id', 'name']).orderBy('id'));
      expect(built.map((row) => row.name)).toEqual(['ann', 'bob', null]);
      const templated = await on.fetch(sql<{ n: number }>`select ${41}::int + 1 as n`);
      expect(templated.map((row) => row.n)).toEqual([42]);
      const compiled = await on.fetch(engine.db.selectFrom('users').select('id').where('name', '=', 'bob').compile());
      expect(compiled.map((row) => row.id)).toEqual([2]);
    } finally {
      await done();
    }
  });

  it('fetchRow returns the first row, or null when there is none', async () => {
    await seed();
    const { on, engine, done } = await open();
    try {
      const row = await on.fetchRow(engine.db.selectFrom('users').select(['id', 'name']).orderBy('id', 'desc'));
      expect(row?.toJSON()).toEqual({ id: 3, name: null });
      expect(await on.fetchRow('select id from users where id = $1', [99])).toBeNull();
      // A statement that returns no rows at all: null, not an error.
      expect(await on.fetchRow("update users set name = 'x' where id = $1", [99])).toBeNull();
    } finally {
      await done();
    }
  });

  it('fetchVal returns the first column by default, or a column picked by position or name', async () => {
    await seed();
    const { on, engine, done } = await open();
    try {
      expect(await on.fetchVal('select count(*)::int as n, 7 as seven from users')).toBe(3);
      expect(await on.fetchVal('select $1::int as a, $2::text as b', [1, 'two'], { column: 1 })).toBe('two');
      expect(await on.fetchVal('select $1::int as a, $2::text as b', [1, 'two'], { column: -2 })).toBe(1);
      const name = await on.fetchVal(
        engine.db.selectFrom('users').select(['id', 'name']).where('id', '=', 2),
        { column: 'name' },
      );
      expect(name).toBe('bob');
      expect(await on.fetchVal('select id from users where id = $1', [99])).toBeNull();
    } finally {
      await done();
    }
  });

  it('fetchVal with a column the result does not have is an InterfaceError listing its columns', async () => {
    const { on, done } = await open();
    try {
      const byName = await rejection(on.fetchVal('select 1 as a, 2 as b', { column: 'c' }), InterfaceError);
      expect(byName.message).toBe('fetchVal: no column named "c" in the result (its columns are: a, b)');
      const byIndex = await rejection(on.fetchVal('select 1 as a', [], { column: 3 }), InterfaceError);
      expect(byIndex.message).toBe(
        'fetchVal: no column at position 3 in the result (1 columns; its columns are: a)',
      );
      // Checked even when no row comes back.
      const empty = await rejection(on.fetchVal('select 1 as a where false', { column: 'b' }), InterfaceError);
      expect(empty.message).toContain('its columns are: a');
    } finally {
      await done();
    }
  });

  it('execute returns a ResultProxy and writes are committed', async () => {
    const { on, done } = await open();
    try {
      const result = await on.execute("insert into users (name) values ($1) returning id", ['cy']);
      expect(result.rowCount).toBe(1);
      expect(result.fetchAll().map((row) => row.id)).toEqual([1]);
    } finally {
      await done();
    }
    expect(await observe(db.url, 'select name from users')).toEqual([{ name: 'cy' }]);
  });

  it('a server error arrives typed, with the SQLSTATE', async () => {
    const { on, done } = await open();
    try {
      const error = await rejection(on.fetch('select * from no_such_table'), ProgrammingError);
      expect(error.sqlstate).toBe('42P01');
      expect(error.message).toContain('"no_such_table" does not exist');
    } finally {
      if ('rollback' in on) await (on as Session<Database>).rollback();
      await done();
    }
  });
});

describe('engine.fetch*', () => {
  it('runs on the pipelined connections when they are on (no pooled connection taken)', async () => {
    const engine = await engines.make({ pipelineConnections: 1, minSize: 1 });
    const before = engine.stats().acquires;
    expect(await engine.fetchVal('select $1::int + 1', [1])).toBe(2);
    await engine.fetch('select $1::text as a', ['x']);
    await engine.fetchRow('select 1 as a');
    expect(engine.stats().acquires).toBe(before);
  });

  it('with a statementTimeoutMs takes a pooled connection it can cancel on', async () => {
    const engine = await engines.make({ pipelineConnections: 1, minSize: 1 });
    const before = engine.stats().acquires;
    const error = await rejection(engine.fetchVal('select pg_sleep(5)', [], { statementTimeoutMs: 50 }), QueryCanceledError);
    expect(error.sqlstate).toBe('57014');
    expect(engine.stats().acquires).toBe(before + 1);
    expect(engine.stats().inUse).toBe(0);
  });

  it('takes a pooled connection, released afterwards, when the pipeline is off', async () => {
    const engine = await engines.make({ pipelineConnections: 0, minSize: 1 });
    const before = engine.stats().acquires;
    expect(await engine.fetchVal('select 5')).toBe(5);
    expect(engine.stats().acquires).toBe(before + 1);
    expect(engine.stats().inUse).toBe(0);
  });

  it('releases the pooled connection when the statement fails', async () => {
    const engine = await engines.make({ pipelineConnections: 0 });
    await engine.execute("insert into users (name) values ('dup')");
    await rejection(
      engine.execute('insert into users (id, name) values ($1, $2)', [1, 'again']),
      UniqueViolationError,
    );
    expect(engine.stats().inUse).toBe(0);
  });

  it('rejects params with a builder with an InterfaceError', async () => {
    const engine = await engines.make();
    const error = await rejection(
      engine.fetch(engine.db.selectFrom('users').selectAll() as never, [1] as never),
      InterfaceError,
    );
    expect(error.message).toBe('params are only accepted with a SQL string');
  });
});
