import { describe, expectTypeOf, it } from 'vitest';
import type { Database } from '../../schema/database.js';
import {
  type EngineOptions,
  type EngineStats,
  type Engine,
  hasAttempts,
  type HealthReport,
  type LatencySummary,
  type PoolMessage,
  type QueryMessage,
  retry,
  type RetriedError,
  SerializationFailureError,
  type TransactionMessage,
} from '../../src/index.js';

declare const engine: Engine<Database>;

describe('operations types', () => {
  it('types ping, health and the stats it carries', () => {
    expectTypeOf(engine.ping()).toEqualTypeOf<Promise<number>>();
    expectTypeOf(engine.health({ timeoutMs: 500 })).toEqualTypeOf<Promise<HealthReport<EngineStats>>>();
    expectTypeOf<HealthReport<EngineStats>['stats']['latency']>().toEqualTypeOf<LatencySummary>();
    expectTypeOf<HealthReport['serverVersion']>().toEqualTypeOf<string | undefined>();
    // @ts-expect-error timeoutMs is a number
    void engine.health({ timeoutMs: '1s' });
  });

  it('types connectRetries', () => {
    expectTypeOf<{ connectRetries: { attempts: 3; baseMs: 100 } }>().toMatchTypeOf<EngineOptions>();
    // @ts-expect-error unknown field
    const wrong: EngineOptions = { connectRetries: { tries: 3 } };
    void wrong;
  });

  it('types retry: the result of fn, and the attempts on the error through hasAttempts', async () => {
    expectTypeOf(retry(async () => 42)).toEqualTypeOf<Promise<number>>();
    expectTypeOf(retry((attempt) => `run ${attempt}`)).toEqualTypeOf<Promise<string>>();
    const error: unknown = new SerializationFailureError('x');
    if (hasAttempts(error)) expectTypeOf(error.attempts).toEqualTypeOf<number>();
    expectTypeOf<RetriedError<SerializationFailureError>['attempts']>().toEqualTypeOf<number>();
    // @ts-expect-error `on` receives the error and the attempt, returns a boolean
    void retry(async () => 1, { on: (error: unknown) => String(error) });
  });

  it('narrows channel messages by event', () => {
    const narrow = (m: QueryMessage) => {
      if (m.event === 'end') expectTypeOf(m.rowCount).toEqualTypeOf<number | null>();
      if (m.event === 'error') expectTypeOf(m.error).toEqualTypeOf<Error>();
      // @ts-expect-error only end and error messages have a duration
      if (m.event === 'start') void m.durationMs;
    };
    void narrow;
    expectTypeOf<Extract<PoolMessage, { event: 'disconnect' }>['reason']>().toEqualTypeOf<
      'discarded' | 'idle' | 'error' | 'closed'
    >();
    expectTypeOf<TransactionMessage['event']>().toMatchTypeOf<string>();
  });
});
