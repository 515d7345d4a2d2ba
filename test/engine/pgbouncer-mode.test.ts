import { describe, expect, inject, it } from 'vitest';
import {
  NotSupportedError,
  newSession,
  OperationalError,
  ProgrammingError,
  QueryCanceledError,
} from '../../src/index.js';
import { resolveEngineOptions } from '../../src/engine/engine-options.js';
import { isConnectionFatal, translateError } from '../../src/errors/translate-error.js';
import { useEngines } from '../support/engine-fixture.js';
import { viaPgBouncer } from '../support/pgbouncer-pass.js';
import { committedUsers } from '../support/observers.js';
import { rejection } from '../support/rejection.js';
import { observe, useTestDatabase } from '../support/test-database.js';
import { EMPTY_USERS } from '../support/sample-tables.js';

const resolve = (extra: Record<string, unknown>) =>
  resolveEngineOptions({ connectionString: 'postgres://u@127.0.0.1/db', ...extra }).options;

describe('the pgbouncer option', () => {
  it('turns the statement cache and the pipelined path off by default', () => {
    expect(resolve({ pgbouncer: true })).toMatchObject({ statementCacheSize: 0, pipelineConnections: 0 });
    expect(resolve({})).toMatchObject({ statementCacheSize: 100, pipelineConnections: 1 });
  });

  it('keeps an explicit statementCacheSize of 0 and an explicit pipelineConnections', () => {
    expect(resolve({ pgbouncer: true, statementCacheSize: 0, pipelineConnections: 2 })).toMatchObject({
      statementCacheSize: 0,
      pipelineConnections: 2,
    });
  });

  it.each([
    [
      { statementCacheSize: 100 },
      'statementCacheSize must be 0 with pgbouncer: true, got 100: in transaction mode PgBouncer ' +
        'gives every transaction another server connection, where the cached (named) statements ' +
        'are missing; leave it out (unnamed statements are used)',
    ],
    [
      { resetOnRelease: true },
      'resetOnRelease cannot be used with pgbouncer: true: the server session belongs to ' +
        'PgBouncer, which lends it to other clients between transactions; keep session state ' +
        'inside transactions (SET LOCAL, pg_advisory_xact_lock)',
    ],
    [
      { statementTimeoutMs: 5000 },
      'statementTimeoutMs cannot be used with pgbouncer: true: it is sent as a startup ' +
        'parameter, which PgBouncer refuses; set statement_timeout on the role or database ' +
        "(ALTER ROLE app SET statement_timeout = '5s') or pass statementTimeoutMs per call",
    ],
  ])('refuses %j with a TypeError saying why', (extra, message) => {
    expect(() => resolve({ pgbouncer: true, ...extra })).toThrow(new TypeError(message));
    expect(() => resolve(extra)).not.toThrow();
  });
});

describe('errors PgBouncer sends itself', () => {
  const pgbouncerError = (fields: Record<string, unknown>) =>
    Object.assign(new Error('server conn crashed?'), { code: '08P01', severity: 'ERROR', ...fields });

  it("are an OperationalError that ends the connection: they carry no server source file", () => {
    const error = pgbouncerError({});
    expect(translateError(error)).toBeInstanceOf(OperationalError);
    expect(translateError(error)).toMatchObject({ message: 'server conn crashed?', sqlstate: '08P01' });
    expect(isConnectionFatal(error)).toBe(true);
  });

  it("leave the server's own protocol violations a ProgrammingError on a usable connection", () => {
    const error = pgbouncerError({ file: 'postgres.c', routine: 'exec_bind_message' });
    expect(translateError(error)).toBeInstanceOf(ProgrammingError);
    expect(isConnectionFatal(error)).toBe(false);
  });
});

const db = useTestDatabase();
const engines = useEngines(db, { reset: EMPTY_USERS });
const bouncerNote = inject('pgBouncerNote');

describe.skipIf(bouncerNote !== '')(`an engine through PgBouncer in transaction mode${bouncerNote && `: ${bouncerNote}`}`, () => {
  const throughBouncer = () => engines.make({ connectionString: viaPgBouncer(db.url), pgbouncer: true });

  it('logs in with the password checked by SCRAM, and a wrong password is an OperationalError', async () => {
    const engine = await throughBouncer();
    expect(await engine.fetchVal('select current_user')).toBe('postgres');
    const wrong = new URL(viaPgBouncer(db.url));
    wrong.password = 'not-the-password';
    const error = await rejection(
      engines.make({ connectionString: wrong.toString(), pgbouncer: true, connectRetries: { attempts: 1 } }),
      OperationalError,
    );
    expect(error.message).toMatch(/^could not connect to PostgreSQL \(.*\): .*authentication failed/);
    expect(error.message).not.toContain('not-the-password');
  });

  it('carries applicationName, a startup parameter PgBouncer sets on each server connection it lends', async () => {
    const engine = await engines.make({
      connectionString: viaPgBouncer(db.url),
      pgbouncer: true,
      applicationName: 'pgsa-behind-bouncer',
    });
    const names = await Promise.all(
      Array.from({ length: 4 }, () =>
        engine.transaction((conn) => conn.fetchVal("select current_setting('application_name')")),
      ),
    );
    expect(names).toEqual(Array(4).fill('pgsa-behind-bouncer'));
  });

  it('sends every statement unnamed: the server holds no prepared statement afterwards', async () => {
    const engine = await throughBouncer();
    await using conn = await engine.acquire();
    await using _tx = await conn.begin();
    for (let i = 0; i < 3; i++) expect(await conn.fetchVal('select $1::int as n', [i])).toBe(i);
    expect(await conn.fetchVal('select count(*)::int from pg_prepared_statements')).toBe(0);
  });

  it('refuses conn.prepare and session.prepare with NotSupportedError, sending nothing', async () => {
    const engine = await throughBouncer();
    const message =
      'cannot prepare: the engine is configured for PgBouncer (pgbouncer: true); in transaction ' +
      'mode PgBouncer gives every transaction another server connection, so a named prepared ' +
      "statement would be missing (or another client's) on the next one. Run the statement with " +
      'parameters instead (execute, fetch, executeMany), or prepare it through a second engine ' +
      'that connects to PostgreSQL directly';
    await using conn = await engine.acquire();
    expect(() => conn.prepare('select 1')).toThrow(new NotSupportedError(message));
    await using session = await newSession(engine);
    expect(() => session.prepare('select 1')).toThrow(new NotSupportedError(message));
    expect(engine.captured.sql).toEqual([]);
  });

  it('cancels a running statement, and PgBouncer keeps serving afterwards', async () => {
    const engine = await throughBouncer();
    await using conn = await engine.acquire();
    const slow = rejection(conn.execute('select pg_sleep(10)'), QueryCanceledError);
    await new Promise((resolve) => setTimeout(resolve, 150));
    await conn.cancel();
    expect((await slow).sqlstate).toBe('57014');
    expect(await conn.fetchVal('select 1 as one')).toBe(1);
    const other = await throughBouncer();
    expect(await other.fetchVal('select 2 as two')).toBe(2);
  });

  it('fails a transaction whose server connection was killed with OperationalError, and discards it', async () => {
    const engine = await throughBouncer();
    const error = await rejection(
      engine.transaction(async (conn) => {
        await conn.execute("insert into users (name) values ('lost')");
        const serverPid = await conn.fetchVal('select pg_backend_pid()');
        await observe(db.url, 'select pg_terminate_backend($1)', [serverPid]);
        await conn.execute('select 1');
      }),
      OperationalError,
    );
    // Which one depends on timing: the server's FATAL passed on, PgBouncer's own 08P01, or the
    // socket closed first.
    expect(error.message).toMatch(
      /^(terminating connection due to administrator command|server conn crashed\?|Connection terminated unexpectedly)$/,
    );
    expect(engine.stats().inUse).toBe(0);
    expect(await committedUsers(db.url)).toEqual([]);
    expect(await engine.fetchVal('select 1 as one')).toBe(1);
  });

  it('streams outside a transaction while other clients use the same server connections', async () => {
    const engine = await throughBouncer();
    await using conn = await engine.acquire();
    let total = 0;
    for await (const row of conn.stream<{ n: number }>('select n from generate_series(1, 2000) n', { batchSize: 100 })) {
      total += row.n;
      if (row.n % 500 === 0) expect(await engine.fetchVal('select $1::int as n', [row.n])).toBe(row.n);
    }
    expect(total).toBe(2001000);
  });

  it('runs an explicitly enabled pipelined path with each answer matched to its statement', async () => {
    const engine = await engines.make({
      connectionString: viaPgBouncer(db.url),
      pgbouncer: true,
      pipelineConnections: 1,
    });
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) => engine.fetchVal('select $1::int as n', [i])),
    );
    expect(answers).toEqual(Array.from({ length: 200 }, (_, i) => i));
  });
});
