import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine, OperationalError } from '../../src/index.js';
import { useEngines } from '../support/engine-fixture.js';
import { failOnUnhandled } from '../support/fault-checks.js';
import { type FaultServer, startFaultServer } from '../support/fault-server.js';
import { rejection } from '../support/rejection.js';
import { observe, type TestDatabase } from '../support/test-database.js';

// Connection retries against a throwaway server that the tests stop and start.

let server: FaultServer;
beforeAll(async () => {
  server = await startFaultServer();
  await observe(server.url, "create role pgsa_limited login password 'pw-53300' connection limit 0");
});
afterAll(async () => {
  await server?.close();
});
const db: TestDatabase = {
  get url() {
    return server.url;
  },
  name: 'postgres',
  get password() {
    return server.password;
  },
};
const engines = useEngines(db, { defaults: { pipelineConnections: 0 } });
failOnUnhandled();

/** `server.url` with another user and password. */
function urlAs(user: string, password: string): string {
  const url = new URL(server.url);
  url.username = user;
  url.password = password;
  return url.toString();
}

/** Starts the server again after `ms` (and waits for it), whatever the test does meanwhile. */
function startAfter(ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    setTimeout(() => void server.start().then(resolve, reject), ms);
  });
}

describe('createEngine with connectRetries', () => {
  it('reaches a server started 2 s after createEngine was called', async () => {
    await server.stop('fast');
    const starting = startAfter(2_000);
    const warnings: string[] = [];
    let engine: Engine | undefined;
    try {
      const started = performance.now();
      engine = await createEngine({
        connectionString: server.url,
        pipelineConnections: 0,
        connectRetries: { attempts: 40, baseMs: 100, maxMs: 300 },
        logger: { warn: (message) => void warnings.push(message) },
      });
      expect(performance.now() - started).toBeGreaterThan(2_000);
      expect(await engine.fetchVal('select 1')).toBe(1);
      expect(warnings.length).toBeGreaterThanOrEqual(2);
      expect(warnings[0]).toMatch(
        /^connection attempt 1 to host 127\.0\.0\.1, port \d+, database postgres failed \(retrying in \d+ ms\): /,
      );
      for (const warning of warnings) expect(warning).not.toContain(server.password);
    } finally {
      await starting;
      await engine?.terminate();
    }
  });

  it('gives up after `attempts` attempts, saying how many', async () => {
    await server.stop('fast');
    try {
      const started = performance.now();
      const error = await rejection(
        createEngine({ connectionString: server.url, connectRetries: { attempts: 3, baseMs: 100, maxMs: 100 }, logger: {} }),
        OperationalError,
      );
      // Two delays of 50-100 ms between three attempts.
      expect(performance.now() - started).toBeGreaterThanOrEqual(100);
      expect(error.message).toMatch(
        /^could not connect to PostgreSQL \(host 127\.0\.0\.1, port \d+, database postgres\): connect ECONNREFUSED 127\.0\.0\.1:\d+ \(gave up after 3 attempts\)$/,
      );
    } finally {
      await server.start();
    }
  });

  it('fails on the first attempt for a wrong password, saying it was not retried', async () => {
    const warnings: string[] = [];
    const started = performance.now();
    const error = await rejection(
      createEngine({
        connectionString: urlAs('postgres', 'wrong-password'),
        connectRetries: { attempts: 5, baseMs: 1_000, maxMs: 1_000 },
        logger: { warn: (message) => void warnings.push(message) },
      }),
      OperationalError,
    );
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(warnings).toEqual([]);
    expect(error.sqlstate).toBe('28P01');
    expect(error.message).toMatch(
      /^could not connect to PostgreSQL \(host 127\.0\.0\.1, port \d+, database postgres\): password authentication failed for user "postgres" \(not retried: authentication failed\)$/,
    );
    expect(error.message).not.toContain('wrong-password');
  });

  it('fails on the first attempt for an unknown database', async () => {
    const warnings: string[] = [];
    const url = new URL(server.url);
    url.pathname = '/no_such_database';
    const error = await rejection(
      createEngine({
        connectionString: url.toString(),
        connectRetries: { attempts: 5, baseMs: 1_000, maxMs: 1_000 },
        logger: { warn: (message) => void warnings.push(message) },
      }),
      OperationalError,
    );
    expect(warnings).toEqual([]);
    // 3D000 is not an OperationalError class: the server's error is the cause.
    expect(error.cause).toMatchObject({ sqlstate: '3D000' });
    expect(error.message).toMatch(/database "no_such_database" does not exist \(not retried: the database does not exist\)$/);
  });

  it('retries 53300 (too many connections) and connects once a slot frees up', async () => {
    const warnings: string[] = [];
    const creating = createEngine({
      connectionString: urlAs('pgsa_limited', 'pw-53300'),
      pipelineConnections: 0,
      connectRetries: { attempts: 50, baseMs: 50, maxMs: 100 },
      logger: { warn: (message) => void warnings.push(message) },
    });
    await expect.poll(() => warnings.length).toBeGreaterThanOrEqual(1);
    expect(warnings[0]).toMatch(/too many connections for role "pgsa_limited"/);
    await observe(server.url, 'alter role pgsa_limited connection limit 5');
    const engine = await creating;
    try {
      expect(await engine.fetchVal('select current_user')).toBe('pgsa_limited');
    } finally {
      await engine.terminate();
      await observe(server.url, 'alter role pgsa_limited connection limit 0');
    }
  });

  it('rejects invalid connectRetries with a TypeError naming the field', async () => {
    await expect(createEngine({ connectionString: server.url, connectRetries: { attempts: 0 } })).rejects.toThrow(
      new TypeError('connectRetries.attempts must be an integer of at least 1, got 0'),
    );
    await expect(
      createEngine({ connectionString: server.url, connectRetries: { tries: 2 } as never }),
    ).rejects.toThrow(new TypeError('unknown connectRetries option: tries'));
  });
});

describe('later connection attempts', () => {
  it('acquire() retries while the server restarts and gets a connection once it is up', async () => {
    const engine = await engines.make({
      minSize: 0,
      acquireTimeoutMs: 10_000,
      connectRetries: { attempts: 60, baseMs: 100, maxMs: 200 },
    });
    await server.stop('fast');
    const starting = startAfter(500);
    try {
      const conn = await engine.acquire();
      try {
        expect(await conn.scalar('select 1')).toBe(1);
      } finally {
        await conn.close();
      }
      expect(engine.captured.warnings.some((w) => /^connection attempt 1 to .* failed/.test(w))).toBe(true);
    } finally {
      await starting;
    }
  });

  it('the pipelined path retries opening its connection too', async () => {
    const engine = await engines.make({
      minSize: 0,
      pipelineConnections: 1,
      connectRetries: { attempts: 60, baseMs: 100, maxMs: 200 },
    });
    await server.stop('fast');
    const starting = startAfter(500);
    try {
      const result = await engine.execute('select 1 as one');
      expect(result.fetchAll().map((row) => row.one)).toEqual([1]);
      expect(engine.stats()).toMatchObject({ acquires: 0, size: 0 });
    } finally {
      await starting;
    }
  });

  it('acquire() still gives up at acquireTimeoutMs while retrying', async () => {
    const engine = await engines.make({
      minSize: 0,
      acquireTimeoutMs: 400,
      connectRetries: { attempts: 100, baseMs: 100, maxMs: 100 },
    });
    await server.stop('fast');
    try {
      const started = performance.now();
      await rejection(engine.acquire(), OperationalError);
      expect(performance.now() - started).toBeLessThan(1_000);
    } finally {
      await server.start();
    }
  });
});
