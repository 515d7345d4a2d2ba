import type { Kysely } from 'kysely';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../schema/database.js';
import {
  OperationalError,
  type SAConnection,
  StaleStatementError,
} from '../../src/index.js';
import { observe, useTestDatabase, withClient } from '../support/test-database.js';
import { useEngines } from '../support/engine-fixture.js';
import { rejection } from '../support/rejection.js';

const db = useTestDatabase();
// One connection, no pipeline: every statement of a test runs on the same cached connection.
const engines = useEngines(db, { defaults: { minSize: 1, maxSize: 1, pipelineConnections: 0 } });

const SELECT_ITEM = 'select * from items where id = $1';

beforeAll(async () => {
  await withClient(db.url, async (client) => {
    await client.query('create table items (id int primary key, label text)');
    await client.query("insert into items values (1, 'one'), (2, 'two')");
  });
});

afterEach(async () => {
  // Each test may have altered items: put its shape back.
  await observe(db.url, 'alter table items drop column if exists extra');
  await observe(db.url, 'delete from items where id > 2');
});

function preparedStatements(conn: SAConnection<Database>) {
  return conn
    .execute('select statement from pg_prepared_statements order by prepare_time')
    .then((r) => r.fetchAll().map((row) => row.get('statement')));
}

describe('automatic prepared-statement cache', () => {
  it('prepares a parameterized statement on the server on first use and reuses it', async () => {
    const e = await engines.make();
    await using conn = await e.acquire();
    await conn.execute(SELECT_ITEM, [1]);
    await conn.execute(SELECT_ITEM, [2]);
    expect(await preparedStatements(conn)).toEqual([SELECT_ITEM]);
  });

  it('keeps the cache across acquires of the same physical connection', async () => {
    const e = await engines.make();
    const first = await e.acquire();
    await first.execute(SELECT_ITEM, [1]);
    const pid = first.backendPid;
    await first.close();
    await using second = await e.acquire();
    expect(second.backendPid).toBe(pid);
    await second.execute(SELECT_ITEM, [2]);
    expect(await preparedStatements(second)).toEqual([SELECT_ITEM]);
  });

  it('deallocates the least recently used statement when the cache is full', async () => {
    const e = await engines.make({ statementCacheSize: 2 });
    await using conn = await e.acquire();
    await conn.execute('select $1::int as a', [1]);
    await conn.execute('select $1::int as b', [1]);
    await conn.execute('select $1::int as a', [1]);
    await conn.execute('select $1::int as c', [1]);
    expect(await preparedStatements(conn)).toEqual(['select $1::int as a', 'select $1::int as c']);
  });

  it('prepares nothing when statementCacheSize is 0', async () => {
    const e = await engines.make({ statementCacheSize: 0 });
    await using conn = await e.acquire();
    await conn.execute(SELECT_ITEM, [1]);
    expect(await preparedStatements(conn)).toEqual([]);
  });

  it('without the cache, returns the same rows on every path (arrays, objects, pipelined)', async () => {
    const e = await engines.make({ statementCacheSize: 0, pipelineConnections: 1 });
    await using conn = await e.acquire();
    expect((await conn.execute(SELECT_ITEM, [1])).first()?.toJSON()).toEqual({ id: 1, label: 'one' });
    expect((await conn.execute('select 1 as a, 2 as a')).first()?.at(1)).toBe(2);
    expect(await conn.scalar('select count(*)::int from items')).toBe(2);
    const typed = conn.db as unknown as Kysely<{ items: { id: number; label: string } }>;
    expect(await typed.selectFrom('items').select(['id', 'label']).where('id', '=', 2).execute()).toEqual([
      { id: 2, label: 'two' },
    ]);
    const pooled = e.db as unknown as Kysely<{ items: { id: number; label: string } }>;
    expect(await pooled.selectFrom('items').select('id').orderBy('id').execute()).toEqual([{ id: 1 }, { id: 2 }]);
    expect(await preparedStatements(conn)).toEqual([]);
  });

  it('rejects a negative statementCacheSize', async () => {
    expect(await rejection(engines.make({ statementCacheSize: -1 }), TypeError)).toEqual(
      new TypeError('statementCacheSize must be a non-negative integer, got -1'),
    );
  });
});

describe('cache invalidation outside a transaction', () => {
  it('re-prepares and retries transparently after the result type changed', async () => {
    const e = await engines.make();
    const events = e.captured.events;
    await using conn = await e.acquire();
    expect((await conn.execute(SELECT_ITEM, [1])).keys()).toEqual(['id', 'label']);
    await observe(db.url, 'alter table items add column extra int default 7');
    const row = (await conn.execute(SELECT_ITEM, [1])).first();
    expect(row?.toJSON()).toEqual({ id: 1, label: 'one', extra: 7 });
    // One statement, one echo line: the retry is invisible.
    expect(events.filter((event) => event.sql === SELECT_ITEM)).toHaveLength(2);
    expect(events.every((event) => event.error === undefined)).toBe(true);
  });

  it('re-prepares and retries transparently after DEALLOCATE ALL dropped the statement', async () => {
    const e = await engines.make();
    await using conn = await e.acquire();
    await conn.execute(SELECT_ITEM, [1]);
    await conn.execute('deallocate all');
    const row = (await conn.execute(SELECT_ITEM, [2])).first();
    expect(row?.toJSON()).toEqual({ id: 2, label: 'two' });
    expect(await preparedStatements(conn)).toEqual([SELECT_ITEM]);
  });

  it('retries an INSERT at most once, so it is applied exactly once', async () => {
    const e = await engines.make();
    await using conn = await e.acquire();
    const insert = 'insert into items (id, label) values ($1, $2) returning *';
    await conn.execute(insert, [3, 'three']);
    await observe(db.url, 'alter table items add column extra int');
    const result = await conn.execute(insert, [4, 'four']);
    expect(result.keys()).toEqual(['id', 'label', 'extra']);
    expect(await observe(db.url, 'select id from items where id > 2 order by id')).toEqual([
      { id: 3 },
      { id: 4 },
    ]);
  });
});

describe('cache invalidation inside a transaction', () => {
  it('raises StaleStatementError after a schema change, and the transaction is rolled back', async () => {
    const e = await engines.make();
    await using conn = await e.acquire();
    await conn.execute(SELECT_ITEM, [1]);
    await observe(db.url, 'alter table items add column extra int');
    await conn.execute('begin');
    await conn.execute("insert into items (id, label) values (10, 'uncommitted')");
    const failure = await rejection(conn.execute(SELECT_ITEM, [1]), StaleStatementError);
    expect(failure).toBeInstanceOf(OperationalError);
    expect(failure).toMatchObject({
      sqlstate: '0A000',
      message:
        'cached prepared statement is no longer valid (result type changed: cached plan must ' +
        'not change result type); the transaction is aborted: roll it back and run it again ' +
        '(the statement will be prepared afresh)',
    });
    expect(conn.inTransaction).toBe(true);
    await conn.execute('rollback');
    expect(await observe(db.url, 'select id from items where id = 10')).toEqual([]);
    // Prepared afresh on next use.
    expect((await conn.execute(SELECT_ITEM, [1])).keys()).toEqual(['id', 'label', 'extra']);
  });

  it('raises StaleStatementError when the statement was deallocated inside the transaction', async () => {
    const e = await engines.make();
    await using conn = await e.acquire();
    await conn.execute(SELECT_ITEM, [1]);
    await conn.execute('begin');
    await conn.execute("insert into items (id, label) values (11, 'uncommitted')");
    await conn.execute('deallocate all');
    const failure = await rejection(conn.execute(SELECT_ITEM, [1]), StaleStatementError);
    expect(failure).toMatchObject({ sqlstate: '26000' });
    expect(failure.message).toMatch(
      /^cached prepared statement is no longer valid \(missing: prepared statement "pgsa_\d+" does not exist\); the transaction is aborted/,
    );
    await conn.execute('rollback');
    expect(await observe(db.url, 'select id from items where id = 11')).toEqual([]);
    expect((await conn.execute(SELECT_ITEM, [2])).first()?.toJSON()).toEqual({ id: 2, label: 'two' });
  });
});
