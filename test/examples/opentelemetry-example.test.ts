import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { DataError } from '../../src/index.js';
import { describeStatement, instrumentPgsa } from '../../examples/opentelemetry.js';
import { useEngines } from '../support/engine-fixture.js';
import { rejection } from '../support/rejection.js';
import { useTestDatabase } from '../support/test-database.js';

const db = useTestDatabase();
const engines = useEngines(db, {
  defaults: { minSize: 1, maxSize: 2, pipelineConnections: 0 },
  setup: 'create table otel_orders (id int primary key, total int not null)',
  reset: 'truncate otel_orders',
});

/** A metric reader the test collects from on demand. */
class CollectingReader extends MetricReader {
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

const stops: (() => void)[] = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

function tracing() {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  return { exporter, tracer: provider.getTracer('pgsa-test') };
}

describe('examples/opentelemetry.ts', () => {
  it('names spans after the SQL operation and table, with the database semantic-convention attributes', async () => {
    const engine = await engines.make();
    const { exporter, tracer } = tracing();
    stops.push(instrumentPgsa({ tracer }));
    await engine.execute('insert into otel_orders (id, total) values ($1, $2)', [1, 10]);
    await engine.db.selectFrom('otel_orders' as never).selectAll().execute();
    await engine.transaction((conn) => conn.execute('update otel_orders set total = total + 1'));
    const spans = exporter.getFinishedSpans();
    expect(spans.map((span) => span.name)).toEqual([
      'INSERT otel_orders',
      'SELECT otel_orders',
      'BEGIN',
      'UPDATE otel_orders',
      'COMMIT',
    ]);
    const url = new URL(db.url);
    const [insert, select] = spans;
    expect(insert?.kind).toBe(SpanKind.CLIENT);
    expect(insert?.attributes).toMatchObject({
      'db.system': 'postgresql',
      'db.namespace': db.name,
      'db.statement': 'insert into otel_orders (id, total) values ($1, $2)',
      'db.operation.name': 'INSERT',
      'db.collection.name': 'otel_orders',
      'server.address': url.hostname,
      'server.port': Number(url.port),
      'db.response.returned_rows': 1,
      'pgsa.pipelined': false,
    });
    expect(select?.attributes['db.statement']).toBe('select * from "otel_orders"');
    // Statement values never reach the span.
    for (const span of spans) expect(JSON.stringify(span.attributes)).not.toContain('10]');
    for (const span of spans) expect(span.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('marks a failed statement: error status, exception event, SQLSTATE', async () => {
    const engine = await engines.make();
    const { exporter, tracer } = tracing();
    stops.push(instrumentPgsa({ tracer }));
    await rejection(engine.execute('select 1 / 0'), DataError);
    const [span] = exporter.getFinishedSpans();
    expect(span?.name).toBe('SELECT');
    expect(span?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'division by zero' });
    expect(span?.attributes).toMatchObject({ 'error.type': '22012', 'db.response.status_code': '22012' });
    expect(span?.events.map((event) => event.name)).toEqual(['exception']);
  });

  it('reports pool metrics and the operation duration histogram', async () => {
    const engine = await engines.make({ minSize: 2 });
    const reader = new CollectingReader();
    const meterProvider = new MeterProvider({ readers: [reader] });
    const { tracer } = tracing();
    stops.push(instrumentPgsa({ tracer, meter: meterProvider.getMeter('pgsa-test'), engines: [engine] }));
    await engine.execute('select 1');
    await using held = await engine.acquire();
    const { resourceMetrics } = await reader.collect();
    const metrics = resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics);
    const byName = new Map(metrics.map((metric) => [metric.descriptor.name, metric]));
    const connections = byName.get('db.client.connection.count');
    const states = Object.fromEntries(
      (connections?.dataPoints ?? []).map((point) => [point.attributes['db.client.connection.state'], point.value]),
    );
    expect(states).toEqual({ idle: 1, used: 1 });
    expect(byName.get('db.client.connection.pending_requests')?.dataPoints[0]?.value).toBe(0);
    const histogram = byName.get('db.client.operation.duration')?.dataPoints[0]?.value as { count: number } | undefined;
    expect(histogram?.count).toBe(1);
    expect(held.closed).toBe(false);
    await meterProvider.shutdown();
  });

  it('describes statements: operation, and the table for DML', () => {
    expect(describeStatement('select * from "public"."users" where id = $1')).toEqual({ operation: 'SELECT', table: 'users' });
    expect(describeStatement('DELETE FROM orders')).toEqual({ operation: 'DELETE', table: 'orders' });
    expect(describeStatement('SAVEPOINT "pgsa_savepoint_1"')).toEqual({ operation: 'SAVEPOINT', table: undefined });
  });
});
