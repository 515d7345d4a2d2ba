import { describe, expect, it } from 'vitest';
import { listenSql, NOTIFY_SQL, UNLISTEN_ALL_SQL, unlistenSql } from '../../src/sql/notify-sql.js';

describe('LISTEN / UNLISTEN / NOTIFY statements', () => {
  it('quote the channel as an identifier, doubling embedded quotes', () => {
    expect(listenSql('orders')).toBe('LISTEN "orders"');
    expect(listenSql('Orders "EU"; drop table users')).toBe('LISTEN "Orders ""EU""; drop table users"');
    expect(unlistenSql('a"b')).toBe('UNLISTEN "a""b"');
  });

  it('refuse an empty channel, a NUL character and more than 63 bytes', () => {
    expect(() => listenSql('')).toThrow(new TypeError('an identifier must be a non-empty string'));
    expect(() => listenSql('a\0b')).toThrow(new TypeError('an identifier must not contain NUL characters'));
    expect(() => unlistenSql('é'.repeat(32))).toThrow(new TypeError('identifier is longer than 63 bytes'));
  });

  it('send the payload as a parameter of pg_notify, and clear every LISTEN with UNLISTEN *', () => {
    expect(NOTIFY_SQL).toBe('select pg_notify($1, $2)');
    expect(UNLISTEN_ALL_SQL).toBe('UNLISTEN *');
  });
});
