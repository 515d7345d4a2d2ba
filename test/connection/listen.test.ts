import { describe, expect, it } from 'vitest';
import { NotSupportedError, type Notification, ResourceClosedError } from '../../src/index.js';
import { useEngines } from '../support/engine-fixture.js';
import { observe, useTestDatabase } from '../support/test-database.js';

const db = useTestDatabase();
const engines = useEngines(db);

/** The last statement a backend ran, as the server reports it. */
async function lastQuery(pid: number): Promise<string | undefined> {
  const rows = await observe<{ query: string }>(db.url, 'select query from pg_stat_activity where pid = $1', [pid]);
  return rows[0]?.query;
}

async function next(iterator: AsyncIterator<Notification>): Promise<Notification> {
  const result = await iterator.next();
  if (result.done) throw new Error('the notifications ended');
  return result.value;
}

describe('conn.listen and conn.notifications', () => {
  it("delivers another session's notification with its channel, payload and sender's process id", async () => {
    const engine = await engines.make({ maxSize: 2, pipelineConnections: 0 });
    await using conn = await engine.acquire();
    await conn.listen('orders');
    const iterator = conn.notifications[Symbol.asyncIterator]();
    await using sender = await engine.acquire();
    await sender.notify('orders', '42');
    expect(await next(iterator)).toEqual({ channel: 'orders', payload: '42', processId: sender.backendPid });
    expect(engine.captured.sql).toEqual(['LISTEN "orders"', 'select pg_notify($1, $2)']);
  });

  it('stops delivering a channel after conn.unlisten', async () => {
    const engine = await engines.make({ maxSize: 2, pipelineConnections: 0 });
    await using conn = await engine.acquire();
    await conn.listen('a');
    await conn.listen('b');
    await conn.unlisten('a');
    await using sender = await engine.acquire();
    await sender.notify('a', 'lost');
    await sender.notify('b', 'kept');
    const iterator = conn.notifications[Symbol.asyncIterator]();
    expect((await next(iterator)).payload).toBe('kept');
  });

  it('ends a loop over conn.notifications when the connection is released', async () => {
    const engine = await engines.make({ maxSize: 1 });
    const conn = await engine.acquire();
    await conn.listen('orders');
    const loop = (async () => {
      const seen: string[] = [];
      for await (const { payload } of conn.notifications) seen.push(payload);
      return seen;
    })();
    await conn.close();
    expect(await loop).toEqual([]);
  });
});

describe('a released connection', () => {
  it('refuses conn.notifications and conn.listen with ResourceClosedError', async () => {
    const engine = await engines.make({ maxSize: 1 });
    const conn = await engine.acquire();
    await conn.close();
    expect(() => conn.notifications).toThrow(
      new ResourceClosedError('cannot read notifications: the connection is closed'),
    );
    await expect(conn.listen('orders')).rejects.toThrow(
      new ResourceClosedError('cannot listen: the connection is closed'),
    );
  });
});

describe('releasing a listening connection', () => {
  it('sends UNLISTEN * so the next holder of the same backend never receives its notifications', async () => {
    const engine = await engines.make({ minSize: 1, maxSize: 1 });
    const first = await engine.acquire();
    const pid = first.backendPid;
    await first.listen('private');
    await first.close();
    expect(await lastQuery(pid)).toBe('UNLISTEN *');

    await using second = await engine.acquire();
    expect(second.backendPid).toBe(pid);
    expect((await second.execute('select pg_listening_channels() as c')).fetchAll()).toEqual([]);
    await second.listen('public');
    // One sender, so 'private' is queued before 'public': only 'public' may arrive.
    await observe(db.url, "select pg_notify('private', 'secret'), pg_notify('public', 'hello')");
    const iterator = second.notifications[Symbol.asyncIterator]();
    expect(await next(iterator)).toMatchObject({ channel: 'public', payload: 'hello' });
  });

  it('adds no statement when the connection never listened', async () => {
    const engine = await engines.make({ minSize: 1, maxSize: 1 });
    const conn = await engine.acquire();
    const pid = conn.backendPid;
    await conn.execute('select 1 as untouched');
    await conn.close();
    expect(await lastQuery(pid)).toBe('select 1 as untouched');
  });
});

describe('an engine configured for PgBouncer', () => {
  const message =
    'cannot listen: the engine is configured for PgBouncer (pgbouncer: true); in transaction ' +
    'mode PgBouncer gives every transaction another server connection, so LISTEN would never ' +
    'deliver. Listen through a second engine that connects to PostgreSQL directly (NOTIFY ' +
    'works through PgBouncer)';

  it('refuses conn.listen, engine.listen and engine.notifications with NotSupportedError, and still notifies', async () => {
    const engine = await engines.make({ pgbouncer: true, statementCacheSize: 0 });
    await using conn = await engine.acquire();
    await expect(conn.listen('orders')).rejects.toThrow(new NotSupportedError(message));
    await expect(conn.listen('orders')).rejects.toBeInstanceOf(NotSupportedError);
    await expect(engine.listen('orders', () => {})).rejects.toThrow(message);
    expect(() => engine.notifications('orders')).toThrow(NotSupportedError);
    await conn.notify('orders', 'fine');
    expect(engine.captured.sql).toEqual(['select pg_notify($1, $2)']);
  });
});
