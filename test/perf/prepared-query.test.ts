import pg from 'pg';
import { beforeEach, describe, expect, it } from 'vitest';
import { ProgrammingError, QueryCanceledError } from '../../src/index.js';
import { observe, useTestDatabase, withClient } from '../support/test-database.js';
import { useEngines } from '../support/engine-fixture.js';
import { UNSENDABLE } from '../support/unsendable.js';
import { rejection } from '../support/rejection.js';

// Cached statements run through pgsa's own row path (src/protocol/prepared-query.ts): the
// statement is described once per connection, later executions reuse that description. These
// tests pin what must not change because of it.

interface Tables {
  typed: { id: number; v: number | null };
}

const db = useTestDatabase();
const engines = useEngines<Tables>(db, { defaults: { minSize: 1, maxSize: 1, pipelineConnections: 0 } });

const SELECT_V = 'select v from typed where id = $1';

/** Runs `fn` with pg's global int4 parser replaced (this file's worker only), then restores it. */
async function withInt4Parser(parser: (text: string) => unknown, fn: () => Promise<void>): Promise<void> {
  const original = pg.types.getTypeParser(pg.types.builtins.INT4, 'text');
  pg.types.setTypeParser(pg.types.builtins.INT4, parser);
  try {
    await fn();
  } finally {
    pg.types.setTypeParser(pg.types.builtins.INT4, original);
  }
}

beforeEach(async () => {
  // Some tests alter the table: each starts from the same one.
  await withClient(db.url, async (client) => {
    await client.query('drop table if exists typed');
    await client.query('create table typed (id int primary key, v int)');
    await client.query('insert into typed values (1, 5), (2, null)');
  });
});


describe('rows of cached statements', () => {
  it('parses values and NULLs the same on the first (described) and later executions', async () => {
    const e = await engines.make();
    await using conn = await e.acquire();
    const runs = [];
    for (let i = 0; i < 3; i++) {
      runs.push((await conn.execute('select id, v, $2::text as t from typed where id = $1', [1, 'x'])).first()?.toJSON());
      runs.push((await conn.execute('select id, v, $2::text as t from typed where id = $1', [2, null])).first()?.toJSON());
    }
    expect(runs).toEqual([
      { id: 1, v: 5, t: 'x' },
      { id: 2, v: null, t: null },
      { id: 1, v: 5, t: 'x' },
      { id: 2, v: null, t: null },
      { id: 1, v: 5, t: 'x' },
      { id: 2, v: null, t: null },
    ]);
  });

  it('returns objects keyed by column through conn.db, described once', async () => {
    const e = await engines.make();
    await using conn = await e.acquire();
    const query = () => conn.db.selectFrom('typed').select(['id', 'v']).where('id', '<=', 2).orderBy('id').execute();
    expect(await query()).toEqual([{ id: 1, v: 5 }, { id: 2, v: null }]);
    expect(await query()).toEqual([{ id: 1, v: 5 }, { id: 2, v: null }]);
  });

  it('reports command and row count for statements without result columns', async () => {
    const e = await engines.make();
    await using conn = await e.acquire();
    for (const v of [6, 7]) {
      const result = await conn.execute('update typed set v = $1 where id <= $2', [v, 2]);
      expect({ rowCount: result.rowCount, returnsRows: result.returnsRows }).toEqual({ rowCount: 2, returnsRows: false });
    }
    expect(await observe(db.url, 'select v from typed order by id')).toEqual([{ v: 7 }, { v: 7 }]);
  });

  it('parses a column with its new type once a schema change made the statement re-prepare', async () => {
    const e = await engines.make();
    await using conn = await e.acquire();
    expect(await conn.scalar(SELECT_V, [1])).toBe(5);
    await observe(db.url, 'alter table typed alter column v type text using (v * 10)::text');
    expect(await conn.scalar(SELECT_V, [1])).toBe('50');
    expect(await conn.scalar(SELECT_V, [1])).toBe('50');
  });

  it('uses the type parsers registered with pg (pg.types.setTypeParser) for described columns', async () => {
    await withInt4Parser(
      (text) => `int4:${text}`,
      async () => {
        const e = await engines.make();
        await using conn = await e.acquire();
        expect(await conn.scalar(SELECT_V, [1])).toBe('int4:5');
        expect(await conn.scalar(SELECT_V, [1])).toBe('int4:5');
      },
    );
  });

  it('fails only its own statement when a type parser throws, and the connection stays usable', async () => {
    await withInt4Parser(
      (text) => {
        if (text === '5') throw new RangeError('five is not allowed here');
        return Number(text);
      },
      async () => {
        const e = await engines.make();
        await using conn = await e.acquire();
        await conn.execute('begin');
        await conn.execute('insert into typed values ($1, $2)', [3, 6]);
        const failure = await rejection(conn.execute(SELECT_V, [1]), RangeError);
        expect(failure.message).toBe('five is not allowed here');
        // The server finished the statement: the transaction is intact and the protocol in step.
        expect(await conn.scalar('select v from typed where id = $1', [3])).toBe(6);
        await conn.execute('commit');
        expect(await observe(db.url, 'select v from typed where id = 3')).toEqual([{ v: 6 }]);
      },
    );
  });

  it('fails only its own statement when a parameter cannot be sent, and sends nothing of it', async () => {
    const e = await engines.make();
    await using conn = await e.acquire();
    await conn.execute('begin');
    await conn.execute('insert into typed values ($1, $2)', [4, 8]);
    const failure = await rejection(
      conn.execute('insert into typed values ($1, $2)', [5, UNSENDABLE]),
      ProgrammingError,
    );
    expect(failure.message).toBe('cannot send a parameter: this value refuses to be sent (parameter $2)');
    // Nothing reached the server: the transaction is not aborted.
    expect(conn.inTransaction).toBe(true);
    await conn.execute('insert into typed values ($1, $2)', [6, 9]);
    await conn.execute('commit');
    expect(await observe(db.url, 'select id from typed where id > 3 order by id')).toEqual([{ id: 4 }, { id: 6 }]);
  });

  it('is cancelled mid-statement with QueryCanceledError, and the cached statement runs again', async () => {
    const e = await engines.make();
    await using conn = await e.acquire();
    const sleep = 'select pg_sleep($1), $2::int as n';
    expect((await conn.execute(sleep, [0, 1])).first()?.get('n')).toBe(1);
    const error = await rejection(
      conn.execute(sleep, [30, 2], { statementTimeoutMs: 200 }),
      QueryCanceledError,
    );
    expect(error).toMatchObject({
      message: 'canceling statement: statementTimeoutMs of 200 ms exceeded',
      sqlstate: '57014',
    });
    expect((await conn.execute(sleep, [0, 3])).first()?.get('n')).toBe(3);
  });
});
