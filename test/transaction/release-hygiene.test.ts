import { describe, expect, it, vi } from 'vitest';
import { OperationalError } from '../../src/index.js';
import { observe, useTestDatabase } from '../support/test-database.js';
import { useEngines } from '../support/engine-fixture.js';
import { committedUsers } from '../support/observers.js';
import { FIRST_USER_ONLY } from '../support/sample-tables.js';
import { rejection } from '../support/rejection.js';

const db = useTestDatabase();
// No leak check: these tests leave their connections acquired; the engine is terminated after each.
const engines = useEngines(db, {
  defaults: { minSize: 1, maxSize: 4 },
  reset: FIRST_USER_ONLY,
});

/** The server's view of one backend, from an independent connection. */
async function backendState(pid: number): Promise<string | undefined> {
  const [row] = await observe<{ state: string }>(
    db.url,
    'select state from pg_stat_activity where pid = $1',
    [pid],
  );
  return row?.state;
}

describe('release hygiene', () => {
  it('rolls back a transaction left open at release, with a warning, before anyone reuses it', async () => {
    const e = await engines.make({ maxSize: 1 });
    await using conn = await e.acquire();
    const pid = conn.backendPid;
    const tx = await conn.begin();
    await conn.execute("insert into users (name) values ('abandoned')");
    await conn.close();
    expect(tx.status).toBe('rolledBack');
    expect(e.captured.warnings).toEqual([
      `connection ${pid} was released inside a transaction; rolling it back`,
    ]);
    await using next = await e.acquire();
    expect(next.backendPid).toBe(pid);
    expect(next.inTransaction).toBe(false);
    expect(await backendState(pid)).toBe('idle');
    expect(await committedUsers(db.url)).toEqual(['first']);
  });

  it('rolls back a failed transaction left at release', async () => {
    const e = await engines.make({ maxSize: 1 });
    await using conn = await e.acquire();
    const pid = conn.backendPid;
    await conn.begin();
    await conn.execute("insert into users (name) values ('abandoned')");
    await conn.execute('select 1/0').catch(() => {});
    await e.release(conn);
    expect(e.captured.warnings).toHaveLength(1);
    await using next = await e.acquire();
    expect(next.backendPid).toBe(pid);
    expect(next.inTransaction).toBe(false);
    expect(await next.scalar('select 1')).toBe(1);
    expect(await backendState(pid)).toBe('idle');
    expect(await committedUsers(db.url)).toEqual(['first']);
  });

  it('rolls back a transaction begun with raw SQL at release', async () => {
    const e = await engines.make({ maxSize: 1 });
    await using conn = await e.acquire();
    await conn.execute("BEGIN; insert into users (name) values ('raw')");
    await conn.close();
    await using next = await e.acquire();
    expect(next.inTransaction).toBe(false);
    expect(await committedUsers(db.url)).toEqual(['first']);
  });

  it('discards a connection released in the middle of a query and replaces it', async () => {
    const e = await engines.make({ minSize: 1, maxSize: 1 });
    await using conn = await e.acquire();
    const pid = conn.backendPid;
    await conn.begin();
    await conn.execute("insert into users (name) values ('in flight')");
    const running = rejection(conn.execute('select pg_sleep(0.5)'), OperationalError);
    await conn.close();
    await running;
    await using next = await e.acquire();
    expect(next.backendPid).not.toBe(pid);
    expect(next.inTransaction).toBe(false);
    expect(await backendState(next.backendPid)).toBe('idle');
    expect(e.stats().size).toBe(1);
    expect(await committedUsers(db.url)).toEqual(['first']);
  });

  it('sends nothing when an idle connection is released (no round trip per release)', async () => {
    const e = await engines.make({ maxSize: 1 });
    await using conn = await e.acquire();
    await conn.transaction(() => conn.execute("insert into users (name) values ('done')"));
    const spy = vi.spyOn(conn.raw, 'query');
    await conn.close();
    expect(spy).not.toHaveBeenCalled();
    spy.mockRestore();
    expect(e.captured.warnings).toEqual([]);
  });
});

describe('session state across release (by default it stays: no reset round trip)', () => {
  it('keeps a SET for the next user of the connection; SET LOCAL ends with its transaction', async () => {
    const e = await engines.make({ maxSize: 1 });
    await using conn = await e.acquire();
    await conn.execute("set pgsa.leak = 'session'");
    await conn.transaction(() => conn.execute("set local pgsa.scoped = 'local'"));
    await conn.close();
    await using next = await e.acquire();
    expect(await next.scalar("select current_setting('pgsa.leak', true)")).toBe('session');
    expect(await next.scalar("select coalesce(current_setting('pgsa.scoped', true), '')")).toBe('');
  });

  it('keeps a temporary table for the next user; ON COMMIT DROP does not leak', async () => {
    const e = await engines.make({ maxSize: 1 });
    await using conn = await e.acquire();
    await conn.execute('create temp table scratch (x int)');
    await conn.transaction(() => conn.execute('create temp table gone (x int) on commit drop'));
    await conn.close();
    await using next = await e.acquire();
    expect(await next.scalar("select to_regclass('pg_temp.scratch') is not null")).toBe(true);
    expect(await next.scalar("select to_regclass('pg_temp.gone') is not null")).toBe(false);
  });

  it('keeps LISTEN registrations for the next user', async () => {
    const e = await engines.make({ maxSize: 1 });
    await using conn = await e.acquire();
    await conn.execute('listen pgsa_channel');
    await conn.close();
    await using next = await e.acquire();
    expect(await next.scalar('select array_agg(c) from pg_listening_channels() c')).toEqual([
      'pgsa_channel',
    ]);
  });
});

describe('resetOnRelease: true', () => {
  it('resets SET, temporary tables, LISTEN and advisory locks when the connection is released', async () => {
    const e = await engines.make({ maxSize: 1, resetOnRelease: true });
    await using conn = await e.acquire();
    const pid = conn.backendPid;
    await conn.execute("set pgsa.leak = 'session'");
    await conn.execute('set statement_timeout = 1234');
    await conn.execute('create temp table scratch (x int)');
    await conn.execute('listen pgsa_channel');
    await conn.execute('select pg_advisory_lock(42)');
    await conn.close();
    await using next = await e.acquire();
    expect(next.backendPid).toBe(pid);
    expect(await next.scalar("select coalesce(current_setting('pgsa.leak', true), '')")).toBe('');
    expect(await next.scalar('show statement_timeout')).toBe('0');
    expect(await next.scalar("select to_regclass('pg_temp.scratch') is not null")).toBe(false);
    expect(await next.scalar('select count(*)::int from pg_listening_channels()')).toBe(0);
    const [locks] = await observe<{ n: number }>(
      db.url,
      "select count(*)::int as n from pg_locks where locktype = 'advisory' and pid = $1",
      [pid],
    );
    expect(locks?.n).toBe(0);
  });

  it('keeps connection defaults such as applicationName and statementTimeoutMs', async () => {
    const e = await engines.make({
      maxSize: 1,
      resetOnRelease: true,
      applicationName: 'pgsa-reset',
      statementTimeoutMs: 4321,
    });
    await using conn = await e.acquire();
    await conn.execute("set application_name = 'changed'");
    await conn.close();
    await using next = await e.acquire();
    expect(await next.scalar('show application_name')).toBe('pgsa-reset');
    expect(await next.scalar('show statement_timeout')).toBe('4321ms');
  });

  it('rolls back an open transaction first, then resets', async () => {
    const e = await engines.make({ maxSize: 1, resetOnRelease: true });
    await using conn = await e.acquire();
    await conn.begin();
    await conn.execute("insert into users (name) values ('abandoned')");
    await conn.execute("set pgsa.leak = 'session'");
    await conn.close();
    await using next = await e.acquire();
    expect(next.inTransaction).toBe(false);
    expect(await next.scalar("select coalesce(current_setting('pgsa.leak', true), '')")).toBe('');
    expect(await committedUsers(db.url)).toEqual(['first']);
  });
});
