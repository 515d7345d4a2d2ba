import { describe, expect, it } from 'vitest';
import { InterfaceError } from '../../src/index.js';
import { useTestDatabase } from '../support/test-database.js';
import { useEngines } from '../support/engine-fixture.js';
import { rejection } from '../support/rejection.js';

const db = useTestDatabase();
const engines = useEngines(db, { shared: true });
const events = () => engines.shared.captured.events;

describe('concurrent use of one connection', () => {
  // First in the file: node-postgres warns only once per process.
  it('never hands node-postgres a statement while it is busy (its own queue is deprecated)', async (context) => {
    const conn = await engines.shared.acquire();
    context.onTestFinished(() => conn.close());
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => {
      warnings.push(warning);
    };
    process.on('warning', onWarning);
    try {
      await Promise.all([conn.scalar('select pg_sleep(0.05)'), conn.scalar('select 2'), conn.scalar('select 3')]);
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.map((w) => w.message)).toEqual([]);
  });

  it('queues statements in call order instead of interleaving them', async (context) => {
    const conn = await engines.shared.acquire();
    context.onTestFinished(() => conn.close());
    await conn.execute('create temp sequence call_order');
    events().length = 0;
    const values = await Promise.all([
      conn.scalar(`select nextval('call_order') from pg_sleep(0.2) /* a */`),
      conn.scalar(`select nextval('call_order') /* b */`),
      conn.execute(`select nextval('call_order') /* c */`).then((r) => r.scalar()),
      conn.db
        .selectNoFrom((eb) => eb.fn<string>('nextval', [eb.val('call_order')]).as('n'))
        .executeTakeFirstOrThrow()
        .then((row) => row.n),
    ]);
    expect(values.map(Number)).toEqual([1, 2, 3, 4]);
    expect(events().map((event) => event.sql.match(/\/\* (\w) \*\//)?.[1] ?? 'kysely')).toEqual([
      'a',
      'b',
      'c',
      'kysely',
    ]);
  });

  it('a failing statement in the queue does not disturb the ones around it', async (context) => {
    const conn = await engines.shared.acquire();
    context.onTestFinished(() => conn.close());
    const results = await Promise.allSettled([
      conn.scalar('select 1'),
      conn.scalar('select 1 / 0'),
      conn.scalar('select 3'),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(results[2]).toEqual({ status: 'fulfilled', value: 3 });
  });

  it('raises InterfaceError for a statement issued while a stream is open', async (context) => {
    const conn = await engines.shared.acquire();
    context.onTestFinished(() => conn.close());
    let error: InterfaceError | undefined;
    let seen = 0;
    for await (const row of conn.stream('select n from generate_series(1, 10) n', { batchSize: 2 })) {
      seen += Number(row.n !== undefined);
      if (seen === 3) error = await rejection(conn.execute('select 1'), InterfaceError);
    }
    expect(seen).toBe(10);
    expect(error?.message).toBe(
      'cannot execute: another operation is in progress on this connection ' +
        '(a stream is open; finish or leave its loop first)',
    );
    expect(await conn.scalar('select 11')).toBe(11);
  });

  it('logs a stream once, when it ends, with the number of rows it yielded', async (context) => {
    const conn = await engines.shared.acquire();
    context.onTestFinished(() => conn.close());
    events().length = 0;
    const rows = await conn.stream('select n from generate_series(1, 25) n /* streamed */', {
      batchSize: 10,
    }).toArray();
    expect(rows).toHaveLength(25);
    expect(events()).toEqual([
      expect.objectContaining({
        sql: 'select n from generate_series(1, 25) n /* streamed */',
        rowCount: 25,
        backendPid: conn.backendPid,
      }),
    ]);
  });
});

describe('call order with per-call options', () => {
  it('runs a statement with statementTimeoutMs in call order between untimed ones', async (context) => {
    const conn = await engines.shared.acquire();
    context.onTestFinished(() => conn.close());
    await conn.execute('create temp sequence timed_order');
    events().length = 0;
    const values = await Promise.all([
      conn.scalar(`select nextval('timed_order') from pg_sleep(0.2) /* a */`),
      conn.scalar(`select nextval('timed_order') /* b */`, { statementTimeoutMs: 5_000 }),
      conn.scalar(`select nextval('timed_order') /* c */`),
    ]);
    expect(values.map(Number)).toEqual([1, 2, 3]);
    expect(events().map((event) => event.sql.match(/\/\* (\w) \*\//)?.[1])).toEqual(['a', 'b', 'c']);
  });

  it('measures a timed statement from its start, after the ones queued before it', async (context) => {
    const conn = await engines.shared.acquire();
    context.onTestFinished(() => conn.close());
    const [slow, timed, after] = await Promise.all([
      conn.scalar('select 1 from pg_sleep(0.3)'),
      conn.scalar('select 2 from pg_sleep(0.05)', { statementTimeoutMs: 200 }),
      conn.scalar('select 3'),
    ]);
    expect([slow, timed, after]).toEqual([1, 2, 3]);
  });
});
