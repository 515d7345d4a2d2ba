import { describe, expect, it } from 'vitest';
import { copySql, encodeCopyRow, isCopyStatement } from '../../src/protocol/copy-text.js';

describe('COPY text format', () => {
  it('separates fields with tabs, ends the row with a newline and writes NULL as \\N', () => {
    expect(encodeCopyRow([1, 'ann', null, undefined])).toBe('1\tann\t\\N\t\\N\n');
  });

  it('escapes backslash, newline, carriage return and tab inside values', () => {
    expect(encodeCopyRow(['a\\b', 'line\nnext', 'cr\rx', 'tab\there'])).toBe(
      'a\\\\b\tline\\nnext\tcr\\rx\ttab\\there\n',
    );
  });

  it('converts values as parameters are: booleans, arrays, JSON objects, bytea', () => {
    expect(encodeCopyRow([true, ['x', 'y z'], { a: 1 }, Buffer.from('AB')])).toBe(
      'true\t{"x","y z"}\t{"a":1}\t\\\\x4142\n',
    );
  });

  it('writes dates as node-postgres sends them (with the local offset)', () => {
    const line = encodeCopyRow([new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6))]);
    expect(new Date(line.trim()).toISOString()).toBe('2024-01-02T03:04:05.006Z');
  });

  it('refuses a value that cannot be converted with TypeError', () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(() => encodeCopyRow([circular])).toThrow(TypeError);
  });
});

describe('COPY statements', () => {
  it('quotes the table, its schema and the columns', () => {
    expect(copySql('from', 'users', undefined)).toBe('COPY "users" FROM STDIN');
    expect(copySql('from', 'app.users', ['name', 'odd"col'])).toBe(
      'COPY "app"."users" ("name", "odd""col") FROM STDIN',
    );
  });

  it('refuses an empty table name or an empty column list', () => {
    expect(() => copySql('from', '', undefined)).toThrow(
      new TypeError('copyFrom takes a table name or a COPY … FROM STDIN statement'),
    );
    expect(() => copySql('from', 'users', [])).toThrow(
      new TypeError('copyFrom: columns must be a non-empty array of column names'),
    );
  });

  it('builds COPY … TO STDOUT for copyTo', () => {
    expect(copySql('to', 'app.users', ['id', 'name'])).toBe('COPY "app"."users" ("id", "name") TO STDOUT');
    expect(isCopyStatement('to', 'COPY (select 1) TO STDOUT (FORMAT csv)')).toBe(true);
    expect(() => isCopyStatement('to', 'COPY users FROM STDIN')).toThrow(
      new TypeError('copyTo takes a COPY … TO STDOUT statement, not COPY … FROM'),
    );
  });

  it('tells a COPY … FROM STDIN statement from a table name', () => {
    expect(isCopyStatement('from', 'users')).toBe(false);
    expect(isCopyStatement('from', '  copy users (name) from stdin (format csv)')).toBe(true);
    expect(() => isCopyStatement('from', 'COPY users TO STDOUT')).toThrow(
      new TypeError('copyFrom takes a COPY … FROM STDIN statement, not COPY … TO'),
    );
  });
});
