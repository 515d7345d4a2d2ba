/**
 * OpenTelemetry for pgsa, built on its diagnostics channels (no monkey-patching, no pg
 * instrumentation): `npm run demo:otel` prints the spans of a few statements.
 *
 * - One CLIENT span per statement, named after its operation and table (`SELECT users`,
 *   `INSERT orders`, `BEGIN`) — not after pgsa's prepared-statement names (`pgsa_1`), which say
 *   nothing — with the attributes of OTel's database semantic conventions: `db.system`,
 *   `db.namespace`, `db.statement` (the SQL text: placeholders, never values),
 *   `db.operation.name`, `db.collection.name`, `server.address`, `server.port`, and on failure
 *   `error.type` and `db.response.status_code` (the SQLSTATE).
 * - Pool metrics: `db.client.connection.count` (by `db.client.connection.state`: idle / used),
 *   `db.client.connection.pending_requests`, and the `db.client.operation.duration` histogram.
 *
 * Copy `instrumentPgsa` into your service; call it once, after your OTel SDK is set up.
 */
import diagnostics from 'node:diagnostics_channel';
import { pathToFileURL } from 'node:url';
import {
  type BatchObservableResult,
  context,
  type Meter,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
} from '@opentelemetry/api';
import { CHANNEL_NAMES, createEngine, type Engine, type QueryMessage } from 'pgsa';

/** What {@link instrumentPgsa} reports to. */
export interface PgsaInstrumentation {
  readonly tracer: Tracer;
  /** With a meter and the engines to watch, pool metrics are reported too. */
  readonly meter?: Meter;
  readonly engines?: readonly Pick<Engine, 'stats' | 'dsn'>[];
}

/** `SELECT`, `INSERT` … and the table a statement works on, for the span name. */
export function describeStatement(sql: string): { operation: string; table: string | undefined } {
  const operation = (/^\s*(\w+)/.exec(sql)?.[1] ?? 'QUERY').toUpperCase();
  const name = '("[^"]+"|[\\w$]+)(?:\\s*\\.\\s*("[^"]+"|[\\w$]+))?';
  const pattern: Record<string, RegExp> = {
    SELECT: new RegExp(`\\bfrom\\s+${name}`, 'i'),
    DELETE: new RegExp(`\\bfrom\\s+${name}`, 'i'),
    INSERT: new RegExp(`\\binto\\s+${name}`, 'i'),
    UPDATE: new RegExp(`^\\s*update\\s+${name}`, 'i'),
    COPY: new RegExp(`^\\s*copy\\s+${name}`, 'i'),
  };
  const match = pattern[operation]?.exec(sql);
  const unquote = (part: string | undefined) => part?.replace(/^"|"$/g, '');
  const table = match ? unquote(match[2] ?? match[1]) : undefined;
  return { operation, table };
}

/**
 * Subscribes to pgsa's channels and turns them into spans and metrics. Returns a function that
 * unsubscribes.
 */
export function instrumentPgsa({ tracer, meter, engines = [] }: PgsaInstrumentation): () => void {
  const spans = new Map<number, Span>();
  const duration = meter?.createHistogram('db.client.operation.duration', {
    unit: 's',
    description: 'Duration of database client operations',
  });

  const onQuery = (message: unknown): void => {
    const m = message as QueryMessage;
    if (m.event === 'start') {
      const { operation, table } = describeStatement(m.sql);
      const span = tracer.startSpan(
        table === undefined ? operation : `${operation} ${table}`,
        {
          kind: SpanKind.CLIENT,
          attributes: {
            'db.system': 'postgresql',
            'db.namespace': m.database ?? '',
            'db.statement': m.sql,
            'db.operation.name': operation,
            ...(table === undefined ? {} : { 'db.collection.name': table }),
            'server.address': m.host ?? '',
            ...(m.port === undefined ? {} : { 'server.port': m.port }),
            'pgsa.pipelined': m.pipelined,
          },
        },
        // pgsa publishes in the caller's async context: the caller's span is the parent.
        context.active(),
      );
      spans.set(m.id, span);
      return;
    }
    const span = spans.get(m.id);
    if (span === undefined) return;
    spans.delete(m.id);
    span.setAttributes({
      'pgsa.backend_pid': m.backendPid,
      'pgsa.cached': m.cached,
      ...(m.statementName === undefined ? {} : { 'pgsa.statement_name': m.statementName }),
    });
    if (m.event === 'end') {
      if (m.rowCount !== null) span.setAttribute('db.response.returned_rows', m.rowCount);
    } else {
      const sqlstate = (m.error as { sqlstate?: string }).sqlstate;
      span.recordException(m.error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: m.error.message });
      span.setAttribute('error.type', sqlstate ?? m.error.name);
      if (sqlstate !== undefined) span.setAttribute('db.response.status_code', sqlstate);
    }
    duration?.record(m.durationMs / 1000, {
      'db.system': 'postgresql',
      'db.namespace': m.database ?? '',
      'db.operation.name': describeStatement(m.sql).operation,
      ...(m.event === 'error' ? { 'error.type': m.error.name } : {}),
    });
    span.end();
  };
  diagnostics.subscribe(CHANNEL_NAMES.query, onQuery);

  let stopMetrics = (): void => {};
  if (meter !== undefined && engines.length > 0) {
    const connections = meter.createObservableUpDownCounter('db.client.connection.count', {
      unit: '{connection}',
      description: 'Connections of the pool, by state',
    });
    const pending = meter.createObservableUpDownCounter('db.client.connection.pending_requests', {
      unit: '{request}',
      description: 'acquire() calls waiting for a connection',
    });
    const observe = (result: BatchObservableResult): void => {
      for (const engine of engines) {
        const stats = engine.stats();
        const pool = { 'db.client.connection.pool.name': engine.dsn };
        result.observe(connections, stats.free, { ...pool, 'db.client.connection.state': 'idle' });
        result.observe(connections, stats.inUse, { ...pool, 'db.client.connection.state': 'used' });
        result.observe(pending, stats.waiting, pool);
      }
    };
    meter.addBatchObservableCallback(observe, [connections, pending]);
    stopMetrics = () => meter.removeBatchObservableCallback(observe, [connections, pending]);
  }

  return () => {
    diagnostics.unsubscribe(CHANNEL_NAMES.query, onQuery);
    stopMetrics();
    for (const span of spans.values()) span.end();
    spans.clear();
  };
}

// `tsx examples/opentelemetry.ts`: spans of a few statements, printed to the console.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { BasicTracerProvider, ConsoleSpanExporter, SimpleSpanProcessor } = await import(
    '@opentelemetry/sdk-trace-base'
  );
  const { provisionPostgres } = await import('../test/support/postgres-server.js');
  const server = await provisionPostgres({ envUrl: process.env.DATABASE_URL, log: console.log });
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(new ConsoleSpanExporter())] });
  const stop = instrumentPgsa({ tracer: provider.getTracer('pgsa-demo') });
  const engine = await createEngine(server.url);
  try {
    await engine.execute('select $1::int + 1 as answer', [41]);
    await engine.transaction((conn) => conn.execute('select count(*) from pg_class'));
    await engine.execute('select 1 / 0').catch(() => {});
  } finally {
    stop();
    await engine.close();
    await engine.waitClosed();
    await provider.shutdown();
    await server.stop();
  }
}
