import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { DataError, type Engine, json, ProgrammingError, type ResultProxy } from '../../src/index.js';
import type { Database } from '../../schema/database.js';
import { useEngines } from '../support/engine-fixture.js';
import { rejection } from '../support/rejection.js';
import { useTestDatabase } from '../support/test-database.js';

const db = useTestDatabase();
const engines = useEngines(db, {
  defaults: { minSize: 1, maxSize: 2 },
  setup: `
    create type mood as enum ('happy', 'sad', 'ünï 😀', 'with,comma', 'with"quote');
    create domain positive as int8 check (value > 0);
    create domain positive2 as positive;
    create schema geo;
    create type geo.pair as (x int4, y text);
  `,
});

/** The rows of `result`, each as an array of its values by position. */
function valuesOf(result: ResultProxy<Record<string, unknown>>): unknown[][] {
  const width = result.keys().length;
  return result.fetchAll().map((row) => Array.from({ length: width }, (_, index) => row.at(index)));
}

/** The rows of `sql` by position, the same on the pipelined path, a held connection and (without parameters) pg's own Query. */
async function everyPath(engine: Engine<Database>, sql: string, params: unknown[] = []): Promise<unknown[][]> {
  const pipelined = valuesOf(await engine.execute(sql, params));
  const conn = await engine.acquire();
  try {
    expect(valuesOf(await conn.execute(sql, params))).toEqual(pipelined);
    if (params.length === 0) expect(valuesOf(await conn.execute(sql))).toEqual(pipelined);
    return pipelined;
  } finally {
    await conn.close();
  }
}

describe('type codecs: bigint', () => {
  it('keeps int8 as a string by default, every digit kept', async () => {
    const engine = await engines.make();
    const [row] = await everyPath(engine, 'select 9223372036854775807::int8, (-9223372036854775807 - 1)::int8, 9007199254740993::int8');
    expect(row).toEqual(['9223372036854775807', '-9223372036854775808', '9007199254740993']);
  });

  it('decodes int8 and int8[] to bigint with types.bigint = bigint, at both ends of the range', async () => {
    const engine = await engines.make({ types: { bigint: 'bigint' } });
    const [row] = await everyPath(
      engine,
      "select $1::int8, $2::int8, $3::int8, '{{1,NULL},{-9223372036854775808,9223372036854775807}}'::int8[], '{}'::int8[]",
      [2n ** 63n - 1n, -(2n ** 63n), 2n ** 53n + 1n],
    );
    expect(row).toEqual([
      2n ** 63n - 1n,
      -(2n ** 63n),
      2n ** 53n + 1n,
      [[1n, null], [-(2n ** 63n), 2n ** 63n - 1n]],
      [],
    ]);
  });

  it('decodes int8 to number with types.bigint = number and throws DataError beyond 2^53 instead of rounding', async () => {
    const engine = await engines.make({ types: { bigint: 'number' } });
    expect(await engine.fetchVal('select $1::int8', [2 ** 53 - 1])).toBe(2 ** 53 - 1);
    const error = await rejection(engine.fetchVal('select $1::int8', ['9007199254740993']), DataError);
    expect(error.message).toBe(
      'int8 value 9007199254740993 is beyond ±(2^53 − 1) and would lose digits as a number; ' +
        "choose types: { bigint: 'bigint' } or { bigint: 'string' } for this engine, or cast it to text",
    );
    // The connection is still usable after the failed row.
    expect(await engine.fetchVal('select count(*) from generate_series(1, 3)')).toBe(3);
  });

  it('throws the same DataError for an int8 beyond 2^53 on pg\'s own query path (no parameters)', async () => {
    const engine = await engines.make({ types: { bigint: 'number' } });
    const conn = await engine.acquire();
    try {
      const error = await rejection(conn.execute("select '{1,-9007199254740993}'::int8[] as a"), DataError);
      expect(error.message).toMatch(/^int8 value -9007199254740993 is beyond ±\(2\^53 − 1\)/);
      expect(await conn.fetchVal('select 2::int8')).toBe(2);
    } finally {
      await conn.close();
    }
  });
});

describe('type codecs: numeric, float, json', () => {
  it('keeps numeric with 1,000 digits, NaN and ±Infinity exactly as strings by default', async () => {
    const engine = await engines.make();
    const big = `${'9'.repeat(500)}.${'1'.repeat(500)}`;
    const [row] = await everyPath(engine, 'select $1::numeric, $2::numeric, $3::numeric, $4::numeric, $5::numeric[]', [
      big,
      NaN,
      Infinity,
      -Infinity,
      [big, null, '-0.5'],
    ]);
    expect(row).toEqual([big, 'NaN', 'Infinity', '-Infinity', [big, null, '-0.5']]);
  });

  it('decodes numeric to number with types.numeric = number, NaN and ±Infinity included', async () => {
    const engine = await engines.make({ types: { numeric: 'number' } });
    const [row] = await everyPath(engine, "select 1.5::numeric, 'NaN'::numeric, '-Infinity'::numeric, '{2.25,NULL}'::numeric[]");
    expect(row).toEqual([1.5, NaN, -Infinity, [2.25, null]]);
  });

  it('sends and decodes float NaN and ±Infinity', async () => {
    const engine = await engines.make();
    const [row] = await everyPath(engine, 'select $1::float8, $2::float8, $3::float4[]', [NaN, -Infinity, [Infinity, null, -0]]);
    expect(row).toEqual([NaN, -Infinity, [Infinity, null, -0]]);
  });

  it('parses json and jsonb (and their arrays) by default and keeps the text with types.json = string', async () => {
    const parsed = await engines.make();
    const text = await engines.make({ types: { json: 'string' } });
    const sql = 'select $1::jsonb, $2::json, $3::jsonb[]';
    const params = [json([1, { a: 'ü' }]), { b: null }, ['{"c":1}', null]];
    expect((await everyPath(parsed, sql, params))[0]).toEqual([[1, { a: 'ü' }], { b: null }, [{ c: 1 }, null]]);
    expect((await everyPath(text, sql, params))[0]).toEqual(['[1, {"a": "ü"}]', '{"b":null}', ['{"c": 1}', null]]);
  });

  it('sends json(value) as JSON text, where a bare array would be a PostgreSQL array literal', async () => {
    const engine = await engines.make();
    expect(await engine.fetchVal('select $1::jsonb', [json(['a', 'b'])])).toEqual(['a', 'b']);
    expect(await engine.fetchVal('select $1::jsonb', [json('text')])).toBe('text');
    const error = await rejection(engine.fetchVal('select $1::jsonb', [['a', 'b']]), DataError);
    expect(error.message).toBe('invalid input syntax for type json');
  });
});

describe('type codecs: dates and times', () => {
  it('keeps dates before 1970, after 2038, BC and infinite as YYYY-MM-DD strings by default', async () => {
    const engine = await engines.make();
    const [row] = await everyPath(engine, "select '1969-07-20'::date, '2100-02-28'::date, '0044-03-15 BC'::date, 'infinity'::date, $1::date[]", [
      ['1900-01-01', null, '2040-12-31'],
    ]);
    expect(row).toEqual(['1969-07-20', '2100-02-28', '0044-03-15 BC', 'infinity', ['1900-01-01', null, '2040-12-31']]);
  });

  it('decodes date to midnight UTC with types.date = Date, whatever the session time zone', async () => {
    const engine = await engines.make({ types: { date: 'Date' } });
    for (const zone of ['Pacific/Kiritimati', 'America/Adak', 'UTC']) {
      const conn = await engine.acquire();
      try {
        await conn.execute(`set time zone '${zone}'`);
        const row = (await conn.execute("select '1969-07-20'::date as a, '2040-02-29'::date as b, '0001-01-01 BC'::date as c, '{2000-01-01,NULL}'::date[] as d")).first();
        expect(row?.toJSON()).toEqual({
          a: new Date('1969-07-20T00:00:00Z'),
          b: new Date('2040-02-29T00:00:00Z'),
          c: new Date('0000-01-01T00:00:00Z'),
          d: [new Date('2000-01-01T00:00:00Z'), null],
        });
      } finally {
        await conn.execute('reset time zone');
        await conn.close();
      }
    }
  });

  it('decodes timestamptz to the same instant in sessions east and west of UTC', async () => {
    const engine = await engines.make();
    const text = await engines.make({ types: { timestamptz: 'string', timestamp: 'string' } });
    for (const zone of ['Asia/Kolkata', 'America/St_Johns']) {
      for (const [target, expected] of [
        [engine, [new Date('1950-06-01T12:00:00.123Z'), new Date('2099-01-01T00:00:00Z')]],
        [text, zone === 'Asia/Kolkata' ? ['1950-06-01 17:30:00.123456+05:30', '2099-01-01 05:30:00+05:30'] : ['1950-06-01 09:30:00.123456-02:30', '2098-12-31 20:30:00-03:30']],
      ] as const) {
        const conn = await target.acquire();
        try {
          await conn.execute(`set time zone '${zone}'`);
          const row = await conn.fetchRow('select $1::timestamptz as a, $2::timestamptz[] as b', ['1950-06-01T12:00:00.123456Z', ['2099-01-01T00:00:00Z']]);
          expect([row?.a, (row?.b as unknown[])[0]]).toEqual(expected);
        } finally {
          await conn.execute('reset time zone');
          await conn.close();
        }
      }
    }
  });

  it('keeps a timestamp without time zone, microseconds included, with types.timestamp = string', async () => {
    const engine = await engines.make({ types: { timestamp: 'string' } });
    const [row] = await everyPath(engine, "select '1901-12-13 20:45:52.123456'::timestamp, '{2038-01-19 03:14:08,NULL}'::timestamp[]");
    expect(row).toEqual(['1901-12-13 20:45:52.123456', ['2038-01-19 03:14:08', null]]);
  });

  it('decodes interval to pg\'s object by default and keeps the text with types.interval = string', async () => {
    const objects = await engines.make();
    const text = await engines.make({ types: { interval: 'string' } });
    const sql = "select '1 year 2 mons 3 days 04:05:06.5'::interval as a";
    const value = (await objects.fetchVal(sql)) as Record<string, number>;
    expect({ ...value }).toEqual({ years: 1, months: 2, days: 3, hours: 4, minutes: 5, seconds: 6, milliseconds: 500 });
    expect(await text.fetchVal(`${sql}, '{1 day,NULL}'::interval[] as b`)).toBe('1 year 2 mons 3 days 04:05:06.5');
    expect(await text.fetchVal(`select '{1 day,NULL}'::interval[]`)).toEqual(['1 day', null]);
  });
});

describe('type codecs: bytea, uuid, inet, text arrays', () => {
  it('round-trips bytea and bytea[] as Buffers, or keeps the hex text with types.bytea = string', async () => {
    const buffers = await engines.make();
    const text = await engines.make({ types: { bytea: 'string' } });
    const bytes = Buffer.from([0, 1, 254, 255]);
    const sql = 'select $1::bytea, $2::bytea[]';
    expect((await everyPath(buffers, sql, [bytes, [bytes, null]]))[0]).toEqual([bytes, [bytes, null]]);
    expect((await everyPath(text, sql, [bytes, [bytes, null]]))[0]).toEqual(['\\x0001feff', ['\\x0001feff', null]]);
  });

  it('splits arrays of box on the type\'s own delimiter (;)', async () => {
    const engine = await engines.make();
    const [row] = await everyPath(engine, "select '{(1,1),(0,0);NULL;(3,3),(2,2)}'::box[]");
    expect(row).toEqual([['(1,1),(0,0)', null, '(3,3),(2,2)']]);
  });

  it('decodes uuid, inet and nested text arrays with quotes, commas, backslashes and NULL text', async () => {
    const engine = await engines.make();
    const id = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
    const nested = [['a,b', 'c"d'], ['e\\f', 'NULL']];
    const [row] = await everyPath(engine, 'select $1::uuid, $2::uuid[], $3::inet[], $4::text[], $5::text[]', [
      id,
      [id, null],
      ['10.0.0.1', '::1'],
      nested,
      [null, ''],
    ]);
    expect(row).toEqual([id, [id, null], ['10.0.0.1', '::1'], nested, [null, '']]);
  });
});

describe('type codecs: enums, domains and registered codecs', () => {
  it('decodes arrays of enums (unicode, commas, quotes) and of domains by oid, looked up on every new connection', async () => {
    const engine = await engines.make({ types: { bigint: 'bigint' } });
    const [row] = await everyPath(engine, "select $1::mood[], '{{1,2},{NULL,3}}'::positive[], array[7]::positive2[], $2::mood", [
      ['ünï 😀', null, 'with,comma', 'with"quote'],
      'sad',
    ]);
    expect(row).toEqual([['ünï 😀', null, 'with,comma', 'with"quote'], [[1n, 2n], [null, 3n]], [7n], 'sad']);
  });

  it('finds an enum created after the engine opened on the next new connection', async () => {
    // maxUses 1: every acquire after the first opens a new connection.
    const engine = await engines.make({ maxUses: 1, pipelineConnections: 0 });
    await engine.execute("create type later_enum as enum ('x', 'y')");
    expect(await engine.fetchVal("select '{x,y}'::later_enum[]")).toEqual(['x', 'y']);
  });

  it('resolves a registered name again on each new connection: a type dropped and created again keeps its codec', async () => {
    // maxUses 1: every acquire after the first opens a new connection.
    const engine = await engines.make({ maxUses: 1, pipelineConnections: 0 });
    await engine.execute("create type recreated as enum ('a')");
    await engine.setTypeCodec('recreated', { decode: (text) => `codec:${text}` });
    const before = await engine.fetchVal("select 'a'::recreated");
    await engine.execute("drop type recreated; create type recreated as enum ('a', 'b')");
    expect([before, await engine.fetchVal("select '{b}'::recreated[]")]).toEqual(['codec:a', ['codec:b']]);
  });

  it('decodes a type and its arrays through engine.setTypeCodec on pooled and pipelined connections', async () => {
    const engine = await engines.make();
    await engine.setTypeCodec('mood', { decode: (text) => `<${text}>` });
    const [row] = await everyPath(engine, "select 'happy'::mood, $1::mood[]", [['sad', null]]);
    expect(row).toEqual(['<happy>', ['<sad>', null]]);
  });

  it('re-describes a cached statement after a codec is registered', async () => {
    const engine = await engines.make({ pipelineConnections: 0 });
    const sql = 'select $1::mood as m';
    expect(await engine.fetchVal(sql, ['sad'])).toBe('sad');
    await engine.setTypeCodec('mood', { decode: (text) => text.toUpperCase() });
    expect(await engine.fetchVal(sql, ['sad'])).toBe('SAD');
  });

  it('decodes a composite type in a schema through its registered codec, with arrays of it', async () => {
    const engine = await engines.make();
    await engine.setTypeCodec('pair', {
      schema: 'geo',
      decode: (text) => {
        const [x, y] = text.slice(1, -1).split(',');
        return { x: Number(x), y };
      },
    });
    const [row] = await everyPath(engine, "select row(1, 'a')::geo.pair, array[row(2, 'b')::geo.pair, null]");
    expect(row).toEqual([{ x: 1, y: 'a' }, [{ x: 2, y: 'b' }, null]]);
  });

  it('applies conn.setTypeCodec on that connection only, over the engine codec', async () => {
    const engine = await engines.make({ maxSize: 2 });
    await engine.setTypeCodec('mood', { decode: (text) => `engine:${text}` });
    const mine = await engine.acquire();
    const other = await engine.acquire();
    try {
      await mine.setTypeCodec('mood', { decode: (text) => `conn:${text}` });
      expect(await mine.fetchVal("select 'sad'::mood")).toBe('conn:sad');
      expect(await other.fetchVal("select 'sad'::mood")).toBe('engine:sad');
    } finally {
      await mine.close();
      await other.close();
    }
  });

  it('refuses a codec on a domain (the server sends its values as the base type), naming the base type', async () => {
    const engine = await engines.make();
    const error = await rejection(engine.setTypeCodec('positive', { decode: String }), ProgrammingError);
    expect(error.message).toBe(
      'cannot set a type codec on "positive": it is a domain over bigint, and PostgreSQL sends a ' +
        "domain's values as its base type; set the codec on the base type (values and arrays of the " +
        'domain then decode with it)',
    );
  });

  it('refuses an unknown type name at registration with a ProgrammingError naming it', async () => {
    const engine = await engines.make();
    const error = await rejection(engine.setTypeCodec('no_such_type', { decode: String }), ProgrammingError);
    expect(error.message).toBe(
      'cannot set a type codec: unknown type "no_such_type" (no such type in this database); check the ' +
        'name and its schema (pass { schema }), or create the type (or its extension) first',
    );
    const conn = await engine.acquire();
    try {
      const inSchema = await rejection(conn.setTypeCodec('mood', { schema: 'geo', decode: String }), ProgrammingError);
      expect(inSchema.message).toMatch(/^cannot set a type codec: unknown type "geo\.mood" \(no such type in this database\)/);
    } finally {
      await conn.close();
    }
  });

  it('refuses a codec without decode with a TypeError', async () => {
    const engine = await engines.make();
    // @ts-expect-error decode is required
    await expect(engine.setTypeCodec('mood', {})).rejects.toThrow(
      new TypeError("setTypeCodec('mood', codec): the codec needs a decode(text) function"),
    );
  });

  it('decodes citext and hstore (extension types) through registered codecs when the extensions are available', async (context) => {
    const engine = await engines.make();
    const available = (await engine.fetch("select name from pg_available_extensions where name in ('citext', 'hstore')")).map((r) => r.name);
    if (available.length < 2) {
      context.skip(`the embedded server ships without ${['citext', 'hstore'].filter((e) => !available.includes(e)).join(' and ')}`);
      return;
    }
    await engine.execute('create extension if not exists citext');
    await engine.execute('create extension if not exists hstore');
    await engine.setTypeCodec('citext', { decode: (text) => text.toLowerCase() });
    await engine.setTypeCodec('hstore', { decode: (text) => Object.fromEntries(text.split(', ').map((kv) => kv.split('=>').map((s) => s.slice(1, -1)))) });
    const [row] = await everyPath(engine, "select 'AbC'::citext, '\"a\"=>\"1\"'::hstore, '{X,Y}'::citext[]");
    expect(row).toEqual(['abc', { a: '1' }, ['x', 'y']]);
  });
});

describe('type codecs: per engine', () => {
  it('lets two engines in one process decode the same column differently', async () => {
    const strings = await engines.make();
    const bigints = await engines.make({ types: { bigint: 'bigint', date: 'Date' } });
    const sql = "select 42::int8 as n, '2020-02-02'::date as d";
    const [a, b] = await Promise.all([strings.fetchRow(sql), bigints.fetchRow(sql)]);
    expect(a?.toJSON()).toEqual({ n: '42', d: '2020-02-02' });
    expect(b?.toJSON()).toEqual({ n: 42n, d: new Date('2020-02-02T00:00:00Z') });
  });

  it('never changes pg\'s process-wide type parsers', async () => {
    const before = [20, 1082, 1700, 114, 1184, 1016].map((oid) => pg.types.getTypeParser(oid, 'text'));
    const engine = await engines.make({ types: { bigint: 'bigint', numeric: 'number', date: 'Date', json: 'string' } });
    await engine.setTypeCodec('mood', { decode: String });
    await engine.fetchVal('select 1::int8');
    expect([20, 1082, 1700, 114, 1184, 1016].map((oid) => pg.types.getTypeParser(oid, 'text'))).toEqual(before);
    expect(pg.types.getTypeParser(20, 'text')('9007199254740993')).toBe('9007199254740993');
  });

  it('rejects an unknown types key or choice with a TypeError naming it', async () => {
    // @ts-expect-error not a choice
    await expect(engines.make({ types: { bigint: 'float' } })).rejects.toThrow(
      new TypeError("types.bigint must be one of 'string', 'bigint', 'number', got float"),
    );
    // @ts-expect-error not a key
    await expect(engines.make({ types: { money: 'number' } })).rejects.toThrow(
      new TypeError('unknown types option(s): money (known: bigint, numeric, date, json, timestamp, timestamptz, interval, bytea)'),
    );
  });

  it('decodes rows of a stream (pg-cursor) with the engine codecs', async () => {
    const engine = await engines.make({ types: { bigint: 'bigint' } });
    const conn = await engine.acquire();
    try {
      const seen: unknown[] = [];
      for await (const row of conn.stream("select g::int8 as n, array[g, null]::int8[] as a, '{sad}'::mood[] as m from generate_series(1, 3) g", [], { batchSize: 2 })) {
        seen.push([row.n, row.a, row.m]);
      }
      expect(seen).toEqual([
        [1n, [1n, null], ['sad']],
        [2n, [2n, null], ['sad']],
        [3n, [3n, null], ['sad']],
      ]);
    } finally {
      await conn.close();
    }
  });
});

describe('type codecs: parameters', () => {
  it('names the position of a parameter that cannot be sent in the ProgrammingError', async () => {
    const engine = await engines.make();
    const error = await rejection(engine.execute('select $1::int, $2::text, $3::text', [1, 'a', Symbol('x')]), ProgrammingError);
    expect(error.message).toBe('cannot send a parameter: a symbol has no PostgreSQL representation (parameter $3)');
  });

  it('names the position of a string that has no UTF-8 form in the DataError', async () => {
    const engine = await engines.make();
    const error = await rejection(engine.execute('select $1::text, $2::text', ['ok', 'bad \ud800']), DataError);
    expect(error.message).toBe(
      'cannot send a parameter: the string has an unpaired UTF-16 surrogate, which has no UTF-8 form ' +
        '(it would be stored as U+FFFD); fix the text or send it as bytes (a Buffer) (parameter $2)',
    );
  });

  it('sends bigint, Buffer, Date, nested arrays and plain objects as their PostgreSQL values', async () => {
    const engine = await engines.make({ types: { bigint: 'bigint' } });
    const when = new Date('1901-01-01T00:00:00.001Z');
    const [row] = await everyPath(engine, 'select $1::int8, $2::bytea, $3::timestamptz, $4::int4[], $5::jsonb', [
      -(2n ** 63n),
      Buffer.from('ü'),
      when,
      [[1, null], [3, 4]],
      { nested: { list: [1, 'two'] } },
    ]);
    expect(row).toEqual([-(2n ** 63n), Buffer.from('ü'), when, [[1, null], [3, 4]], { nested: { list: [1, 'two'] } }]);
  });

  it('applies a registered encode to the parameters of a prepared statement, arrays of the type included', async () => {
    const engine = await engines.make();
    const codec = {
      schema: 'geo',
      decode: (text: string) => {
        const [x, y] = text.slice(1, -1).split(',');
        return { x: Number(x), y: y as string };
      },
      encode: (pair: { x: number; y: string }) => `(${pair.x},${pair.y})`,
    };
    await engine.setTypeCodec('pair', codec);
    const conn = await engine.acquire();
    try {
      const statement = await conn.prepare('select $1::geo.pair as one, $2::geo.pair[] as many');
      const row = await statement.fetchRow({ x: 1, y: 'a' }, [{ x: 2, y: 'b' }, null]);
      expect(row?.toJSON()).toEqual({ one: { x: 1, y: 'a' }, many: [{ x: 2, y: 'b' }, null] });
      await statement.close();
    } finally {
      await conn.close();
    }
  });

  it('sends an array for a json or jsonb parameter of a prepared statement as JSON, the empty array included', async () => {
    const engine = await engines.make();
    const conn = await engine.acquire();
    try {
      const statement = await conn.prepare('select $1::jsonb as b, $2::json as j');
      expect((await statement.fetchRow([1, 'two', { three: 3 }], []))?.toJSON()).toEqual({ b: [1, 'two', { three: 3 }], j: [] });
      await statement.close();
    } finally {
      await conn.close();
    }
  });

  it('sends a Date for a date parameter of a prepared statement as its UTC day when dates decode to Date', async () => {
    const engine = await engines.make({ types: { date: 'Date' } });
    const conn = await engine.acquire();
    // West of UTC node-postgres would send midnight UTC as the previous day's local time.
    const zone = process.env.TZ;
    process.env.TZ = 'America/Adak';
    try {
      expect(new Date('1969-07-20T00:00:00Z').getDate()).toBe(19);
      const statement = await conn.prepare('select $1::date as d, $1::date::text as t');
      const day = new Date('0001-02-03T00:00:00Z');
      day.setUTCFullYear(-43); // 44 BC
      for (const value of [new Date('1969-07-20T00:00:00Z'), new Date('2100-12-31T23:59:59.999Z'), day]) {
        const row = await statement.fetchRow(value);
        // Midnight UTC of the Date's UTC day.
        expect(row?.d).toEqual(new Date(`${value.toISOString().slice(0, -14)}T00:00:00Z`));
      }
      expect((await statement.fetchRow(day))?.t).toBe('0044-02-03 BC');
      await statement.close();
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
      await conn.close();
    }
  });
});
