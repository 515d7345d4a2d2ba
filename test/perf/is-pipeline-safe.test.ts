import { describe, expect, it } from 'vitest';
import { firstKeyword, isPipelineSafe } from '../../src/engine/is-pipeline-safe.js';

describe('isPipelineSafe', () => {
  it.each([
    ['select * from users where id = $1', 1],
    ['  (select 1)', 0],
    ['-- note\n/* block */ WITH x AS (select 1) select * from x', 0],
    ['insert into users (name) values ($1) returning id', 1],
    ['update users set name = $1', 1],
    ['delete from users', 0],
    ['select 1;', 0],
  ])('accepts the single autocommit statement %j', (sql, count) => {
    expect(isPipelineSafe(sql, count)).toBe(true);
  });

  it.each([
    ['begin', 0],
    ['COMMIT', 0],
    ["set search_path = 'x'", 0],
    ['listen channel', 0],
    ['create table t (id int)', 0],
    ['savepoint a', 0],
    ['select 1; begin', 0],
    ['', 0],
  ])('refuses %j, which must run on a connection of its own', (sql, count) => {
    expect(isPipelineSafe(sql, count)).toBe(false);
  });

  it('reads the first keyword after comments and parentheses, lower-cased', () => {
    expect(firstKeyword('/* a */ -- b\n ((SELECT 1))')).toBe('select');
    expect(firstKeyword('/* never closed')).toBeUndefined();
  });
});
