import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HealthReport } from '../../src/index.js';
import { HEALTH_TIMEOUT_MS, listen } from '../../examples/healthz.js';
import { prometheusText } from '../../examples/prometheus-metrics.js';
import { useEngines } from '../support/engine-fixture.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { observe, useTestDatabase } from '../support/test-database.js';

const db = useTestDatabase();
const engines = useEngines(db, { defaults: { minSize: 1, maxSize: 2, pipelineConnections: 0 } });

let proxy: TcpProxy;
beforeAll(async () => {
  const url = new URL(db.url);
  proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port) });
});
afterAll(async () => {
  await proxy?.close();
});

async function get(url: string): Promise<{ status: number; type: string; text: string }> {
  const response = await fetch(url);
  return { status: response.status, type: response.headers.get('content-type') ?? '', text: await response.text() };
}

describe.each(['fastify', 'express', 'hono'] as const)('examples/healthz.ts on %s', (framework) => {
  it('/healthz answers 200 with the health report while the database answers', async () => {
    const engine = await engines.make();
    const app = await listen(framework, engine);
    try {
      const { status, text } = await get(`${app.url}/healthz`);
      const [shown] = await observe<{ server_version: string }>(db.url, 'show server_version');
      expect(status).toBe(200);
      const report = JSON.parse(text) as HealthReport<{ size: number }>;
      expect(report).toMatchObject({ ok: true, serverVersion: shown?.server_version, inRecovery: false });
      expect(report.stats.size).toBe(1);
    } finally {
      await app.close();
    }
  });

  it('/healthz answers 503 within its timeout when the network is black-holed', async () => {
    const engine = await engines.make({ connectionString: proxy.urlFor(db.url), connectTimeoutMs: 2_000 });
    const app = await listen(framework, engine);
    proxy.blackHole();
    try {
      const started = performance.now();
      const { status, text } = await get(`${app.url}/healthz`);
      expect(performance.now() - started).toBeLessThan(HEALTH_TIMEOUT_MS + 500);
      expect(status).toBe(503);
      expect(JSON.parse(text)).toMatchObject({
        ok: false,
        error: `OperationalError: health check got no answer within ${HEALTH_TIMEOUT_MS} ms`,
      });
    } finally {
      proxy.heal();
      await app.close();
    }
    // The silent connection was discarded; the pool recovers on a new one.
    expect((await engine.health()).ok).toBe(true);
  });

  it('/metrics serves the Prometheus text of engine.stats()', async () => {
    const engine = await engines.make();
    await engine.execute('select 1');
    const app = await listen(framework, engine);
    try {
      const { status, type, text } = await get(`${app.url}/metrics`);
      expect(status).toBe(200);
      expect(type).toMatch(/^text\/plain; ?version=0\.0\.4/);
      const pool = `pool="${engine.dsn}"`;
      expect(text).toContain(`pgsa_queries_total{${pool}} 1\n`);
      expect(text).toContain(`pgsa_pool_connections{${pool},state="idle"} 1\n`);
      expect(text).toContain(`pgsa_query_duration_seconds_bucket{${pool},le="+Inf"} 1\n`);
    } finally {
      await app.close();
    }
  });
});

describe('prometheusText', () => {
  it('renders every family once with HELP and TYPE, cumulative buckets, and escaped labels', async () => {
    const engine = await engines.make();
    await engine.execute('select 1');
    await engine.execute('select 1 / 0').catch(() => {});
    const odd = { dsn: 'postgresql://a"b\\c@host/db', stats: () => engine.stats() };
    const text = prometheusText([engine, odd]);
    const lines = text.trimEnd().split('\n');
    expect(lines.filter((line) => line === '# TYPE pgsa_query_duration_seconds histogram')).toHaveLength(1);
    expect(lines).toContain(`pgsa_query_errors_total{pool="${engine.dsn}"} 1`);
    expect(lines).toContain('pgsa_queries_total{pool="postgresql://a\\"b\\\\c@host/db"} 2');
    const buckets = lines
      .filter((line) => line.startsWith(`pgsa_query_duration_seconds_bucket{pool="${engine.dsn}"`))
      .map((line) => Number(line.split(' ').at(-1)));
    expect(buckets.at(-1)).toBe(2);
    expect([...buckets].sort((a, b) => a - b)).toEqual(buckets);
    expect(lines.find((line) => line.includes('le="0.001"'))).toBeDefined();
  });
});
