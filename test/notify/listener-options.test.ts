import { describe, expect, it } from 'vitest';
import { resolveEngineOptions } from '../../src/engine/engine-options.js';

const resolve = (extra: Record<string, unknown>) =>
  resolveEngineOptions({ connectionString: 'postgres://u@127.0.0.1/db', ...extra }).options;

describe('the listener and pgbouncer engine options', () => {
  it('default to a 1000-notification buffer, endless reconnection, a 30 s ping and no PgBouncer', () => {
    expect(resolve({}).listener).toEqual({
      bufferSize: 1000,
      maxReconnectAttempts: Number.POSITIVE_INFINITY,
      reconnectBackoff: { initialMs: 100, maxMs: 5000 },
      pingIntervalMs: 30_000,
      pingTimeoutMs: 10_000,
      onReconnect: undefined,
      onGap: undefined,
    });
    expect(resolve({}).pgbouncer).toBe(false);
    expect(resolve({ pgbouncer: true }).pgbouncer).toBe(true);
  });

  it('are frozen once resolved', () => {
    const { listener } = resolve({ listener: { bufferSize: 5 } });
    expect(Object.isFrozen(listener)).toBe(true);
    expect(Object.isFrozen(listener.reconnectBackoff)).toBe(true);
  });

  it.each([
    [{ listener: { bufferSzie: 1 } }, 'unknown listener option(s): bufferSzie'],
    [{ listener: 'fast' }, 'listener must be an object'],
    [{ listener: { bufferSize: 0 } }, 'listener.bufferSize must be a positive integer, got 0'],
    [{ listener: { maxReconnectAttempts: 1.5 } }, 'listener.maxReconnectAttempts must be a positive integer, got 1.5'],
    [{ listener: { pingIntervalMs: -1 } }, 'listener.pingIntervalMs must be an integer from 0 to 2147483647, got -1'],
    [{ listener: { reconnectBackoff: { maxMs: -5 } } }, 'listener.reconnectBackoff.maxMs is invalid: -5'],
    [{ listener: { reconnectBackoff: { step: 1 } } }, 'unknown listener.reconnectBackoff option(s): step'],
    [{ listener: { onGap: 'log' } }, 'listener.onGap must be a function'],
    [{ pgbouncer: 'yes' }, 'pgbouncer must be a boolean, got yes'],
  ])('refuse %j with a TypeError naming the option', (extra, message) => {
    expect(() => resolve(extra)).toThrow(new TypeError(message));
  });
});
