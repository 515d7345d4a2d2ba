import { describe, expect, it } from 'vitest';
import {
  beginSql,
  COMMIT_SQL,
  ROLLBACK_SQL,
  type SessionIsolationLevel,
} from '../../src/session/session-sql.js';

describe('session control SQL', () => {
  it('begins a plain transaction with BEGIN', () => {
    expect(beginSql()).toBe('BEGIN');
    expect(beginSql({})).toBe('BEGIN');
  });

  it('adds the isolation level and access mode to BEGIN', () => {
    expect(beginSql({ isolationLevel: 'serializable' })).toBe('BEGIN ISOLATION LEVEL SERIALIZABLE');
    expect(beginSql({ isolationLevel: 'repeatable read', accessMode: 'read only' })).toBe(
      'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY',
    );
    expect(beginSql({ accessMode: 'read write' })).toBe('BEGIN READ WRITE');
  });

  it('refuses an isolation level PostgreSQL does not know instead of splicing it', () => {
    expect(() => beginSql({ isolationLevel: 'snapshot' })).toThrow(
      new RangeError('unknown isolation level: "snapshot"'),
    );
    expect(() =>
      beginSql({ isolationLevel: 'serializable; drop table users' as SessionIsolationLevel }),
    ).toThrow(RangeError);
  });

  it('refuses an unknown access mode', () => {
    expect(() => beginSql({ accessMode: 'read' as 'read only' })).toThrow(
      new RangeError('unknown access mode: "read"'),
    );
  });

  it('ends transactions with COMMIT and ROLLBACK', () => {
    expect(COMMIT_SQL).toBe('COMMIT');
    expect(ROLLBACK_SQL).toBe('ROLLBACK');
  });
});
