/**
 * Prometheus metrics for pgsa engines without a metrics library: `prometheusText(engines)`
 * renders `engine.stats()` in the text exposition format (version 0.0.4), ready to serve on
 * `GET /metrics` (see examples/healthz.ts for the routes).
 *
 * Exposed: pool connections by state, waiting acquires, max size, acquires and acquire
 * timeouts, statements and failed statements, and the statement-duration histogram.
 */
import type { Engine } from 'pgsa';

/** The content type of the text exposition format. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** A label value, escaped as the format requires (backslash, double quote, newline). */
function label(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** A sample value: integers as they are, `+Inf` for infinity. */
function number(value: number): string {
  return value === Number.POSITIVE_INFINITY ? '+Inf' : String(value);
}

/** The metrics of `engines` (each labelled `pool` with its masked DSN) as Prometheus text. */
export function prometheusText(engines: readonly Pick<Engine, 'dsn' | 'stats'>[]): string {
  const families = new Map<string, { help: string; type: string; samples: string[] }>();
  const sample = (name: string, type: string, help: string, labels: Record<string, string>, value: number, suffix = '') => {
    let family = families.get(name);
    if (family === undefined) {
      family = { help, type, samples: [] };
      families.set(name, family);
    }
    const text = Object.entries(labels)
      .map(([key, val]) => `${key}="${label(val)}"`)
      .join(',');
    family.samples.push(`${name}${suffix}{${text}} ${number(value)}`);
  };
  for (const engine of engines) {
    const stats = engine.stats();
    const pool = { pool: engine.dsn };
    sample('pgsa_pool_connections', 'gauge', 'Open connections of the pool, by state.', { ...pool, state: 'idle' }, stats.free);
    sample('pgsa_pool_connections', 'gauge', '', { ...pool, state: 'used' }, stats.inUse);
    sample('pgsa_pool_waiting', 'gauge', 'acquire() calls waiting for a connection.', pool, stats.waiting);
    sample('pgsa_pool_max_size', 'gauge', 'Most connections the pool opens.', pool, stats.maxSize);
    sample('pgsa_pool_acquires_total', 'counter', 'acquire() calls.', pool, stats.acquires);
    sample('pgsa_pool_timeouts_total', 'counter', 'acquire() calls that timed out.', pool, stats.timeouts);
    sample('pgsa_queries_total', 'counter', 'Statements run, failed ones included.', pool, stats.queries);
    sample('pgsa_query_errors_total', 'counter', 'Statements that failed.', pool, stats.errors);
    const histogram = 'pgsa_query_duration_seconds';
    const help = 'Statement duration, from the call to the answer.';
    for (const bucket of stats.latency.buckets) {
      const le = bucket.leMs === Number.POSITIVE_INFINITY ? '+Inf' : String(bucket.leMs / 1000);
      sample(histogram, 'histogram', help, { ...pool, le }, bucket.count, '_bucket');
    }
    sample(histogram, 'histogram', help, pool, stats.latency.sumMs / 1000, '_sum');
    sample(histogram, 'histogram', help, pool, stats.latency.count, '_count');
  }
  const lines: string[] = [];
  for (const [name, family] of families) {
    lines.push(`# HELP ${name} ${family.help}`, `# TYPE ${name} ${family.type}`, ...family.samples);
  }
  return `${lines.join('\n')}\n`;
}
