import { describe, expect, it, vi } from 'vitest';
import { OperationalError } from '../../src/index.js';
import { observe, useTestDatabase } from '../support/test-database.js';
import { useEngines } from '../support/engine-fixture.js';
import { waitUntilRunning } from '../support/observers.js';
import { rejection } from '../support/rejection.js';

const db = useTestDatabase();
const engines = useEngines(db, { shared: { minSize: 1, maxSize: 3 } });

describe('a backend killed by pg_terminate_backend during a query', () => {
  it('fails the statement with OperationalError (57P01); its transaction is lost', async () => {
    const conn = await engines.shared.acquire();
    await conn.execute('begin');
    await conn.execute(`insert into users (name) values ('killed-tx')`);
    const running = rejection(conn.execute('select pg_sleep(30) /* kill-me-1 */'), OperationalError);
    await waitUntilRunning(db.url, conn.backendPid, 'kill-me-1');
    await observe(db.url, 'select pg_terminate_backend($1)', [conn.backendPid]);
    const error = await running;
    expect(error).toMatchObject({
      message: 'terminating connection due to administrator command',
      sqlstate: '57P01',
    });
    await conn.close();
    expect(await observe(db.url, `select id from users where name = 'killed-tx'`)).toEqual([]);
  });

  it('makes the next statement on that connection fail with OperationalError too', async () => {
    const conn = await engines.shared.acquire();
    const running = rejection(conn.execute('select pg_sleep(30) /* kill-me-2 */'), OperationalError);
    await waitUntilRunning(db.url, conn.backendPid, 'kill-me-2');
    await observe(db.url, 'select pg_terminate_backend($1)', [conn.backendPid]);
    await running;
    await vi.waitFor(async () => {
      const next = await rejection(conn.execute('select 1'), OperationalError);
      expect(next.message).toMatch(/Connection terminated unexpectedly|not queryable/);
    });
    await conn.close();
  });

  it('is replaced by the engine on release: size and freeSize stay right', async () => {
    const e = engines.shared;
    await vi.waitFor(() => expect(e.stats()).toMatchObject({ size: 1, free: 1, inUse: 0 }));
    const conn = await e.acquire();
    const deadPid = conn.backendPid;
    expect(e.stats()).toMatchObject({ size: 1, free: 0, inUse: 1 });
    const running = rejection(conn.execute('select pg_sleep(30) /* kill-me-3 */'), OperationalError);
    await waitUntilRunning(db.url, deadPid, 'kill-me-3');
    await observe(db.url, 'select pg_terminate_backend($1)', [deadPid]);
    await running;
    await conn.close();
    await vi.waitFor(() => expect(e.stats()).toMatchObject({ size: 1, free: 1, inUse: 0 }));
    expect(e.size).toBe(1);
    expect(e.freeSize).toBe(1);
    const fresh = await e.acquire();
    expect(fresh.backendPid).not.toBe(deadPid);
    expect(await fresh.scalar('select 1')).toBe(1);
    await fresh.close();
    expect(e.stats()).toMatchObject({ size: 1, free: 1, inUse: 0 });
  });
});

describe('a backend killed during a bulk write', () => {
  it('fails executeMany with OperationalError and stores none of its sets', async () => {
    const conn = await engines.shared.acquire();
    const running = rejection(
      conn.executeMany("insert into users (name) select $1 || pg_sleep($2)::text /* kill-many */", [
        ['first', 0],
        ['second', 30],
      ]),
      OperationalError,
    );
    await waitUntilRunning(db.url, conn.backendPid, 'kill-many');
    await observe(db.url, 'select pg_terminate_backend($1)', [conn.backendPid]);
    const error = await running;
    expect(error).toMatchObject({ sqlstate: '57P01' });
    await conn.close();
    expect(await observe(db.url, `select name from users where name like 'first%' or name like 'second%'`)).toEqual([]);
  });

  it('fails copyFrom with OperationalError while the COPY waits for data, and stores nothing', async () => {
    const conn = await engines.shared.acquire();
    const pid = conn.backendPid;
    let release: () => void = () => {};
    const stalled = new Promise<void>((resolve) => (release = resolve));
    let sent = 0;
    async function* rows() {
      yield ['copied-before-kill'];
      sent++;
      await stalled;
      yield ['copied-after-kill'];
    }
    const running = rejection(conn.copyFrom('users', rows(), { columns: ['name'] }), OperationalError);
    await vi.waitFor(() => expect(sent).toBe(1));
    await observe(db.url, 'select pg_terminate_backend($1)', [pid]);
    const error = await running;
    release();
    expect(error).toBeInstanceOf(OperationalError);
    await conn.close();
    expect(await observe(db.url, `select name from users where name like 'copied-%'`)).toEqual([]);
  });
});

describe('a backend killed during copyTo', () => {
  it('ends the loop with OperationalError and the connection is discarded', async () => {
    const e = engines.shared;
    const conn = await e.acquire();
    const pid = conn.backendPid;
    await rejection(
      (async () => {
        for await (const _chunk of conn.copyTo(
          `COPY (select n, repeat('x', 1000), pg_sleep(case when n = 100 then 30 else 0 end)
             from generate_series(1, 200) n) TO STDOUT`,
        )) {
          await observe(db.url, 'select pg_terminate_backend($1)', [pid]);
        }
      })(),
      OperationalError,
    );
    await conn.close();
    const next = await e.acquire();
    expect(next.backendPid).not.toBe(pid);
    expect(await next.scalar('select 1')).toBe(1);
    await next.close();
  });
});
