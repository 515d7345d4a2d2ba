import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InterfaceError, OperationalError } from '../../src/index.js';
import { useEngines } from '../support/engine-fixture.js';
import { failOnUnhandled } from '../support/fault-checks.js';
import { type FaultServer, startFaultServer } from '../support/fault-server.js';
import { rejection } from '../support/rejection.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { observe, type TestDatabase, useTestDatabase } from '../support/test-database.js';

const db = useTestDatabase();
const engines = useEngines(db, { defaults: { pipelineConnections: 0 } });
failOnUnhandled();

describe('engine.health() on a healthy server', () => {
  it('reports ok with the latency, the server version, recovery state and the pool stats', async () => {
    const engine = await engines.make({ minSize: 1 });
    const [shown] = await observe<{ server_version: string }>(db.url, 'show server_version');
    const version = shown?.server_version;
    const report = await engine.health({ timeoutMs: 2_000 });
    expect(report).toMatchObject({ ok: true, serverVersion: version, inRecovery: false });
    expect(report.error).toBeUndefined();
    expect(report.latencyMs).toBeGreaterThan(0);
    expect(report.latencyMs).toBeLessThan(2_000);
    expect(report.stats).toMatchObject({ size: 1, free: 1, inUse: 0, waiting: 0 });
  });

  it('runs one statement on a pooled connection and gives it back', async () => {
    const engine = await engines.make({ minSize: 1 });
    await engine.health();
    expect(engine.captured.sql).toEqual(["select current_setting('server_version'), pg_is_in_recovery()"]);
    expect(engine.stats()).toMatchObject({ inUse: 0, free: engine.size });
  });

  it('ping() resolves with the round trip of select 1 in ms', async () => {
    const engine = await engines.make({ minSize: 1 });
    const ms = await engine.ping({ timeoutMs: 1_000 });
    expect(typeof ms).toBe('number');
    expect(ms).toBeGreaterThan(0);
    expect(ms).toBeLessThan(1_000);
    expect(engine.captured.sql).toEqual(['select 1']);
  });

  it('reports an invalid timeoutMs as ok: false (never throws); ping() throws TypeError', async () => {
    const engine = await engines.make();
    const report = await engine.health({ timeoutMs: -1 });
    expect(report.ok).toBe(false);
    expect(report.error).toBe('TypeError: timeoutMs must be a positive integer, got -1');
    expect(engine.captured.sql).toEqual([]);
    await expect(engine.ping({ timeoutMs: 0 })).rejects.toThrow(new TypeError('timeoutMs must be a positive integer, got 0'));
  });

  it('reports a closed engine as ok: false; ping() rejects with InterfaceError', async () => {
    const engine = await engines.make();
    await engine.close();
    const report = await engine.health();
    expect(report).toMatchObject({ ok: false, latencyMs: undefined, serverVersion: undefined, inRecovery: undefined });
    expect(report.error).toBe('InterfaceError: cannot acquire: the engine is closed');
    const error = await rejection(engine.ping(), InterfaceError);
    expect(error.message).toBe('cannot acquire: the engine is closed');
  });
});

describe('engine.health() while the network is black-holed', () => {
  let proxy: TcpProxy;
  beforeAll(async () => {
    const url = new URL(db.url);
    proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port) });
  });
  afterAll(async () => {
    await proxy?.close();
  });

  it('returns ok: false within its timeout and closes the connection that got no answer', async () => {
    const engine = await engines.make({
      connectionString: proxy.urlFor(db.url),
      minSize: 1,
      maxSize: 1,
      connectTimeoutMs: 1_000,
      applicationName: 'pgsa-health-blackhole',
    });
    const [backend] = await observe<{ pid: number }>(
      db.url,
      "select pid from pg_stat_activity where application_name = 'pgsa-health-blackhole'",
    );
    const pid = backend?.pid;
    expect(pid).toBeGreaterThan(0);
    proxy.blackHole();
    try {
      const started = performance.now();
      const report = await engine.health({ timeoutMs: 300 });
      const elapsed = performance.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(295);
      expect(elapsed).toBeLessThan(800);
      expect(report.ok).toBe(false);
      expect(report.error).toBe('OperationalError: health check got no answer within 300 ms');
      // The slot is free: the silent connection was discarded, not pooled.
      expect(engine.stats().inUse).toBe(0);
      const ping = rejection(engine.ping({ timeoutMs: 200 }), OperationalError);
      expect((await ping).message).toBe('ping got no answer within 200 ms');
    } finally {
      proxy.heal();
    }
    // The pool works again once the network is back, on a new connection.
    const report = await engine.health({ timeoutMs: 3_000 });
    expect(report.ok).toBe(true);
    await expect
      .poll(async () =>
        (await observe<{ pid: number }>(db.url, 'select pid from pg_stat_activity where pid = $1', [pid])).length,
      )
      .toBe(0);
  });
});

describe('engine.health() while the server is stopped', () => {
  let server: FaultServer;
  beforeAll(async () => {
    server = await startFaultServer();
  });
  afterAll(async () => {
    await server?.close();
  });
  const fault: TestDatabase = {
    get url() {
      return server.url;
    },
    name: 'postgres',
    get password() {
      return server.password;
    },
  };

  it('returns ok: false saying the server cannot be reached, and ok: true once it is back', async () => {
    const engine = await engines.make({
      connectionString: fault.url,
      minSize: 1,
      connectRetries: { attempts: 2, baseMs: 50, maxMs: 50 },
    });
    await server.stop('fast');
    try {
      const started = performance.now();
      const report = await engine.health({ timeoutMs: 2_000 });
      expect(performance.now() - started).toBeLessThan(2_000);
      expect(report.ok).toBe(false);
      expect(report.error).toMatch(
        /^OperationalError: could not connect to PostgreSQL \(host 127\.0\.0\.1, port \d+, database postgres\): connect ECONNREFUSED 127\.0\.0\.1:\d+ \(gave up after 2 attempts\)$/,
      );
      expect(report.error).not.toContain(server.password);
      expect(report.stats).toMatchObject({ inUse: 0 });
    } finally {
      await server.start();
    }
    expect((await engine.health({ timeoutMs: 3_000 })).ok).toBe(true);
  });
});
