import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import fc from 'fast-check';
import pg from 'pg';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createEngine } from '../../src/index.js';
import { objectRowMaker } from '../../src/protocol/object-row.js';
import { useTestDatabase } from '../support/test-database.js';

// pgsa builds object rows (Kysely's format) with a function made for the statement's column
// names (src/protocol/object-row.ts). It must build exactly the object pg builds, for any
// column names, and rows read through it must equal pg's.

const field = (name: string): pg.FieldDef => ({
  name,
  tableID: 0,
  columnID: 0,
  dataTypeID: 25,
  dataTypeSize: -1,
  dataTypeModifier: -1,
  format: 'text',
});

/** What pg does (pg/lib/result.js): a copy of an object with every name, then one assignment per column. */
function assigned(names: readonly string[], parsers: readonly ((text: string) => unknown)[], raw: (string | null)[]) {
  const template = Object.create(null) as Record<string, unknown>;
  for (const name of names) template[name] = null;
  const row: Record<string, unknown> = { ...template };
  for (let i = 0; i < raw.length; i++) {
    const value = raw[i] as string | null;
    row[names[i] as string] = value === null ? null : (parsers[i] as (text: string) => unknown)(value);
  }
  return row;
}

const name = fc.oneof(
  fc.string(),
  fc.constantFrom('__proto__', 'constructor', 'toString', '0', '1', '10', '-1', '"', "'", '\\', '\n', '\u2028', '${x}', '`'),
  fc.fullUnicodeString({ maxLength: 6 }),
);

describe('objectRowMaker', () => {
  it('builds the object pg builds, for any names, duplicates and __proto__ included', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(name, fc.option(fc.string(), { nil: null }), fc.boolean()), { minLength: 1, maxLength: 8 }),
        (columns) => {
          const names = columns.map(([n]) => n);
          const raw = columns.map(([, value]) => value);
          const parsers = columns.map(([, , upper]) => (upper ? (t: string) => t.toUpperCase() : (t: string) => `<${t}>`));
          const values = raw.map((value, i) => (value === null ? null : (parsers[i] as (text: string) => unknown)(value)));
          const made = objectRowMaker(names.map(field))(values);
          const expected = assigned(names, parsers, raw);
          expect(Object.getPrototypeOf(made)).toBe(Object.getPrototypeOf(expected));
          expect(Object.entries(made)).toEqual(Object.entries(expected));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('builds rows without code generation where it is disallowed', async () => {
    const module = fileURLToPath(new URL('../../src/protocol/object-row.ts', import.meta.url));
    const script = `
      const { objectRowMaker } = await import(${JSON.stringify(module)});
      let generated = true;
      try { new Function('return 1'); } catch { generated = false; }
      const field = (name) => ({ name });
      const fields = [field('a'), field('__proto__'), field('a')];
      const row = objectRowMaker(fields)([1, 'x', 3]);
      console.log(JSON.stringify({ generated, row, keys: Object.keys(row), proto: Object.getPrototypeOf(row) === Object.prototype }));
    `;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--disallow-code-generation-from-strings', '--import', 'tsx', '--input-type=module', '-e', script],
      { timeout: 30_000 },
    );
    expect(JSON.parse(stdout)).toEqual({ generated: false, row: { a: 3, ['__proto__']: 'x' }, keys: ['a', '__proto__'], proto: true });
  });
});

describe('object rows from the server', () => {
  const db = useTestDatabase();

  it('equal pg’s for awkward column names, duplicates and NULLs, on the cached statement path', async () => {
    const engine = await createEngine({ connectionString: db.url, minSize: 1, maxSize: 1, pipelineConnections: 1 });
    const client = new pg.Client({ connectionString: db.url, password: db.password });
    await client.connect();
    try {
      // Parameterized: pgsa runs it as a cached named statement (the path that builds rows).
      const columns = `as "a", 'x' as "we""ird", null::text as "a b", timestamptz '2024-01-02 03:04:05+00' as "1"`;
      const more = `as "a", '{"k":1}'::jsonb as "\\", 2.5::numeric as "constructor", 'p' as "__proto__"`;
      const query = sql<Record<string, unknown>>`select ${7}::int ${sql.raw(columns)}, ${8}::int ${sql.raw(more)}`;
      const expected = (await client.query(`select $1::int ${columns}, $2::int ${more}`, [7, 8])).rows;
      expect(expected[0]).toMatchObject({ a: 8, '1': new Date('2024-01-02T03:04:05Z'), constructor: '2.5' });
      for (let i = 0; i < 3; i++) {
        // engine.db: the pipelined connection; conn.db: an acquired one.
        expect((await query.execute(engine.db)).rows).toEqual(expected);
        await using conn = await engine.acquire();
        expect((await query.execute(conn.db)).rows).toEqual(expected);
      }
    } finally {
      await client.end();
      await engine.close();
    }
  });
});
