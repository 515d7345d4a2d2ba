import { inspect } from 'node:util';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createEngine, type EngineOptions, OperationalError } from '../../src/index.js';
import { useEngines, type TestEngineOptions } from '../support/engine-fixture.js';
import { rejection } from '../support/rejection.js';
import { useTestDatabase } from '../support/test-database.js';
import { closedPort } from '../support/loopback-servers.js';

const db = useTestDatabase();
const engines = useEngines(db);

/** The file's database as separate option fields (no connection string). */
function fields(): TestEngineOptions {
  const url = new URL(db.url);
  return {
    connectionString: undefined,
    host: url.hostname,
    port: Number(url.port),
    user: decodeURIComponent(url.username),
    password: db.password,
    database: db.name,
  };
}

/** The file's URL without its password, the password given as a `?password=` parameter. */
function queryPasswordUrl(): string {
  const url = new URL(db.url);
  url.password = '';
  url.searchParams.set('password', db.password);
  return url.toString();
}

const passwordForms: [string, () => TestEngineOptions][] = [
  ['in the URL', () => ({})],
  ['as a ?password= parameter', () => ({ connectionString: queryPasswordUrl() })],
  ['as an options field', fields],
  [
    'as an options field next to a URL without one',
    () => {
      const url = new URL(db.url);
      url.password = '';
      return { connectionString: url.toString(), password: db.password };
    },
  ],
];

describe('the password', () => {
  it.each(passwordForms)('given %s, is sent by acquire()', async (_form, options) => {
    const engine = await engines.make({ ...options(), minSize: 0, pipelineConnections: 0 });
    await using conn = await engine.acquire();
    expect(await conn.scalar('select current_database()')).toBe(db.name);
  });

  it.each(passwordForms)('given %s, is sent on the pipelined path', async (_form, options) => {
    const engine = await engines.make({ ...options(), minSize: 0, pipelineConnections: 1 });
    const { rows } = await sql<{ db: string }>`select current_database() as db`.execute(engine.db);
    expect(rows).toEqual([{ db: db.name }]);
  });

  it.each(passwordForms)('given %s, shows in neither inspect nor JSON', async (_form, options) => {
    const engine = await engines.make(options());
    expect(db.password.length).toBeGreaterThan(0);
    const shown = [
      inspect(engine, { depth: Infinity }),
      inspect(engine, { depth: Infinity, showHidden: true }),
      JSON.stringify(engine),
      inspect({ ...engine }, { depth: 8 }),
      String(engine.dsn),
    ];
    for (const text of shown) expect(text).not.toContain(db.password);
    expect(inspect(engine)).toContain(engine.dsn);
    expect(JSON.parse(JSON.stringify(engine))).toMatchObject({ dsn: engine.dsn });
    expect(engine.dsn).toMatch(/^postgresql:\/\/[^:]+:\*\*\*@/);
  });
});

describe('option validation', () => {
  it.each([-1, 65536, 'abc', Number.NaN, 0, '', 1.5, '5432'])(
    'rejects port %j with a TypeError naming the option, before connecting',
    async (port) => {
      const options = { ...fields(), port } as unknown as EngineOptions;
      const error = await rejection(createEngine(options), TypeError);
      expect(error.message).toMatch(/^port must be an integer from 1 to 65535, got /);
    },
  );

  it('rejects port 0 in the connection string', async () => {
    const error = await rejection(createEngine(db.url.replace(/:\d+\//, ':0/')), TypeError);
    expect(error.message).toBe('port in connectionString must be an integer from 1 to 65535, got 0');
  });

  it('rejects an unparsable connection string without showing it', async () => {
    const dsn = db.url.replace(/:(\d+)\//, ':abc/');
    const error = await rejection(createEngine(dsn), TypeError);
    expect(error.message).toMatch(/^connectionString is not a valid connection string/);
    expect(error.message).not.toContain(db.password);
  });

  it('rejects a keyword=value connection string without showing it', async () => {
    const error = await rejection(
      createEngine({ connectionString: 'host=127.0.0.1 password=kw-s3cret dbname=app', connectTimeoutMs: 2000 }),
      TypeError,
    );
    expect(error.message).toMatch(/^connectionString in keyword=value form is not supported/);
    expect(error.message).not.toContain('kw-s3cret');
  });

  it.each([
    ['acquireTimeoutMs', 2 ** 31],
    ['connectTimeoutMs', 2 ** 31],
    ['idleTimeoutMs', Number.POSITIVE_INFINITY],
    ['statementTimeoutMs', Number.NaN],
  ])('rejects %s = %s, beyond what a timer can wait', async (name, value) => {
    const error = await rejection(createEngine({ ...fields(), [name]: value } as EngineOptions), TypeError);
    expect(error.message).toMatch(new RegExp(`^${name} must be`));
  });
});

describe('the connection target', () => {
  it('takes an explicit port over the connection string', async () => {
    const url = new URL(db.url);
    const realPort = Number(url.port);
    url.port = String(await closedPort());
    const engine = await engines.make({ connectionString: url.toString(), port: realPort });
    await using conn = await engine.acquire();
    expect(await conn.scalar('select 1')).toBe(1);
  });

  it('takes an explicit database over the connection string', async () => {
    const engine = await engines.make({ database: 'postgres' });
    await using conn = await engine.acquire();
    expect(await conn.scalar('select current_database()')).toBe('postgres');
  });

  it('names the port it tried when an explicit port overrides the connection string', async () => {
    const port = await closedPort();
    const error = await rejection(
      createEngine({ connectionString: db.url, port }),
      OperationalError,
    );
    expect(error.message).toContain(`host ${new URL(db.url).hostname}, port ${port}, database ${db.name}`);
  });

  it('names the Unix-socket directory given as ?host=', async () => {
    const dsn = 'postgres://someone:secret-pw@/somedb?host=/nonexistent/pgsa-socket-dir';
    const error = await rejection(createEngine(dsn), OperationalError);
    expect(error.message).toContain('host /nonexistent/pgsa-socket-dir, port 5432, database somedb');
    expect(error.message).not.toContain('secret-pw');
  });

  it('names what node-postgres tried for a DSN that is no URL', async () => {
    const error = await rejection(
      createEngine({ connectionString: 'not a dsn', connectTimeoutMs: 2000 }),
      OperationalError,
    );
    // pg-connection-string reads a bare word as a database name on the host "base".
    expect(error.message).toContain('host base, port 5432, database not a dsn');
  });
});

