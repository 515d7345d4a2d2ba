import { Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../schema/database.js';
import {
  DatabaseError,
  OperationalError,
  PoolTimeoutError,
  ProgrammingError,
  UniqueViolationError,
} from '../../src/index.js';
import { useEngines } from '../support/engine-fixture.js';
import { waitUntilRunning } from '../support/observers.js';
import { rejection } from '../support/rejection.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { observe, useTestDatabase } from '../support/test-database.js';

// pgsa's errors also carry the fields of node-postgres' DatabaseError under pg's names, so
// Kysely code written against the stock dialect (`err.code === '23505'`) keeps working.

const db = useTestDatabase();
const engines = useEngines(db, { defaults: { minSize: 1, maxSize: 2 } });

beforeEach(async () => {
  await observe(db.url, "insert into users (id, name) values (1, 'ann')");
});

afterEach(async () => {
  await observe(db.url, 'truncate users, emails restart identity cascade');
});

describe("a server error's pg fields", () => {
  it('has code 23505 on a unique violation through a Kysely of the application', async () => {
    const engine = await engines.make();
    const kysely = new Kysely<Database>({ dialect: engine.dialect });
    const error = await rejection(
      kysely.insertInto('users').values({ id: 1, name: 'again' }).execute(),
      UniqueViolationError,
    );
    expect(error).toMatchObject({
      code: '23505',
      sqlstate: '23505',
      severity: 'ERROR',
      constraint: 'users_pkey',
      table: 'users',
      schema: 'public',
      detail: 'Key (id)=(1) already exists.',
      routine: '_bt_check_unique',
    });
    expect(error.file).toMatch(/\.c$/);
    expect(error.line).toMatch(/^\d+$/);
    expect(engine.stats().inUse).toBe(0);
  });

  it('has code 23505 through engine.db and conn.execute alike', async () => {
    const engine = await engines.make();
    const fromDb = await rejection(
      engine.db.insertInto('users').values({ id: 1, name: 'again' }).execute(),
      UniqueViolationError,
    );
    await using conn = await engine.acquire();
    const fromExecute = await rejection(
      conn.execute("insert into users (id, name) values (1, 'again')"),
      UniqueViolationError,
    );
    expect([fromDb.code, fromExecute.code]).toEqual(['23505', '23505']);
  });

  it('names the internal statement that failed inside a PL/pgSQL block', async () => {
    const engine = await engines.make();
    const error = await rejection(
      engine.execute("do $$ begin execute 'select * from no_such_table'; end $$"),
      ProgrammingError,
    );
    expect(error).toMatchObject({
      code: '42P01',
      internalQuery: 'select * from no_such_table',
      internalPosition: 15,
    });
    expect(error.where).toMatch(/PL\/pgSQL function inline_code_block line 1 at EXECUTE/);
  });
});

describe('errors that are not server errors', () => {
  let proxy: TcpProxy | undefined;
  afterEach(async () => {
    await proxy?.close();
    proxy = undefined;
  });

  it("a connection reset under a statement has no sqlstate and the socket's code", async () => {
    const target = new URL(db.url);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port) });
    const engine = await engines.make({ connectionString: proxy.urlFor(db.url) });
    await using conn = await engine.acquire();
    const running = rejection(conn.execute("select pg_sleep(5), 'reset-me'"), OperationalError);
    await waitUntilRunning(db.url, conn.backendPid, 'reset-me');
    proxy.reset();
    const error = await running;
    expect(error.sqlstate).toBeUndefined();
    expect(error.code).toBe('ECONNRESET');
    expect(error.message).toBe('read ECONNRESET');
  });

  it('a pool timeout has neither code nor sqlstate', async () => {
    const engine = await engines.make({ maxSize: 1, acquireTimeoutMs: 50 });
    await using held = await engine.acquire();
    const error = await rejection(engine.acquire(), PoolTimeoutError);
    expect(error).toBeInstanceOf(DatabaseError);
    expect([error.code, error.sqlstate]).toEqual([undefined, undefined]);
    expect(held.closed).toBe(false);
  });
});
