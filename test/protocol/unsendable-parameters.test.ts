import { beforeEach, describe, expect, it } from 'vitest';
import { ProgrammingError } from '../../src/index.js';
import { useEngines } from '../support/engine-fixture.js';
import { rejection } from '../support/rejection.js';
import { observe, useTestDatabase, withClient } from '../support/test-database.js';

// Issue 16, defects 10 and 11: values node-postgres would store as their `toString()` text or
// fail on with an untyped Error must be refused with a ProgrammingError before anything is sent.

interface Tables {
  sink: { id: number; label: string | null };
}

const db = useTestDatabase();
const engines = useEngines<Tables>(db, { defaults: { minSize: 1, maxSize: 2, pipelineConnections: 0 } });

beforeEach(async () => {
  await withClient(db.url, async (client) => {
    await client.query('drop table if exists sink');
    await client.query('create table sink (id int primary key, label text)');
  });
});

const stored = () => observe<{ id: number; label: string | null }>(db.url, 'select id, label from sink order by id');

/** A value whose toPostgres() returns the value itself: pg throws a plain Error for it. */
const selfReturning = {
  toPostgres(): unknown {
    return this;
  },
};

/** Two values whose toPostgres() return each other. */
const pingPong: { other?: unknown; toPostgres(): unknown } = {
  toPostgres() {
    return this.other;
  },
};
pingPong.other = { toPostgres: () => pingPong };

const cases: [string, unknown, RegExp][] = [
  ['a toPostgres() that returns its own object', selfReturning, /^cannot send a parameter: .*cycle/],
  ['two toPostgres() that return each other', pingPong, /^cannot send a parameter: .*cycle/],
  ['a Symbol', Symbol('x'), /^cannot send a parameter: a symbol has no PostgreSQL representation( \(parameter \$\d\))?$/],
  ['a function', () => 'x', /^cannot send a parameter: a function has no PostgreSQL representation( \(parameter \$\d\))?$/],
  ['a Symbol inside an array', ['a', Symbol('x')], /^cannot send a parameter: a symbol/],
  ['a Symbol returned by toPostgres()', { toPostgres: () => Symbol('x') }, /^cannot send a parameter: a symbol/],
];

const INSERT = 'insert into sink (id, label) values ($1, $2)';

describe.each(cases)('a parameter that is %s', (_name, value, message) => {
  it('is refused by a cached statement with a ProgrammingError and nothing is stored', async () => {
    const e = await engines.make();
    await using conn = await e.acquire();
    const error = await rejection(conn.execute(INSERT, [1, value]), ProgrammingError);
    expect(error.message).toMatch(message);
    expect(error.sqlstate).toBeUndefined();
    expect(await stored()).toEqual([]);
    expect((await conn.execute('select 1 as one')).scalar()).toBe(1);
  });

  it('is refused by a plain statement (no statement cache) and nothing is stored', async () => {
    const e = await engines.make({ statementCacheSize: 0 });
    await using conn = await e.acquire();
    const error = await rejection(conn.execute(INSERT, [1, value]), ProgrammingError);
    expect(error.message).toMatch(message);
    expect(await stored()).toEqual([]);
    expect((await conn.execute('select 1 as one')).scalar()).toBe(1);
  });

  it('is refused on the pipelined path and nothing is stored', async () => {
    const e = await engines.make({ pipelineConnections: 1 });
    // The engine's pipelined entry point itself: Kysely would take a function for an expression.
    const insert = e.queryAutocommit(INSERT, [1, value], 'object');
    expect(insert).toBeDefined();
    const error = await rejection(insert as Promise<unknown>, ProgrammingError);
    expect(error.message).toMatch(message);
    expect(await stored()).toEqual([]);
  });

  it('is refused by executeMany and nothing is stored', async () => {
    const e = await engines.make();
    await using conn = await e.acquire();
    const error = await rejection(conn.executeMany(INSERT, [[1, 'a'], [2, value]]), ProgrammingError);
    expect(error.message).toMatch(message);
    expect(await stored()).toEqual([]);
  });

  it('is refused in a COPY row and nothing is stored', async () => {
    const e = await engines.make();
    await using conn = await e.acquire();
    const error = await rejection(conn.copyFrom('sink', [[1, 'a'], [2, value]]), ProgrammingError);
    expect(error.message).toMatch(message);
    expect(await stored()).toEqual([]);
  });

  it('is refused by a stream', async () => {
    const e = await engines.make();
    await using conn = await e.acquire();
    const reading = (async () => {
      for await (const row of conn.stream('select $1::text as v', [value])) void row;
    })();
    const error = await rejection(reading, ProgrammingError);
    expect(error.message).toMatch(message);
  });
});

describe('sendable values keep their text', () => {
  it('stores arrays with nested arrays, nulls, dates and toPostgres() elements as pg would', async () => {
    const e = await engines.make();
    await using conn = await e.acquire();
    const money = { toPostgres: () => '1.50' };
    const result = await conn.execute('select $1::text[] as a, $2::text as b', [
      [['x', null], ['y"\\', money]],
      { toPostgres: () => ({ toPostgres: () => 42 }) },
    ]);
    expect(result.fetchOne()).toMatchObject({ a: [['x', null], ['y"\\', '1.50']], b: '42' });
  });
});
