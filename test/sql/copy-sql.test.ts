import { describe, expect, it } from 'vitest';
import { copySql, isCopyStatement, quoteTableName } from '../../src/sql/copy-sql.js';

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

describe('table names of copyFrom / copyTo', () => {
  it('quotes each part of schema.table, taking quoted parts as written', () => {
    expect(quoteTableName('copyFrom', 'users')).toBe('"users"');
    expect(quoteTableName('copyFrom', 'app.Users')).toBe('"app"."Users"');
    expect(quoteTableName('copyFrom', '"my.app"."odd""name"')).toBe('"my.app"."odd""name"');
    expect(quoteTableName('copyFrom', 'users; drop table x')).toBe('"users; drop table x"');
  });

  it('refuses more than two parts, empty parts and malformed quotes', () => {
    expect(() => quoteTableName('copyFrom', 'db.app.users')).toThrow(
      new TypeError('copyFrom takes a table name or schema.table, got "db.app.users"'),
    );
    expect(() => quoteTableName('copyFrom', 'app.')).toThrow(TypeError);
    expect(() => quoteTableName('copyFrom', '.users')).toThrow(TypeError);
    expect(() => quoteTableName('copyFrom', '"users')).toThrow(TypeError);
    expect(() => quoteTableName('copyFrom', '"a"b')).toThrow(TypeError);
    expect(() => quoteTableName('copyFrom', 'a"b')).toThrow(TypeError);
  });
});
