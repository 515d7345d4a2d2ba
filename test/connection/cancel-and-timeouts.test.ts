import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { Database } from '../../schema/database.js';
import {
  InternalError,
  QueryCanceledError,
  type SAConnection,
} from '../../src/index.js';
import { observe, useTestDatabase } from '../support/test-database.js';
import { useEngines } from '../support/engine-fixture.js';
import { waitUntilRunning } from '../support/observers.js';
import { rejection } from '../support/rejection.js';

const db = useTestDatabase();
const engines = useEngines(db, { shared: { minSize: 1, maxSize: 4 } });

async function acquire(context: { onTestFinished(fn: () => unknown): void }) {
  const conn = await engines.shared.acquire();
  context.onTestFinished(() => conn.close());
  return conn;
}

describe('cancel()', () => {
  it('stops the running statement with QueryCanceledError and the connection stays usable', async (context) => {
    const conn = await acquire(context);
    const started = performance.now();
    const running = rejection(conn.execute('select pg_sleep(30) /* cancel-me */'), QueryCanceledError);
    await waitUntilRunning(db.url, conn.backendPid, 'cancel-me');
    await conn.cancel();
    const error = await running;
    expect(error).toMatchObject({
      message: 'canceling statement due to user request',
      sqlstate: '57014',
    });
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(await conn.scalar('select 1')).toBe(1);
    expect(conn.inTransaction).toBe(false);
  });

  it('does nothing when no statement runs', async (context) => {
    const conn = await acquire(context);
    await conn.cancel();
    expect(await conn.scalar('select 2')).toBe(2);
  });
});

describe('per-call statementTimeoutMs', () => {
  it('cancels a raw statement that runs longer, with QueryCanceledError naming the timeout', async (context) => {
    const conn = await acquire(context);
    const started = performance.now();
    const error = await rejection(
      conn.execute('select pg_sleep(30)', [], { statementTimeoutMs: 200 }),
      QueryCanceledError,
    );
    expect(error).toMatchObject({
      message: 'canceling statement: statementTimeoutMs of 200 ms exceeded',
      sqlstate: '57014',
    });
    expect((error.cause as Error).message).toBe('canceling statement due to user request');
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(await conn.scalar('select 3')).toBe(3);
  });

  it('applies to builders and sql templates, with options as the second argument', async (context) => {
    const conn = await acquire(context);
    const error = await rejection(
      conn.execute(sql`select pg_sleep(30)`, { statementTimeoutMs: 150 }),
      QueryCanceledError,
    );
    expect(error.message).toBe('canceling statement: statementTimeoutMs of 150 ms exceeded');
    const rows = await conn.execute(conn.db.selectFrom('users').select('id'), {
      statementTimeoutMs: 5_000,
    });
    expect(rows.returnsRows).toBe(true);
  });

  it('applies to scalar()', async (context) => {
    const conn = await acquire(context);
    await rejection(conn.scalar('select pg_sleep(30)', { statementTimeoutMs: 100 }), QueryCanceledError);
    expect(await conn.scalar('select 4', [], { statementTimeoutMs: 1_000 })).toBe(4);
  });

  it('lets a fast statement finish and never cancels the statement after it', async (context) => {
    const conn = await acquire(context);
    expect(await conn.scalar('select 5', [], { statementTimeoutMs: 200 })).toBe(5);
    // Longer than the timeout above: a timer left running would cancel this one.
    expect(await conn.scalar('select 6 from pg_sleep(0.4)')).toBe(6);
  });

  it('measures only its own statement, not the time queued behind others', async (context) => {
    const conn = await acquire(context);
    const [slow, timed] = await Promise.all([
      conn.scalar('select 7 from pg_sleep(0.6)'),
      conn.scalar('select 8', [], { statementTimeoutMs: 300 }),
    ]);
    expect([slow, timed]).toEqual([7, 8]);
  });

  it('inside a transaction fails the transaction like any error; ROLLBACK recovers', async (context) => {
    const conn = await acquire(context);
    await conn.execute('begin');
    await conn.execute(`insert into users (name) values ('timed-out-tx')`);
    await rejection(conn.execute('select pg_sleep(30)', [], { statementTimeoutMs: 100 }), QueryCanceledError);
    expect(conn.inTransaction).toBe(true);
    const aborted = await rejection(conn.execute('select 1'), InternalError);
    expect(aborted).toMatchObject({ sqlstate: '25P02' });
    await conn.execute('rollback');
    expect(await conn.scalar('select 9')).toBe(9);
    expect(await observe(db.url, `select id from users where name = 'timed-out-tx'`)).toEqual([]);
  });

  it('rejects a negative timeout with RangeError before sending anything', async (context) => {
    const conn = await acquire(context);
    expect(await rejection(conn.execute('select 1', [], { statementTimeoutMs: -1 }), RangeError)).toEqual(
      new RangeError('statementTimeoutMs must be a non-negative integer, got -1'),
    );
  });
});

describe('the engine option statementTimeoutMs', () => {
  it('cancels long statements server-side with QueryCanceledError; the connection stays usable', async () => {
    const timed = await engines.make({ statementTimeoutMs: 200 });
    const conn: SAConnection<Database> = await timed.acquire();
    const error = await rejection(conn.execute('select pg_sleep(30)'), QueryCanceledError);
    expect(error).toMatchObject({
      message: 'canceling statement due to statement timeout',
      sqlstate: '57014',
    });
    expect(await conn.scalar('select 10')).toBe(10);
    await conn.close();
  });
});
