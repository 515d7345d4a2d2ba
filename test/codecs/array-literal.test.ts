import { describe, expect, it } from 'vitest';
import { parseArrayLiteral } from '../../src/codecs/array-literal.js';

// The server's side of these literals is covered in type-codecs.test.ts; these pin the parser's
// handling of what the server writes, including text that no test round trip produces.
describe('parseArrayLiteral', () => {
  it('parses quoted elements with escaped quotes and backslashes, and unquoted NULL as null', () => {
    expect(parseArrayLiteral('{"a\\"b","c\\\\d",NULL,"NULL",null}', String)).toEqual(['a"b', 'c\\d', null, 'NULL', null]);
  });

  it('parses nested arrays and skips a lower-bound decoration', () => {
    expect(parseArrayLiteral('[0:1][1:2]={{1,2},{3,NULL}}', Number)).toEqual([[1, 2], [3, null]]);
  });

  it('splits on the given delimiter only', () => {
    expect(parseArrayLiteral('{(1,1),(0,0);(2,2),(1,1)}', String, ';')).toEqual(['(1,1),(0,0)', '(2,2),(1,1)']);
  });

  it('parses empty arrays, at the top and nested', () => {
    expect(parseArrayLiteral('{}', String)).toEqual([]);
    expect(parseArrayLiteral('{{},{}}', String)).toEqual([[], []]);
  });

  it('refuses text that is not an array literal with a TypeError quoting it', () => {
    expect(() => parseArrayLiteral('1,2', String)).toThrow(new TypeError('not a PostgreSQL array literal: "1,2"'));
    expect(() => parseArrayLiteral('{"unterminated', String)).toThrow(
      new TypeError('not a PostgreSQL array literal: "{\\"unterminated"'),
    );
    expect(() => parseArrayLiteral('{1,2', String)).toThrow(new TypeError('not a PostgreSQL array literal: "{1,2"'));
  });
});
