import { describe, expectTypeOf, it } from 'vitest';
import type { Database } from '../../schema/database.js';
import type {
  EngineTransactionOptions,
  Engine,
  IsolationLevel,
  NestedTransaction,
  SAConnection,
  Transaction,
  TransactionOptions,
  TransactionStatus,
  TwoPhaseTransaction,
} from '../../src/index.js';

declare const conn: SAConnection<Database>;
declare const engine: Engine<Database>;

describe('transaction types', () => {
  it('types the transaction objects returned by begin, beginNested and beginTwophase', () => {
    expectTypeOf(conn.begin()).resolves.toEqualTypeOf<Transaction<Database>>();
    expectTypeOf(conn.beginNested()).resolves.toEqualTypeOf<NestedTransaction<Database>>();
    expectTypeOf(conn.beginTwophase('x')).resolves.toEqualTypeOf<TwoPhaseTransaction<Database>>();
    expectTypeOf(conn.recoverTwophase()).resolves.toEqualTypeOf<string[]>();
    expectTypeOf<NestedTransaction<Database>>().toExtend<Transaction<Database>>();
    expectTypeOf<TwoPhaseTransaction<Database>['xid']>().toEqualTypeOf<string>();
    expectTypeOf<NestedTransaction<Database>['savepoint']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<Transaction<Database>['connection']>().toEqualTypeOf<SAConnection<Database>>();
  });

  it('exposes one status from a closed set', () => {
    expectTypeOf<Transaction<Database>['status']>().toEqualTypeOf<TransactionStatus>();
    expectTypeOf<TransactionStatus>().toEqualTypeOf<
      'active' | 'committed' | 'rolledBack' | 'failed' | 'prepared' | 'closed'
    >();
  });

  it('accepts only known isolation levels', () => {
    expectTypeOf<'serializable'>().toExtend<IsolationLevel>();
    expectTypeOf<'chaos'>().not.toExtend<IsolationLevel>();
    // @ts-expect-error an unknown isolation level does not type-check
    void conn.begin({ isolationLevel: 'chaos' });
    expectTypeOf<TransactionOptions['readOnly']>().toEqualTypeOf<boolean | undefined>();
  });

  it('infers the result of transaction(fn) and hands fn a typed connection', () => {
    expectTypeOf(conn.transaction(async () => 42)).resolves.toEqualTypeOf<number>();
    expectTypeOf(conn.transaction(() => 'sync')).resolves.toEqualTypeOf<string>();
    expectTypeOf(
      engine.transaction(async (c) => {
        expectTypeOf(c).toEqualTypeOf<SAConnection<Database>>();
        return c.db.selectFrom('users').select('name').executeTakeFirst();
      }),
    ).resolves.toEqualTypeOf<{ name: string | null } | undefined>();
  });

  it('takes retries and backoff only on the engine', () => {
    expectTypeOf<EngineTransactionOptions['retries']>().toEqualTypeOf<number | undefined>();
    // @ts-expect-error retries re-run a whole unit, so connections do not take them
    void conn.transaction(async () => {}, { retries: 3 });
    void engine.transaction(async () => {}, { retries: 3, backoff: { initialMs: 5 } });
  });
});
