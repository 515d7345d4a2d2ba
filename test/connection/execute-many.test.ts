import { beforeEach, describe, expect, it } from 'vitest';
import {
  InterfaceError,
  ProgrammingError,
  QueryCanceledError,
  ResourceClosedError,
  UniqueViolationError,
} from '../../src/index.js';
import { observe, useTestDatabase, withClient } from '../support/test-database.js';
import { useEngines } from '../support/engine-fixture.js';
import { rejection } from '../support/rejection.js';
import { UNSENDABLE } from '../support/unsendable.js';
import { STATEMENT_CACHE, notThroughPgBouncer } from '../support/pgbouncer-pass.js';

interface Tables {
  many: { id: number; label: string | null };
}

const db = useTestDatabase();
const engines = useEngines<Tables>(db, { defaults: { minSize: 1, maxSize: 2, pipelineConnections: 0 } });

const INSERT = 'insert into many (id, label) values ($1, $2)';

beforeEach(async () => {
  await withClient(db.url, async (client) => {
    await client.query('drop table if exists many');
    await client.query('create table many (id int primary key, label text)');
  });
});

const stored = () => observe<{ id: number; label: string | null }>(db.url, 'select id, label from many order by id');
const countStored = async () => Number((await observe(db.url, 'select count(*) as n from many'))[0]?.n);

/** An engine whose echo events are collected. */
async function echoing(options: { statementCacheSize?: number } = {}) {
  const e = await engines.make(options);
  return { e, events: e.captured.events };
}

describe('executeMany', () => {
  it('runs the statement once per parameter set and returns the rows affected', async () => {
    const { e, events } = await echoing();
    await using conn = await e.acquire();
    const inserted = await conn.executeMany(INSERT, [
      [1, 'one'],
      [2, null],
      [3, 'three'],
    ]);
    expect(inserted).toBe(3);
    expect(await stored()).toEqual([
      { id: 1, label: 'one' },
      { id: 2, label: null },
      { id: 3, label: 'three' },
    ]);
    // One exchange: one statement seen by the echo hook, with the total count.
    expect(events.map(({ sql, rowCount }) => ({ sql, rowCount }))).toEqual([{ sql: INSERT, rowCount: 3 }]);
  });

  it('sends text, unicode, NULL and bytes the same as execute does', async () => {
    const e = await engines.make();
    await using conn = await e.acquire();
    await conn.execute('create temp table mixed (n int, t text, b bytea, j jsonb, d timestamptz, a int[])');
    const sets = [
      [1, 'plain', Buffer.from([0, 1, 255]), { k: 'v' }, new Date('2024-01-02T03:04:05.678Z'), [1, 2]],
      [2, 'ünïcødé 💡 ' + 'x'.repeat(70_000), Buffer.alloc(0), null, null, []],
      [3, null, null, JSON.stringify([1, 'a']), new Date(0), null],
    ];
    const insert = 'insert into mixed values ($1, $2, $3, $4, $5, $6)';
    expect(await conn.executeMany(insert, sets)).toBe(3);
    for (const set of sets) await conn.execute(insert, [Number(set[0]) + 10, ...set.slice(1)]);
    const rows = (await conn.execute('select * from mixed order by n')).fetchAll().map((row) => row.toJSON());
    expect(rows.slice(3).map((row) => ({ ...row, n: Number(row.n) - 10 }))).toEqual(rows.slice(0, 3));
    expect(rows[0]?.b).toEqual(Buffer.from([0, 1, 255]));
  });

  it('counts the rows of every execution of an UPDATE', async () => {
    const e = await engines.make();
    await using conn = await e.acquire();
    await conn.executeMany(INSERT, [[1, 'a'], [2, 'a'], [3, 'b']]);
    expect(await conn.executeMany('update many set label = $2 where label = $1', [['a', 'x'], ['b', 'y'], ['zzz', 'q']])).toBe(3);
    expect((await stored()).map((row) => row.label)).toEqual(['x', 'x', 'y']);
  });

  it('stores none of the sets when one fails outside a transaction (atomic)', async () => {
    const e = await engines.make();
    await using conn = await e.acquire();
    await conn.execute(INSERT, [100, 'committed before']);
    const error = await rejection(
      conn.executeMany(INSERT, [
        [1, 'a'],
        [2, 'b'],
        [1, 'duplicate'],
        [4, 'd'],
      ]),
      UniqueViolationError,
    );
    expect(error).toMatchObject({
      sqlstate: '23505',
      constraint: 'many_pkey',
      message: 'duplicate key value violates unique constraint "many_pkey"',
    });
    expect(await stored()).toEqual([{ id: 100, label: 'committed before' }]);
    expect(conn.inTransaction).toBe(false);
    expect(await conn.scalar('select 7')).toBe(7);
  });

  it('fails the enclosing transaction when a set fails inside one, and keeps nothing of it', async () => {
    const e = await engines.make();
    await using conn = await e.acquire();
    const tx = await conn.begin();
    await conn.execute(INSERT, [50, 'in the transaction']);
    await rejection(conn.executeMany(INSERT, [[1, 'a'], [1, 'again']]), UniqueViolationError);
    await rejection(tx.commit(), InterfaceError);
    expect(await countStored()).toBe(0);
    expect(conn.inTransaction).toBe(false);
  });

  it('commits with the transaction it runs in', async () => {
    const e = await engines.make();
    await e.transaction(async (conn) => {
      await conn.executeMany(INSERT, [[1, 'a'], [2, 'b']]);
      expect(await countStored()).toBe(0); // not visible outside before COMMIT
    });
    expect(await countStored()).toBe(2);
  });

  it('writes a long list while the socket drains, and stores every set', async () => {
    const e = await engines.make();
    await using conn = await e.acquire();
    const sets = Array.from({ length: 40_000 }, (_, i) => [i, `label ${i} ${'x'.repeat(40)}`]);
    expect(await conn.executeMany(INSERT, sets)).toBe(40_000);
    expect(await countStored()).toBe(40_000);
    expect(await conn.scalar('select max(id) from many')).toBe(39_999);
  });

  it('stores nothing when a set near the end of a long list fails, and the connection stays usable', async () => {
    const e = await engines.make();
    await using conn = await e.acquire();
    const sets: unknown[][] = Array.from({ length: 40_000 }, (_, i) => [i, 'ok']);
    sets[39_000] = [0, 'duplicate of the first'];
    await rejection(conn.executeMany(INSERT, sets), UniqueViolationError);
    expect(await countStored()).toBe(0);
    expect(await conn.scalar('select 8')).toBe(8);
  });

  it('refuses sets of different lengths with ProgrammingError before sending anything', async () => {
    const { e, events } = await echoing();
    await using conn = await e.acquire();
    const error = await rejection(conn.executeMany(INSERT, [[1, 'a'], [2]]), ProgrammingError);
    expect(error.message).toBe('executeMany: parameter set 1 has 1 values, set 0 has 2');
    expect(events).toEqual([]);
  });

  it('refuses a list that is not an array of arrays with TypeError', async () => {
    const e = await engines.make();
    await using conn = await e.acquire();
    const call = conn.executeMany as (sql: unknown, sets: unknown) => Promise<number>;
    expect(await rejection(call.call(conn, INSERT, [[1, 'a'], 'b']), TypeError)).toEqual(
      new TypeError('executeMany: parameter set 1 is not an array'),
    );
    expect(await rejection(call.call(conn, INSERT, { length: 1 }), TypeError)).toEqual(
      new TypeError('executeMany takes an array of parameter arrays'),
    );
    expect(await rejection(call.call(conn, e.db.selectFrom('many').selectAll(), []), TypeError)).toEqual(
      new TypeError('executeMany takes a SQL string with $1, $2 … placeholders'),
    );
  });

  it('sends nothing when one value cannot be sent, and the transaction stays usable', async () => {
    const e = await engines.make();
    await using conn = await e.acquire();
    await conn.execute('begin');
    const error = await rejection(conn.executeMany(INSERT, [[1, 'a'], [2, UNSENDABLE]]), ProgrammingError);
    expect(error.message).toBe('cannot send a parameter: this value refuses to be sent (parameter $2)');
    await conn.execute(INSERT, [3, 'after']);
    await conn.execute('commit');
    expect(await stored()).toEqual([{ id: 3, label: 'after' }]);
  });

  it('returns 0 for an empty list and sends nothing', async () => {
    const { e, events } = await echoing();
    await using conn = await e.acquire();
    expect(await conn.executeMany(INSERT, [])).toBe(0);
    expect(events).toEqual([]);
  });

  it('raises ResourceClosedError on a closed connection', async () => {
    const e = await engines.make();
    const conn = await e.acquire();
    await conn.close();
    const error = await rejection(conn.executeMany(INSERT, [[1, 'a']]), ResourceClosedError);
    expect(error.message).toBe('cannot execute: the connection is closed');
  });

  it('works without the statement cache (an unnamed statement)', async () => {
    const e = await engines.make({ statementCacheSize: 0 });
    await using conn = await e.acquire();
    expect(await conn.executeMany(INSERT, [[1, 'a'], [2, 'b']])).toBe(2);
    expect(await conn.executeMany(INSERT, [[3, 'c']])).toBe(1);
    expect(await countStored()).toBe(3);
    expect(await conn.scalar('select count(*)::int from pg_prepared_statements')).toBe(0);
  });

  it.skipIf(notThroughPgBouncer(STATEMENT_CACHE))('prepares the statement once per connection through the cache, shared with execute', async () => {
    const e = await engines.make();
    await using conn = await e.acquire();
    await conn.execute(INSERT, [1, 'a']);
    await conn.executeMany(INSERT, [[2, 'b'], [3, 'c']]);
    await conn.executeMany(INSERT, [[4, 'd']]);
    const prepared = await conn.execute('select statement from pg_prepared_statements');
    expect(prepared.fetchAll().map((row) => row.get('statement'))).toEqual([INSERT]);
  });

  it('re-prepares and succeeds once a schema change invalidated the cached statement', async () => {
    const e = await engines.make();
    await using conn = await e.acquire();
    const returning = 'insert into many (id, label) values ($1, $2) returning *';
    expect(await conn.executeMany(returning, [[1, 'a']])).toBe(1);
    await withClient(db.url, (client) => client.query('alter table many add column extra int'));
    expect(await conn.executeMany(returning, [[2, 'b'], [3, 'c']])).toBe(2);
    expect(await countStored()).toBe(3);
  });

  it('is cancelled by statementTimeoutMs with QueryCanceledError, and nothing is stored', async () => {
    const e = await engines.make();
    await using conn = await e.acquire();
    const error = await rejection(
      conn.executeMany('insert into many (id, label) select $1, pg_sleep($2)::text', [[1, 0], [2, 30]], {
        statementTimeoutMs: 200,
      }),
      QueryCanceledError,
    );
    expect(error.message).toBe('canceling statement: statementTimeoutMs of 200 ms exceeded');
    expect(await countStored()).toBe(0);
    expect(await conn.scalar('select 9')).toBe(9);
  });

  it('queues behind statements issued before it on the same connection', async () => {
    const e = await engines.make();
    await using conn = await e.acquire();
    const first = conn.execute('insert into many (id, label) select 1, pg_sleep(0.1)::text');
    const many = conn.executeMany(INSERT, [[2, 'b']]);
    const last = conn.execute('select count(*)::int as n from many');
    await Promise.all([first, many]);
    expect((await last).first()?.get('n')).toBe(2);
  });

  it('on the engine: runs on a pooled connection and releases it', async () => {
    const e = await engines.make();
    expect(await e.executeMany(INSERT, [[1, 'a'], [2, 'b']])).toBe(2);
    await rejection(e.executeMany(INSERT, [[3, 'c'], [1, 'dup']]), UniqueViolationError);
    expect(e.stats()).toMatchObject({ inUse: 0 });
    expect(await countStored()).toBe(2);
  });
});
