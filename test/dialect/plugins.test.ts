import {
  CamelCasePlugin,
  type Compilable,
  Kysely,
  type KyselyPlugin,
  ParseJSONResultsPlugin,
  sql,
} from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type Engine,
  isRowProxy,
  newSession,
  type SAConnection,
} from '../../src/index.js';
import { observe, useTestDatabase } from '../support/test-database.js';
import {
  type CamelDatabase,
  DropNullsPlugin,
  LimitOnePlugin,
  ShoutNamesInPlacePlugin,
} from './plugin-fixtures.js';
import { useEngines } from '../support/engine-fixture.js';

const db = useTestDatabase();
let pipelined: Engine<CamelDatabase>;
let pooled: Engine<CamelDatabase>;
let annId: number;

const engines = useEngines<CamelDatabase>(db, { defaults: { minSize: 1, maxSize: 4 } });

beforeAll(async () => {
  // Made in beforeAll: both serve the whole file.
  pipelined = await engines.make();
  pooled = await engines.make({ pipelineConnections: 0 });
  const [ann] = await observe<{ id: number }>(
    db.url,
    "insert into users (name) values ('ann'), ('bob'), ('cy') returning id",
  );
  annId = ann?.id as number;
  await observe(db.url, "insert into emails (user_id, email, private) values ($1, 'ann@example.com', false)", [
    annId,
  ]);
});

/** A query built on whichever `Kysely` the path under test provides. */
type Query = (db: Kysely<CamelDatabase>) => Compilable<object> & {
  execute(): Promise<object[]>;
  stream(): AsyncIterable<object>;
};

/** One way of executing a builder: resolves with the rows the user gets. */
interface Path {
  readonly name: string;
  rows(query: Query, plugin: KyselyPlugin): Promise<unknown[]>;
}

async function onConnection<T>(fn: (conn: SAConnection<CamelDatabase>) => Promise<T>): Promise<T> {
  await using conn = await pipelined.acquire();
  return await fn(conn);
}

async function collect<T>(rows: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const row of rows) all.push(row);
  return all;
}

const paths: Path[] = [
  {
    name: 'conn.execute(builder of conn.db)',
    rows: (query, plugin) =>
      onConnection(async (conn) => (await conn.execute(query(conn.db.withPlugin(plugin)))).fetchAll()),
  },
  {
    name: 'conn.execute(builder of engine.db)',
    rows: (query, plugin) =>
      onConnection(async (conn) => (await conn.execute(query(pipelined.db.withPlugin(plugin)))).fetchAll()),
  },
  {
    name: 'conn.execute(compiled query)',
    rows: (query, plugin) =>
      onConnection(async (conn) =>
        (await conn.execute(query(conn.db.withPlugin(plugin)).compile())).fetchAll(),
      ),
  },
  {
    name: 'conn.stream(builder)',
    rows: (query, plugin) =>
      onConnection((conn) => conn.stream(query(conn.db.withPlugin(plugin)), { batchSize: 1 }).toArray()),
  },
  {
    name: 'conn.db…execute()',
    rows: (query, plugin) => onConnection((conn) => query(conn.db.withPlugin(plugin)).execute()),
  },
  {
    name: 'conn.db…stream()',
    rows: (query, plugin) => onConnection((conn) => collect(query(conn.db.withPlugin(plugin)).stream())),
  },
  {
    name: 'conn.db.transaction()',
    rows: (query, plugin) =>
      onConnection((conn) =>
        conn.db
          .withPlugin(plugin)
          .transaction()
          .execute((trx) => query(trx).execute()),
      ),
  },
  {
    name: 'engine.db…execute() on the pipelined path',
    rows: (query, plugin) => query(pipelined.db.withPlugin(plugin)).execute(),
  },
  {
    name: 'engine.db…execute() with pipelineConnections 0',
    rows: (query, plugin) => query(pooled.db.withPlugin(plugin)).execute(),
  },
  {
    name: 'engine.db.transaction()',
    rows: (query, plugin) =>
      pipelined.db
        .withPlugin(plugin)
        .transaction()
        .execute((trx) => query(trx).execute()),
  },
  {
    name: 'engine.db.connection()',
    rows: (query, plugin) =>
      pipelined.db
        .withPlugin(plugin)
        .connection()
        .execute((one) => query(one).execute()),
  },
  {
    name: 'engine.db…stream()',
    rows: (query, plugin) => collect(query(pipelined.db.withPlugin(plugin)).stream()),
  },
  {
    name: 'a Kysely of your own on engine.dialect',
    rows: (query, plugin) =>
      query(new Kysely<CamelDatabase>({ dialect: pipelined.dialect, plugins: [plugin] })).execute(),
  },
  {
    name: 'session.execute(builder of engine.db)',
    rows: async (query, plugin) => {
      await using session = await newSession(pipelined);
      return (await session.execute(query(pipelined.db.withPlugin(plugin)))).fetchAll();
    },
  },
  {
    name: 'session.db…execute()',
    rows: async (query, plugin) => {
      await using session = await newSession(pipelined);
      return await query(session.db.withPlugin(plugin)).execute();
    },
  },
  {
    name: 'session.stream(builder of session.db)',
    rows: async (query, plugin) => {
      await using session = await newSession(pipelined);
      return await session.stream(query(session.db.withPlugin(plugin)), { batchSize: 1 }).toArray();
    },
  },
  {
    name: 'session.db…stream()',
    rows: async (query, plugin) => {
      await using session = await newSession(pipelined);
      return await collect(query(session.db.withPlugin(plugin)).stream());
    },
  },
];

/** Rows as plain objects: `RowProxy.toJSON()`, or Kysely's objects as they are. */
function plain(rows: unknown[]): unknown[] {
  return rows.map((row) => (isRowProxy(row) ? row.toJSON() : row));
}

const emailsOfAnn = (kysely: Kysely<CamelDatabase>) =>
  kysely.selectFrom('emails').select(['userId', 'email']).orderBy('id');
const jsonText = (kysely: Kysely<CamelDatabase>) =>
  kysely.selectNoFrom(sql<{ a: number }>`'{"a": 1}'::text`.as('doc'));
const names = (kysely: Kysely<CamelDatabase>) =>
  kysely.selectFrom('users').select('name').orderBy('id');

describe('Kysely plugins on every execution path', () => {
  it.each(paths)('$name gives the rows under the names CamelCasePlugin maps them to', async (path) => {
    const rows = await path.rows(emailsOfAnn, new CamelCasePlugin());
    expect(plain(rows)).toEqual([{ userId: annId, email: 'ann@example.com' }]);
  });

  it.each(paths)('$name gives the values ParseJSONResultsPlugin parsed', async (path) => {
    const rows = await path.rows(jsonText, new ParseJSONResultsPlugin());
    expect(plain(rows)).toEqual([{ doc: { a: 1 } }]);
  });

  it.each(paths)('$name runs the SQL a plugin rewrote', async (path) => {
    const rows = await path.rows(names, new LimitOnePlugin());
    expect(plain(rows)).toEqual([{ name: 'ann' }]);
  });

  it('session.execute(builder of session.db) applies the plugins of session.db', async () => {
    await using session = await newSession(pipelined);
    const result = await session.execute(emailsOfAnn(session.db.withPlugin(new CamelCasePlugin())));
    expect(plain(result.fetchAll())).toEqual([{ userId: annId, email: 'ann@example.com' }]);
  });
});

describe('rows of conn.execute and conn.stream under plugins', () => {
  it('are RowProxy objects readable by the transformed names', async () => {
    await using conn = await pipelined.acquire();
    const camel = conn.db.withPlugin(new CamelCasePlugin());
    const result = await conn.execute(emailsOfAnn(camel));
    expect(result.keys()).toEqual(['userId', 'email']);
    const row = result.first();
    expect(isRowProxy(row)).toBe(true);
    expect(row?.userId).toBe(annId);
    expect(row?.get('userId')).toBe(annId);
    expect(row?.has('user_id')).toBe(false);
    expect(row?.keys()).toEqual(['userId', 'email']);
    expect(row?.entries()).toEqual([
      ['userId', annId],
      ['email', 'ann@example.com'],
    ]);
    expect(JSON.stringify(row)).toBe(`{"userId":${annId},"email":"ann@example.com"}`);
  });

  it('are RowProxy objects in a stream too', async () => {
    await using conn = await pipelined.acquire();
    const camel = conn.db.withPlugin(new CamelCasePlugin());
    const [row] = await conn.stream(emailsOfAnn(camel)).toArray();
    expect(isRowProxy(row)).toBe(true);
    expect(row?.userId).toBe(annId);
    expect(row?.keys()).toEqual(['userId', 'email']);
  });

  it('give conn.scalar the value the plugins produced', async () => {
    await using conn = await pipelined.acquire();
    const query = conn.db
      .withPlugin(new ParseJSONResultsPlugin())
      .selectNoFrom(sql<{ a: number }>`'{"a": 1}'::text`.as('doc'));
    expect(await conn.scalar(query)).toEqual({ a: 1 });
  });

  it('come from the plugins of the builder executed, not of a withPlugin copy sharing its query id', async () => {
    await using conn = await pipelined.acquire();
    const base = jsonText(conn.db);
    const parsed = base.withPlugin(new ParseJSONResultsPlugin());
    const compiledBase = base.compile();
    expect(plain((await conn.execute(parsed)).fetchAll())).toEqual([{ doc: { a: 1 } }]);
    expect(plain((await conn.execute(base)).fetchAll())).toEqual([{ doc: '{"a": 1}' }]);
    expect(plain((await conn.execute(compiledBase)).fetchAll())).toEqual([{ doc: '{"a": 1}' }]);
  });

  it('keep duplicate column names when the plugins hand the result back unchanged', async () => {
    await using conn = await pipelined.acquire();
    const query = conn.db
      .withPlugin(new LimitOnePlugin())
      .selectFrom('users')
      // Without CamelCasePlugin the column is spelled as the server knows it.
      .innerJoin('emails', (join) => join.on(sql<boolean>`emails.user_id = users.id`))
      .select(['users.id', 'emails.id']);
    const result = await conn.execute(query);
    expect(result.keys()).toEqual(['id', 'id']);
    expect(result.first()?.values()).toEqual([annId, expect.any(Number)]);
  });

  it('collapse duplicate column names (the last wins) under a plugin that transforms results', async () => {
    await using conn = await pipelined.acquire();
    const [email] = await observe<{ id: number }>(db.url, 'select id from emails');
    const query = conn.db
      .withPlugin(new CamelCasePlugin())
      .selectFrom('users')
      .innerJoin('emails', 'emails.userId', 'users.id')
      .select(['users.id', 'emails.id']);
    const row = (await conn.execute(query)).first();
    expect(row?.keys()).toEqual(['id']);
    expect(row?.id).toBe(email?.id);
  });

  it('show the changes of a plugin that edits the rows in place', async () => {
    await using conn = await pipelined.acquire();
    const result = await conn.execute(names(conn.db.withPlugin(new ShoutNamesInPlacePlugin())));
    expect(plain(result.fetchAll())).toEqual([{ name: 'ANN' }, { name: 'BOB' }, { name: 'CY' }]);
  });

  it('each have the columns the plugins left them, in a result and in a stream', async () => {
    await using conn = await pipelined.acquire();
    const query = sql<{ id: number; tag?: string }>`
      select * from (values (1, 'a'), (2, null), (3, 'c')) v (id, tag) order by id
    `.withPlugin(new DropNullsPlugin());
    const result = await conn.execute(query);
    expect(result.keys()).toEqual(['id', 'tag']);
    const rows = result.fetchAll();
    expect(rows.map((row) => row.keys())).toEqual([['id', 'tag'], ['id'], ['id', 'tag']]);
    expect(rows.map((row) => row.toJSON())).toEqual([{ id: 1, tag: 'a' }, { id: 2 }, { id: 3, tag: 'c' }]);
    const streamed = await conn.stream(query, { batchSize: 2 }).toArray();
    expect(streamed.map((row) => row.toJSON())).toEqual([{ id: 1, tag: 'a' }, { id: 2 }, { id: 3, tag: 'c' }]);
  });

  it('list the server column names for an empty result (no row to ask the plugins)', async () => {
    await using conn = await pipelined.acquire();
    const query = conn.db
      .withPlugin(new CamelCasePlugin())
      .selectFrom('emails')
      .select(['userId'])
      .where('id', '<', 0);
    const result = await conn.execute(query);
    expect(result.fetchAll()).toEqual([]);
    expect(result.keys()).toEqual(['user_id']);
  });

  it('leave statements through engine.db with plugins on the pipelined path', async () => {
    const before = pipelined.stats().acquires;
    const rows = await emailsOfAnn(pipelined.db.withPlugin(new CamelCasePlugin())).execute();
    expect(rows).toEqual([{ userId: annId, email: 'ann@example.com' }]);
    expect(pipelined.stats().acquires).toBe(before);
  });
});
