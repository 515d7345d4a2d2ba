import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createEngine,
  DataError,
  dbSession,
  type Engine,
  runInNewContext,
  type SAConnection,
  type TypeOptions,
} from '../../src/index.js';
import { type DataRowMessage, protocolOf } from '../../src/protocol/pg-internals.js';
import { useTestDatabase } from '../support/test-database.js';
import { rejection } from '../support/rejection.js';

// Issue 18: a cached statement, once described, binds its int2/int4/int8/bool/timestamptz
// columns in binary format and reads them from the DataRow bytes. Every value must be exactly
// what the text path gives (the same server value, read by the same engine's text decoders),
// and the wire must really carry binary fields.

const db = useTestDatabase();
const engines: Engine[] = [];

async function engineWith(types?: TypeOptions): Promise<Engine> {
  const engine = await createEngine({ connectionString: db.url, minSize: 0, maxSize: 2, ...(types ? { types } : {}) });
  engines.push(engine);
  return engine;
}

afterAll(async () => {
  await Promise.all(engines.map((engine) => engine.close()));
});

const pad = (value: number, width: number) => String(value).padStart(width, '0');

/** A timestamptz literal in UTC for `ms` (a JavaScript time) plus `micros` (0-999). */
function timestamptzText(ms: number, micros: number): string {
  const date = new Date(ms);
  const year = date.getUTCFullYear();
  const fraction = pad(date.getUTCMilliseconds() * 1000 + micros, 6);
  const day = `${pad(date.getUTCMonth() + 1, 2)}-${pad(date.getUTCDate(), 2)}`;
  const time = `${pad(date.getUTCHours(), 2)}:${pad(date.getUTCMinutes(), 2)}:${pad(date.getUTCSeconds(), 2)}.${fraction}+00`;
  return year > 0 ? `${pad(year, 4)}-${day} ${time}` : `${pad(1 - year, 4)}-${day} ${time} BC`;
}

/** A SQL string literal. */
const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;

/** The columns of the generated rows, named a to f. */
const TYPES = ['int2', 'int4', 'int8', 'bool', 'timestamptz', 'text'] as const;
type Values = [number | null, number | null, string | null, boolean | null, string | null, string | null];

const values: fc.Arbitrary<Values> = fc.tuple(
  fc.option(fc.integer({ min: -32768, max: 32767 })),
  fc.option(fc.integer({ min: -2147483648, max: 2147483647 })),
  fc.option(
    fc.oneof(
      fc.bigInt({ min: -(2n ** 53n) + 1n, max: 2n ** 53n - 1n }),
      fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
    ).map(String),
  ),
  fc.option(fc.boolean()),
  fc.option(
    fc.oneof(
      fc
        .tuple(
          // 4713 BC .. 275759 AD: PostgreSQL's range within JavaScript's.
          fc.integer({ min: -210_866_760_000_000, max: 8_639_977_881_599_999 }),
          fc.integer({ min: 0, max: 999 }),
        )
        .map(([ms, micros]) => timestamptzText(ms, micros)),
      fc.integer({ min: 946_684_800_000, max: 946_684_800_000 + 86_400_000 }).map((ms) => timestamptzText(ms, 0)),
      fc.constantFrom('infinity', '-infinity', '1970-01-01 00:00:00+00', '1969-12-31 23:59:59.999999+00'),
    ),
  ),
  fc.option(fc.string()),
);

/** `result` of one path, errors as their class and message (a row value beyond a number's range fails the whole read). */
async function outcome(read: () => Promise<unknown>): Promise<unknown> {
  try {
    return { rows: await read() };
  } catch (error) {
    return { error: (error as Error).constructor.name, message: (error as Error).message };
  }
}

/** Rows of `rowsOf` through the cached (binary once described) path and through the text path, as arrays and as objects. */
async function bothPaths(conn: SAConnection, rowsOf: readonly Values[]) {
  const params = rowsOf.flat();
  const selects = rowsOf.map((_, row) =>
    `select ${TYPES.map((type, i) => `$${row * 6 + i + 1}::${type} as ${'abcdef'[i]}`).join(', ')}`,
  );
  const inlined = rowsOf.map(
    (row) =>
      `select ${row
        .map((value, i) => `${value === null ? 'null' : literal(String(value))}::${TYPES[i]} as ${'abcdef'[i]}`)
        .join(', ')}`,
  );
  const cachedSql = selects.join(' union all ');
  // Parameterless: pg's simple protocol, text format, the same engine's text decoders.
  const textSql = inlined.join(' union all ');
  return {
    cached: await outcome(async () => (await conn.execute(cachedSql, params)).fetchAll().map((row) => [...row.values()])),
    cachedObjects: await outcome(async () => (await conn.query(cachedSql, params, 'object')).rows),
    text: await outcome(async () => (await conn.execute(textSql)).fetchAll().map((row) => [...row.values()])),
    textObjects: await outcome(async () => (await conn.query(textSql, [], 'object')).rows),
  };
}

/** Dates as their time (NaN for an invalid one), for a strict comparison. */
function comparable(value: unknown): unknown {
  if (value instanceof Date) return { date: Number.isNaN(value.getTime()) ? 'invalid' : value.getTime() };
  if (Array.isArray(value)) return value.map(comparable);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, comparable(inner)]));
  }
  return value;
}

describe('binary result columns', () => {
  for (const types of [undefined, { bigint: 'number' }, { bigint: 'bigint' }, { timestamptz: 'string', bigint: 'string' }] as const) {
    it(`reads every value as the text path does (types ${JSON.stringify(types ?? {})})`, async () => {
      const engine = await engineWith(types);
      await using conn = await engine.acquire();
      // Described by its first run: the later ones bind binary columns.
      for (const timeZone of ['UTC', 'Asia/Kolkata', 'America/St_Johns']) {
        await conn.execute(`set time zone '${timeZone}'`);
        await fc.assert(
          fc.asyncProperty(fc.array(values, { minLength: 1, maxLength: 3 }), async (rows) => {
            // Each row count is its own statement: run twice so the second is bound binary.
            await bothPaths(conn, rows);
            const { cached, cachedObjects, text, textObjects } = await bothPaths(conn, rows);
            expect(comparable(cached)).toEqual(comparable(text));
            expect(comparable(cachedObjects)).toEqual(comparable(textObjects));
          }),
          { numRuns: 60 },
        );
      }
    });
  }

  it('sends the fields of described int, bool and timestamptz columns in binary, the others as text', async () => {
    const engine = await engineWith();
    await using conn = await engine.acquire();
    const lengths: number[][] = [];
    const listener = (message: DataRowMessage) => {
      const bytes = message.bytes as Buffer;
      let at = (message.start as number) + 2;
      const row: number[] = [];
      for (let i = 0; i < bytes.readInt16BE(message.start as number); i++) {
        const length = bytes.readInt32BE(at);
        row.push(length);
        at += 4 + Math.max(length, 0);
      }
      lengths.push(row);
    };
    protocolOf(conn.raw).on('dataRow', listener);
    try {
      const sql = `select $1::int4 as i, $2::int8 as l, $3::bool as b, $4::timestamptz as t, $5::text as s, $6::numeric as n, $7::int2 as h`;
      const params = [123456789, '12345678901', true, '2024-05-06 07:08:09.123456+00', 'hello', '12.50', 12345];
      const first = (await conn.execute(sql, params)).fetchAll().map((row) => [...row.values()]);
      const second = (await conn.execute(sql, params)).fetchAll().map((row) => [...row.values()]);
      // Text first (bound before the description came), then binary for int4, bool, timestamptz, int2.
      // int8 is a string by default (types.bigint): text, as pg sends it.
      expect(lengths).toEqual([
        [9, 11, 1, 29, 5, 5, 5],
        [4, 11, 1, 8, 5, 5, 2],
      ]);
      expect(second).toEqual(first);
      expect(first).toEqual([[123456789, '12345678901', true, new Date('2024-05-06T07:08:09.123Z'), 'hello', '12.50', 12345]]);
    } finally {
      protocolOf(conn.raw).removeListener('dataRow', listener);
    }
  });

  it('keeps a column in text when its parser is a registered codec', async () => {
    const engine = await engineWith();
    await using conn = await engine.acquire();
    await conn.setTypeCodec('int4', { decode: (text: string) => `int4:${text}` });
    const sql = 'select $1::int4 as i';
    await conn.execute(sql, [7]);
    expect((await conn.execute(sql, [7])).fetchAll().map((row) => row.values()[0])).toEqual(['int4:7']);
  });

  it('fails an int8 beyond ±(2^53 − 1) with the text path’s DataError (types.bigint = number)', async () => {
    const engine = await engineWith({ bigint: 'number' });
    await using conn = await engine.acquire();
    const sql = 'select $1::int8 as l';
    expect((await conn.execute(sql, ['9007199254740991'])).fetchAll().map((row) => row.values()[0])).toEqual([9007199254740991]);
    const error = await rejection(conn.execute(sql, ['9007199254740993']), DataError);
    expect(error.message).toMatch(/^int8 value 9007199254740993 is beyond ±\(2\^53 − 1\)/);
    // The connection is still usable, and the statement still binary.
    expect((await conn.execute(sql, ['-9007199254740991'])).fetchAll().map((row) => row.values()[0])).toEqual([-9007199254740991]);
  });
  it('reads binary columns on the pipelined path and in request sessions (BEGIN sent with the statement)', async () => {
    const engine = await engineWith();
    const sql = 'select $1::int4 as i, $2::timestamptz as t, $3::bool as b, $4::text as s';
    const params = [-42, '1999-12-31 23:59:59.9995+00', false, 'ü'];
    const expected = { i: -42, t: new Date('1999-12-31T23:59:59.999Z'), b: false, s: 'ü' };
    for (let run = 0; run < 3; run++) {
      // engine.fetch: the pipelined autocommit connection (its statement described on run 0).
      expect((await engine.fetch(sql, params)).map((row) => row.toJSON())).toEqual([expected]);
      // A request session: BEGIN goes out in the same write as the statement.
      const row = await runInNewContext(async () => {
        const session = await dbSession(engine);
        return (await session.execute(sql, params)).fetchAll()[0]?.toJSON();
      });
      expect(row).toEqual(expected);
      expect(await engine.db.selectNoFrom((eb) => eb.cast<number>(eb.val(-7), 'int4').as('n')).execute()).toEqual([{ n: -7 }]);
    }
  });
});
