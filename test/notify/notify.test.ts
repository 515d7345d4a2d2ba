import { afterEach, describe, expect, it } from 'vitest';
import { atomic, DataError, runInNewContext } from '../../src/index.js';
import { useEngines } from '../support/engine-fixture.js';
import { rejection } from '../support/rejection.js';
import { useTestDatabase } from '../support/test-database.js';
import { type RawListener, rawListener } from './notify-support.js';

const db = useTestDatabase();
const engines = useEngines(db, { shared: { minSize: 1, maxSize: 4 } });

let observer: RawListener | undefined;
afterEach(async () => {
  await observer?.close();
  observer = undefined;
});

describe('notify arguments', () => {
  it('refuses an empty channel name with a TypeError before anything is sent', async () => {
    await expect(engines.shared.notify('', 'x')).rejects.toThrow(
      new TypeError('a channel name must be a non-empty string'),
    );
    expect(engines.shared.captured.sql).toEqual([]);
  });

  it('refuses a payload over 7999 UTF-8 bytes with a DataError before anything is sent', async () => {
    // 4000 two-byte characters: 4000 characters, 8000 bytes.
    const error = await rejection(engines.shared.notify('orders', 'é'.repeat(4000)), DataError);
    expect(error.message).toBe(
      'notification payload is 8000 bytes; PostgreSQL accepts at most 7999 (UTF-8): ' +
        'store large data in a table and notify its key',
    );
    expect(engines.shared.captured.sql).toEqual([]);
  });

  it('sends a payload of exactly 7999 bytes', async () => {
    observer = await rawListener(db.url, ['big']);
    await engines.shared.notify('big', 'x'.repeat(7999));
    await observer.waitFor(1);
    expect(observer.received[0]?.payload).toHaveLength(7999);
  });

  it('refuses a channel name over 63 bytes with a TypeError', async () => {
    await expect(engines.shared.notify('c'.repeat(64), '')).rejects.toThrow(
      new TypeError('invalid channel name: identifier is longer than 63 bytes'),
    );
  });

  it('refuses a payload that is not a string with a TypeError', async () => {
    await expect(engines.shared.notify('orders', 42 as unknown as string)).rejects.toThrow(
      new TypeError('a notification payload must be a string, got number'),
    );
  });

  it('sends any channel name and payload as parameters (quotes and SQL are only text)', async () => {
    const channel = `a"; drop table users; --`;
    const payload = `'); drop table users; --`;
    observer = await rawListener(db.url, [channel]);
    await engines.shared.notify(channel, payload);
    await observer.waitFor(1);
    expect(observer.received).toEqual([{ channel, payload }]);
    expect(engines.shared.captured.sql).toEqual(['select pg_notify($1, $2)']);
  });
});

describe('transactional delivery', () => {
  it('delivers conn.notify inside a transaction only at COMMIT', async () => {
    observer = await rawListener(db.url, ['tx']);
    await engines.shared.transaction(async (conn) => {
      await conn.notify('tx', 'committed');
      await observer!.barrier();
      expect(observer!.received).toEqual([]);
    });
    await observer.waitFor(1);
    expect(observer.received).toEqual([{ channel: 'tx', payload: 'committed' }]);
  });

  it('never delivers a notify whose transaction rolled back', async () => {
    observer = await rawListener(db.url, ['tx']);
    await expect(
      engines.shared.transaction(async (conn) => {
        await conn.notify('tx', 'rolled back');
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    await engines.shared.notify('tx', 'after');
    await observer.waitFor(1);
    await observer.barrier();
    expect(observer.received).toEqual([{ channel: 'tx', payload: 'after' }]);
  });

  it('delivers session.notify when atomic() commits, and not when it rolls back', async () => {
    observer = await rawListener(db.url, ['session']);
    await runInNewContext(async () => {
      await atomic(engines.shared, async (session) => {
        await session.notify('session', 'kept');
      });
      await expect(
        atomic(engines.shared, async (session) => {
          await session.notify('session', 'dropped');
          throw new Error('abort');
        }),
      ).rejects.toThrow('abort');
    });
    await observer.waitFor(1);
    await observer.barrier();
    expect(observer.received).toEqual([{ channel: 'session', payload: 'kept' }]);
  });
});
