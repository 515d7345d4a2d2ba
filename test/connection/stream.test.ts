import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DataError,
  InterfaceError,
  OperationalError,
  QueryCanceledError,
  ResourceClosedError,
} from '../../src/index.js';
import { useTestDatabase, withClient } from '../support/test-database.js';
import { useEngines } from '../support/engine-fixture.js';
import { waitUntilRunning } from '../support/observers.js';
import { rejection } from '../support/rejection.js';
import { BY_BACKEND_PID, notThroughPgBouncer } from '../support/pgbouncer-pass.js';

const db = useTestDatabase();
const engines = useEngines(db, { shared: { minSize: 1, maxSize: 4 } });

// pgsa must never hand node-postgres a statement while a cursor holds the client (pg 9 drops
// that queue); node-postgres reports it with a process warning.
const warnings: string[] = [];
const onWarning = (warning: Error): void => {
  warnings.push(warning.message);
};
beforeAll(() => {
  process.on('warning', onWarning);
});
afterAll(() => {
  process.off('warning', onWarning);
  expect(warnings).toEqual([]);
});

async function acquire(context: { onTestFinished(fn: () => unknown): void }) {
  const conn = await engines.shared.acquire();
  context.onTestFinished(() => (conn.closed ? undefined : conn.close()));
  return conn;
}

describe('conn.stream()', () => {
  it('yields typed rows of a Kysely builder, batch by batch, in order', async (context) => {
    await withClient(db.url, (client) =>
      client.query(`insert into users (name) select 'u' || n from generate_series(1, 25) n`),
    );
    const conn = await acquire(context);
    const names: (string | null)[] = [];
    const query = conn.db.selectFrom('users').select(['id', 'name']).orderBy('id');
    for await (const row of conn.stream(query, { batchSize: 4 })) names.push(row.name);
    expect(names).toEqual(Array.from({ length: 25 }, (_, i) => `u${i + 1}`));
    expect(await conn.scalar('select count(*)::int from pg_cursors')).toBe(0);
  });

  it('streams 200k rows with bounded memory', async (context) => {
    const conn = await engines.shared.acquire();
    context.onTestFinished(() => conn.close());
    const baseline = process.memoryUsage().heapUsed;
    let peak = baseline;
    let count = 0;
    let sum = 0;
    const rows = conn.stream(
      `select n, repeat('x', 500) as pad from generate_series(1, 200000) n`,
      { batchSize: 1000 },
    );
    for await (const row of rows) {
      count++;
      sum += row.n as number;
      if (count % 5000 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed);
    }
    expect(count).toBe(200_000);
    expect(sum).toBe((200_000 * 200_001) / 2);
    // Buffering these rows would take well over 100 MB; one batch is about 0.5 MB. The bound is
    // loose because garbage is only collected now and then.
    expect(peak - baseline).toBeLessThan(48 * 1024 * 1024);
  });

  it('breaking out of the loop closes the cursor and frees the connection', async (context) => {
    const conn = await acquire(context);
    let seen = 0;
    for await (const row of conn.stream('select n from generate_series(1, 100000) n', {
      batchSize: 50,
    })) {
      seen = row.n as number;
      if (seen === 120) break;
    }
    expect(seen).toBe(120);
    expect(await conn.scalar('select count(*)::int from pg_cursors')).toBe(0);
    expect(await conn.scalar('select 42')).toBe(42);
  });

  it('an exception thrown in the loop closes the cursor too', async (context) => {
    const conn = await acquire(context);
    const error = await rejection(
      (async () => {
        for await (const _row of conn.stream('select n from generate_series(1, 1000) n')) {
          throw new Error('user code failed');
        }
      })(),
      Error,
    );
    expect(error.message).toBe('user code failed');
    expect(await conn.scalar('select count(*)::int from pg_cursors')).toBe(0);
  });

  it('breaking out inside a transaction keeps the transaction open and usable', async (context) => {
    const conn = await acquire(context);
    await conn.execute('begin');
    await conn.execute(`insert into users (name) values ('tx-stream')`);
    for await (const _row of conn.stream('select n from generate_series(1, 1000) n')) break;
    expect(conn.inTransaction).toBe(true);
    expect(await conn.scalar(`select count(*)::int from users where name = 'tx-stream'`)).toBe(1);
    await conn.execute('rollback');
    expect(await conn.scalar(`select count(*)::int from users where name = 'tx-stream'`)).toBe(0);
  });

  it('an error in the middle of the rows is thrown by the loop as a typed error', async (context) => {
    const conn = await acquire(context);
    let received = 0;
    const error = await rejection(
      (async () => {
        const rows = conn.stream('select 10 / (n - 450) as q from generate_series(1, 1000) n', [], {
          batchSize: 100,
        });
        for await (const _row of rows) received++;
      })(),
      DataError,
    );
    expect(error).toMatchObject({ message: 'division by zero', sqlstate: '22012' });
    expect(received).toBe(400);
    expect(await conn.scalar('select 43')).toBe(43);
  });

  it("a mid-stream error's stack names the user function running the loop", async (context) => {
    const conn = await acquire(context);
    async function sumQuotientsInUserCode(): Promise<number> {
      let sum = 0;
      for await (const row of conn.stream('select 1 / (n - 5) as q from generate_series(1, 9) n', {
        batchSize: 2,
      })) {
        sum += row.q as number;
      }
      return sum;
    }
    const error = await rejection(sumQuotientsInUserCode(), DataError);
    expect(error.stack).toContain('sumQuotientsInUserCode');
  });

  it('requests the next batch while the loop works on the current one, and no further', async (context) => {
    // nextval() runs once per row the server produces; a sequence is visible from outside
    // at once (it is not transactional).
    await withClient(db.url, (client) => client.query('create sequence if not exists stream_ahead'));
    const produced = () =>
      withClient(db.url, async (client) =>
        Number((await client.query('select last_value from stream_ahead')).rows[0].last_value),
      );
    const conn = await acquire(context);
    const rows = conn.stream("select nextval('stream_ahead') as v from generate_series(1, 100)", {
      batchSize: 10,
    });
    let seen = 0;
    let whileOnFirstBatch = 0;
    for await (const _row of rows) {
      if (++seen === 1) {
        for (let attempt = 0; attempt < 100 && whileOnFirstBatch < 20; attempt++) {
          whileOnFirstBatch = await produced();
          if (whileOnFirstBatch < 20) await new Promise((resolve) => setTimeout(resolve, 10));
        }
        // Give a third batch every chance to be (wrongly) requested too.
        await new Promise((resolve) => setTimeout(resolve, 50));
        whileOnFirstBatch = await produced();
      }
    }
    expect({ seen, whileOnFirstBatch }).toEqual({ seen: 100, whileOnFirstBatch: 20 });
    expect(await conn.scalar('select count(*)::int from pg_cursors')).toBe(0);
  });

  it('leaving the loop while the next batch is on its way closes the cursor', async (context) => {
    const conn = await acquire(context);
    for await (const _row of conn.stream('select n from generate_series(1, 1000) n', { batchSize: 10 })) {
      break;
    }
    expect(await conn.scalar('select count(*)::int from pg_cursors')).toBe(0);
    expect(await conn.scalar('select 41')).toBe(41);
  });

  it('takes $1 parameters with a SQL string', async (context) => {
    const conn = await acquire(context);
    const rows = await conn.stream('select n from generate_series(1, $1::int) n', [5]).toArray();
    expect(rows.map((row) => row.n)).toEqual([1, 2, 3, 4, 5]);
  });

  it('sends nothing until iterated, and can be iterated only once', async (context) => {
    const conn = await acquire(context);
    const rows = conn.stream('select 1 as n');
    expect(await conn.scalar('select 2')).toBe(2); // not blocked: the stream is not open
    expect((await rows.toArray()).map((row) => row.n)).toEqual([1]);
    const again = await rejection(rows.toArray(), InterfaceError);
    expect(again.message).toBe(
      'cannot iterate: this stream was already iterated; call conn.stream() again',
    );
  });

  it('refuses a second stream while one is open', async (context) => {
    const conn = await acquire(context);
    let error: Error | undefined;
    for await (const _row of conn.stream('select n from generate_series(1, 10) n')) {
      error = await rejection(conn.stream('select 1').toArray(), InterfaceError);
      break;
    }
    expect(error).toBeInstanceOf(InterfaceError);
    expect(error?.message).toBe(
      'cannot stream: another operation is in progress on this connection ' +
        '(a stream is open; finish or leave its loop first)',
    );
  });

  it('waits for statements issued before it, in call order', async (context) => {
    const conn = await acquire(context);
    await conn.execute('create temp table stream_order (n int)');
    const insert = conn.execute('insert into stream_order select 1 from pg_sleep(0.2)');
    const rows = await conn.stream('select n from stream_order').toArray();
    await insert;
    expect(rows.map((row) => row.n)).toEqual([1]);
  });

  it('on a closed connection raises ResourceClosedError when iterated', async (context) => {
    const conn = await acquire(context);
    await conn.close();
    const error = await rejection(conn.stream('select 1').toArray(), ResourceClosedError);
    expect(error.message).toBe('cannot stream: the connection is closed');
  });

  it('closing the connection in the middle of a stream ends the loop with ResourceClosedError and discards the connection', async (context) => {
    const e = engines.shared;
    const conn = await acquire(context);
    const pid = conn.backendPid;
    const error = await rejection(
      (async () => {
        for await (const _row of conn.stream('select n from generate_series(1, 1000) n', {
          batchSize: 10,
        })) {
          await conn.close();
        }
      })(),
      ResourceClosedError,
    );
    expect(error.message).toBe('cannot read the stream: the connection was closed');
    expect(e.stats().inUse).toBe(0);
    const next = await e.acquire();
    expect(next.backendPid).not.toBe(pid);
    expect(await next.scalar('select 1')).toBe(1);
    await next.close();
  });

  it('engine.terminate() in the middle of a stream ends the loop with OperationalError', async () => {
    const own = await engines.make();
    const conn = await own.acquire();
    const error = await rejection(
      (async () => {
        for await (const _row of conn.stream('select n from generate_series(1, 1000) n', {
          batchSize: 10,
        })) {
          await own.terminate();
        }
      })(),
      OperationalError,
    );
    expect(error.message).toBe(
      'Connection terminated: the engine was terminated while the statement ran',
    );
    expect(own.size).toBe(0);
  });

  it.skipIf(notThroughPgBouncer(BY_BACKEND_PID))('cancel() stops a running stream with QueryCanceledError; the connection stays usable', async (context) => {
    const conn = await acquire(context);
    const rows = conn.stream(
      `select n, pg_sleep(case when n = 3 then 30 else 0 end) /* slow-stream */
         from generate_series(1, 5) n`,
      { batchSize: 1 },
    );
    let received = 0;
    const error = await rejection(
      (async () => {
        for await (const _row of rows) {
          received++;
          if (received === 2) {
            setTimeout(() => {
              void waitUntilRunning(db.url, conn.backendPid, 'slow-stream').then(() => conn.cancel());
            }, 0);
          }
        }
      })(),
      QueryCanceledError,
    );
    expect(error).toMatchObject({ sqlstate: '57014' });
    expect(received).toBe(2);
    expect(await conn.scalar('select 44')).toBe(44);
  });
});

describe("Kysely's .stream()", () => {
  it('streams plain objects on conn.db and leaves the connection usable', async (context) => {
    const conn = await acquire(context);
    const ids: number[] = [];
    for await (const row of conn.db
      .selectFrom('users')
      .select('id')
      .orderBy('id')
      .limit(7)
      .stream(3)) {
      ids.push(row.id);
    }
    expect(ids).toHaveLength(7);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(await conn.scalar('select count(*)::int from pg_cursors')).toBe(0);
  });

  it('on engine.db releases the pooled connection when the loop ends or breaks', async () => {
    const e = engines.shared;
    const inUseBefore = e.stats().inUse;
    let count = 0;
    for await (const _row of e.db.selectFrom('users').select('id').stream(2)) {
      if (++count === 3) break;
    }
    expect(count).toBe(3);
    expect(e.stats().inUse).toBe(inUseBefore);
  });
});
