import type { Kysely } from 'kysely';
import { describe, expectTypeOf, it } from 'vitest';
import type { Database } from '../../schema/database.js';
import {
  createEngine,
  dbSession,
  type Engine,
  type EngineOptions,
  newSession,
  type ReadonlyEngine,
  type ReplicaFallback,
  type ReplicaStats,
  type ReplicaStatus,
  type RowStream,
  type Session,
  type SAConnection,
} from '../../src/index.js';
import type { DbSessionMiddlewareOptions, RequestRoute } from '../../src/middleware/express.js';

declare const engine: Engine<Database>;

describe('read replica types', () => {
  it('keeps the DB type on engine.readonly', () => {
    expectTypeOf(engine.readonly).toEqualTypeOf<ReadonlyEngine<Database>>();
    expectTypeOf(engine.readonly.db).toEqualTypeOf<Kysely<Database>>();
    expectTypeOf(engine.readonly.acquire()).toEqualTypeOf<Promise<SAConnection<Database>>>();
    const _rows = engine.readonly.fetch(engine.readonly.db.selectFrom('users').select(['id', 'name']));
    expectTypeOf<Awaited<typeof _rows>[number]['name']>().toEqualTypeOf<string | null>();
    expectTypeOf(engine.readonly.fetchVal(engine.readonly.db.selectFrom('users').select('id'))).toEqualTypeOf<
      Promise<number | null>
    >();
    expectTypeOf(engine.readonly.stream(engine.readonly.db.selectFrom('users').select('name'))).toEqualTypeOf<
      RowStream<{ name: string | null }>
    >();
    expectTypeOf(engine.readonly.transaction(async (conn) => conn.execute(conn.db.selectFrom('users').select('id')))).resolves.toMatchTypeOf<object>();
    expectTypeOf(engine.readonly.transaction(async () => 42)).toEqualTypeOf<Promise<number>>();
    // @ts-expect-error no such table
    void engine.readonly.db.selectFrom('nope');
  });

  it('types the options and the stats', () => {
    expectTypeOf<EngineOptions['replicaFallback']>().toEqualTypeOf<ReplicaFallback | undefined>();
    expectTypeOf<ReplicaFallback>().toEqualTypeOf<'primary' | 'fail'>();
    void createEngine({ connectionString: 'postgres://p/db', replicas: ['postgres://r/db', { host: 'r2', port: 5433 }], maxLagMs: 1000 });
    // @ts-expect-error replicaFallback is 'primary' or 'fail'
    void createEngine({ replicaFallback: 'replica' });
    // @ts-expect-error a replica is a URL or connection fields
    void createEngine({ replicas: [{ hots: 'x' }] });
    expectTypeOf(engine.stats().replicas).toEqualTypeOf<readonly ReplicaStats[]>();
    expectTypeOf<ReplicaStats['status']>().toEqualTypeOf<ReplicaStatus>();
    expectTypeOf<ReplicaStats['lagMs']>().toEqualTypeOf<number | null>();
  });

  it('types read-only sessions and routes', () => {
    expectTypeOf(dbSession(engine, { readOnly: true })).toEqualTypeOf<Promise<Session<Database>>>();
    expectTypeOf(newSession(engine, { readOnly: true })).toEqualTypeOf<Promise<Session<Database>>>();
    expectTypeOf<Session['readOnly']>().toEqualTypeOf<boolean>();
    expectTypeOf<DbSessionMiddlewareOptions['readOnly']>().toEqualTypeOf<
      boolean | ((request: RequestRoute) => boolean) | undefined
    >();
  });
});
