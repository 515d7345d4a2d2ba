import { describe, expect, it } from 'vitest';
import { ProgrammingError } from '../../src/index.js';
import { encodeCopyRow } from '../../src/protocol/encode-copy-row.js';

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

  it('refuses a value that cannot be converted with ProgrammingError', () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(() => encodeCopyRow([circular])).toThrow(ProgrammingError);
    expect(() => encodeCopyRow([circular])).toThrow(/^cannot send a parameter: /);
  });
});
