import { describe, expectTypeOf, it } from 'vitest';
import type { Database } from '../../schema/database.js';
import {
  createEngine,
  type Engine,
  type EngineOptions,
  type ListenerReconnect,
  type Notification,
  type NotificationGap,
  type SAConnection,
  type Session,
  type Subscription,
} from '../../src/index.js';

declare const engine: Engine<Database>;
declare const conn: SAConnection<Database>;
declare const session: Session<Database>;

describe('LISTEN / NOTIFY types', () => {
  it('types a notification and what engine.listen / engine.notifications return', () => {
    expectTypeOf<Notification>().toEqualTypeOf<{
      readonly channel: string;
      readonly payload: string;
      readonly processId: number;
    }>();
    expectTypeOf(engine.notifications('orders')).toEqualTypeOf<Subscription>();
    expectTypeOf(engine.notifications('orders')).toMatchTypeOf<AsyncIterable<Notification>>();
    expectTypeOf(engine.listen('orders', (n) => expectTypeOf(n).toEqualTypeOf<Notification>())).toEqualTypeOf<
      Promise<Subscription>
    >();
    expectTypeOf<Subscription['unlisten']>().returns.toEqualTypeOf<Promise<void>>();
    expectTypeOf<Subscription['ready']>().toEqualTypeOf<Promise<void>>();
  });

  it('types the held-connection API and notify everywhere', () => {
    expectTypeOf(conn.notifications).toEqualTypeOf<AsyncIterable<Notification>>();
    expectTypeOf(conn.listen('c')).toEqualTypeOf<Promise<void>>();
    expectTypeOf(conn.unlisten('c')).toEqualTypeOf<Promise<void>>();
    expectTypeOf(conn.notify('c', 'p')).toEqualTypeOf<Promise<void>>();
    expectTypeOf(engine.notify('c')).toEqualTypeOf<Promise<void>>();
    expectTypeOf(session.notify('c', 'p')).toEqualTypeOf<Promise<void>>();
    // @ts-expect-error the payload is text
    void engine.notify('c', 42);
  });

  it('types the listener option and its hooks', () => {
    const options: EngineOptions = {
      pgbouncer: false,
      listener: {
        bufferSize: 100,
        maxReconnectAttempts: 10,
        reconnectBackoff: { initialMs: 100, maxMs: 5_000 },
        pingIntervalMs: 30_000,
        pingTimeoutMs: 10_000,
        onReconnect: (info) => expectTypeOf(info).toEqualTypeOf<ListenerReconnect>(),
        onGap: (gap) => expectTypeOf(gap.reason).toEqualTypeOf<'reconnect' | 'overflow'>(),
      },
    };
    void createEngine(options);
    expectTypeOf<NotificationGap['dropped']>().toEqualTypeOf<number | undefined>();
    // @ts-expect-error unknown listener option
    void createEngine({ listener: { bufferSzie: 1 } });
  });
});
