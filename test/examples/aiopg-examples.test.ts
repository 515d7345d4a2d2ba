import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { expect, it } from 'vitest';
import { runExampleFile } from '../support/run-example-file.js';
import { observe, useTestDatabase } from '../support/test-database.js';

const db = useTestDatabase();

/** Per file in examples/aiopg/: its last line and lines (or patterns) its output must contain. */
const EXPECTED: Record<string, { last: string; lines: (string | RegExp)[] }> = {
  'simple.ts': { last: 'ALL DONE', lines: ['SELECT 1 -> [[1]]'] },
  'simple-sa.ts': { last: 'done', lines: ['1 abc'] },
  'simple-sa-transaction.ts': {
    last: 'done',
    lines: [
      'success_transaction committed: 2 user(s)',
      'fail_transaction rolled back: 0 user(s)',
      'success_nested_transaction committed: 2 user(s)',
      'fail_nested_transaction committed: 2 user(s)',
      'fail_first_nested_transaction rolled back: 0 user(s)',
    ],
  },
  'transaction.ts': {
    last: 'done',
    lines: [
      'repeatable read: inserted 1, 3, 4 (server says repeatable read)',
      'read committed: inserted 1, 3, 4 (server says read committed)',
      'serializable: inserted 1, 3, 4 (server says serializable)',
      'select * from tbl: 1, 3, 4, 1, 3, 4, 1, 3, 4',
    ],
  },
  'isolation-sa-transaction.ts': {
    last: 'done',
    lines: [
      'read only (deferrable true) update: ReadOnlySqlTransactionError 25006',
      'read only (deferrable false) update: ReadOnlySqlTransactionError 25006',
      'repeatable read: update of a row changed since: SerializationFailureError 40001',
      'serializable: update after that: InternalError 25P02',
      'serializable: user after both transactions {"id":1,"name":"name2"}',
      'read committed: user after both transactions {"id":1,"name":"test1"}',
    ],
  },
  'sa.ts': {
    last: 'done',
    lines: [
      /^Population consists of 25 people with \d+ emails in total$/,
      'Users with public emails:',
      'Lookup for Julia:',
      /^Julia \w{3} \w{3} \d\d \d{4} Julia\+\d+@gmail\.com (true|false)$/,
      /^Average age of population is \d+ years \d+ mons \d+ days or ~ (19|2\d|30) years$/,
    ],
  },
  'named-field-sa.ts': {
    last: 'done',
    lines: [
      'inserted {"id":1}, read back {"id":1,"name":"default name"}',
      'inserted {"id":2,"name":"test"}, read back {"id":2,"name":"test"}',
    ],
  },
  'default-field-sa.ts': {
    last: 'done',
    lines: [
      'row 1: uuid generated, name default name, date set, flag 0, count_str 7, is_active true',
      'row 2: uuid generated, name test, date set, flag 0, count_str 7, is_active false',
    ],
  },
  'types-field-sa.ts': {
    last: 'done',
    lines: [
      'row 1: {"id":1,"json":null,"array_int":[],"enum":"s","custom_list":[""]}',
      'row 2: {"id":2,"json":{"data":123},"array_int":[],"enum":"s","custom_list":[""]}',
      'row 3: {"id":3,"json":null,"array_int":[1,3,4],"enum":"s","custom_list":[""]}',
      'row 4: {"id":4,"json":null,"array_int":[],"enum":"f","custom_list":[""]}',
      'row 5: {"id":5,"json":null,"array_int":[],"enum":"s","custom_list":["1","test","4"]}',
    ],
  },
};

it('every file in examples/aiopg/ has expectations here', () => {
  const files = readdirSync(resolve(import.meta.dirname, '../../examples/aiopg')).sort();
  expect(files).toEqual(Object.keys(EXPECTED).sort());
});

it('the README table "aiopg\'s examples, in pgsa" links every file in examples/aiopg/', () => {
  const readme = readFileSync(resolve(import.meta.dirname, '../../README.md'), 'utf8');
  const start = readme.indexOf("\n### aiopg's examples, in pgsa\n");
  expect(start).toBeGreaterThan(0);
  const table = readme.slice(start, readme.indexOf('\n## ', start));
  for (const file of Object.keys(EXPECTED)) expect(table).toContain(`(examples/aiopg/${file})`);
});

for (const [file, { last, lines }] of Object.entries(EXPECTED)) {
  it(`examples/aiopg/${file} runs against the server, prints what aiopg's example does and cleans up`, async () => {
    const output = await runExampleFile(`aiopg/${file}`, db.url);
    for (const line of lines) {
      if (typeof line === 'string') expect(output).toContain(line);
      else expect(output.some((l) => line.test(l)), `a line matching ${line}`).toBe(true);
    }
    expect(output.at(-1)).toBe(last);
    expect(await observe(db.url, "select nspname from pg_namespace where nspname like 'pgsa\\_%'")).toEqual([]);
  }, 30_000);
}
