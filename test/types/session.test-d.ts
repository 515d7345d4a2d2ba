import type { Kysely } from 'kysely';
import { describe, expectTypeOf, it } from 'vitest';
import type { Database } from '../../schema/database.js';
import {
  atomic,
  dbSession,
  type Engine,
  newAtomicSession,
  newSession,
  type NestedTransaction,
  type ResultProxy,
  type RowStream,
  runInNewContext,
  type Session,
  type Transaction,
} from '../../src/index.js';
import type { DbSessionMiddlewareOptions as ExpressOptions } from '../../src/middleware/express.js';
import { dbSessionPlugin } from '../../src/middleware/fastify.js';
import type { DbSessionMiddlewareOptions } from '../../src/middleware/request-scope.js';
import { type TestTransaction, withTestTransaction } from '../../src/session/test-transaction.js';

declare const engine: Engine<Database>;

describe('session types', () => {
  it('types the context session by the engine database', async () => {
    const session = await dbSession(engine);
    expectTypeOf(session).toEqualTypeOf<Session<Database>>();
    expectTypeOf(session.db).toEqualTypeOf<Kysely<Database>>();
    expectTypeOf(session.backendPid).toEqualTypeOf<number | undefined>();
  });

  it('types a hook\'s Session<unknown> with the engine\'s schema through of(engine)', () => {
    const hook: NonNullable<DbSessionMiddlewareOptions['beforeCommit']> = (session) => {
      expectTypeOf(session).toEqualTypeOf<Session<unknown>>();
      expectTypeOf(session.of(engine)).toEqualTypeOf<Session<Database> | undefined>();
    };
    expectTypeOf(hook).toBeFunction();
  });

  it('infers row types of execute from Kysely builders', async () => {
    const session = await dbSession(engine);
    const result = await session.execute(session.db.selectFrom('users').select(['id', 'name']));
    expectTypeOf(result).toEqualTypeOf<ResultProxy<{ id: number; name: string | null }>>();
  });

  it('returns what the function returns from atomic, runInNewContext and newAtomicSession', async () => {
    expectTypeOf(await atomic(engine, async () => 42)).toEqualTypeOf<number>();
    expectTypeOf(await newAtomicSession(engine, () => 'x')).toEqualTypeOf<string>();
    expectTypeOf(await runInNewContext(async (a: number, b: string) => `${a}${b}`, 1, 'b')).toEqualTypeOf<string>();
    expectTypeOf(await withTestTransaction(engine, (tx) => tx)).toEqualTypeOf<TestTransaction<Database>>();
  });

  it('checks the arguments runInNewContext passes on', () => {
    // @ts-expect-error -- the second argument must be a string
    void runInNewContext((a: number, b: string) => a + b, 1, 2);
  });

  it('only accepts known onOpenTransaction modes', () => {
    // @ts-expect-error -- 'nest' is not a mode
    void atomic(engine, () => 1, { onOpenTransaction: 'nest' });
    void atomic(engine, () => 1, { onOpenTransaction: 'append' });
  });

  it('returns transaction objects of the engine database from begin and beginNested', async () => {
    const session = await dbSession(engine);
    expectTypeOf(await session.begin({ isolationLevel: 'serializable' })).toEqualTypeOf<
      Transaction<Database>
    >();
    expectTypeOf(await session.beginNested()).toEqualTypeOf<NestedTransaction<Database>>();
    // @ts-expect-error -- 'snapshot' is not a PostgreSQL isolation level
    void session.begin({ isolationLevel: 'snapshot' });
  });

  it('passes the session to transaction(fn) and returns what fn returns', async () => {
    const session = await dbSession(engine);
    const value = await session.transaction(async (s) => {
      expectTypeOf(s).toEqualTypeOf<Session<Database>>();
      return 42;
    });
    expectTypeOf(value).toEqualTypeOf<number>();
  });

  it('infers stream rows from Kysely builders and checks copyTo columns', async () => {
    const session = await dbSession(engine);
    const rows = session.stream(session.db.selectFrom('users').select(['id', 'name']));
    expectTypeOf(rows).toEqualTypeOf<RowStream<{ id: number; name: string | null }>>();
    expectTypeOf(session.copyTo('users', { columns: ['name'] })).toEqualTypeOf<AsyncIterable<Buffer>>();
    // @ts-expect-error -- users has no column 'email'
    void session.copyTo('users', { columns: ['email'] });
  });

  it('disposes a new session with await using', async () => {
    await using session = await newSession(engine);
    expectTypeOf(session).toEqualTypeOf<Session<Database>>();
  });

  it('shares one options type across the middleware', () => {
    expectTypeOf<ExpressOptions>().toEqualTypeOf<DbSessionMiddlewareOptions>();
    expectTypeOf<DbSessionMiddlewareOptions['rollbackOn']>().toEqualTypeOf<
      number | readonly number[] | ((status: number) => boolean) | undefined
    >();
    expectTypeOf(dbSessionPlugin).parameter(1).toEqualTypeOf<DbSessionMiddlewareOptions>();
  });
});
