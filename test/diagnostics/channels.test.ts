import diagnostics from 'node:diagnostics_channel';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CHANNEL_NAMES,
  DataError,
  type PoolMessage,
  type QueryMessage,
  type TransactionMessage,
} from '../../src/index.js';
import { releaseSavepointSql, rollbackToSavepointSql, savepointSql } from '../../src/sql/transaction-sql.js';
import { useEngines } from '../support/engine-fixture.js';
import { rejection } from '../support/rejection.js';
import { observe, useTestDatabase } from '../support/test-database.js';

const db = useTestDatabase();
const engines = useEngines(db, {
  defaults: { minSize: 1, maxSize: 2, pipelineConnections: 0 },
  setup: 'create table channel_items (id int primary key, name text)',
  reset: 'truncate channel_items',
});

type Message =
  | ({ channel: 'query' } & QueryMessage)
  | ({ channel: 'pool' } & PoolMessage)
  | ({ channel: 'transaction' } & TransactionMessage);

const unsubscribes: (() => void)[] = [];
afterEach(() => {
  for (const unsubscribe of unsubscribes.splice(0)) unsubscribe();
});

/** Records every message of the three channels, in the order published. */
function record(): Message[] {
  const messages: Message[] = [];
  for (const channel of ['query', 'pool', 'transaction'] as const) {
    const listener = (message: unknown) => void messages.push({ channel, ...(message as object) } as Message);
    diagnostics.subscribe(CHANNEL_NAMES[channel], listener);
    unsubscribes.push(() => diagnostics.unsubscribe(CHANNEL_NAMES[channel], listener));
  }
  return messages;
}

/** `channel event sql-or-detail`, one line per message. */
function lines(messages: readonly Message[]): string[] {
  return messages.map((m) => {
    if (m.channel === 'query') return `query ${m.event} ${m.sql}`;
    if (m.channel === 'transaction') return `transaction ${m.event} ${m.sql}`;
    return m.event === 'disconnect' ? `pool disconnect ${m.reason}` : `pool ${m.event}`;
  });
}

describe('diagnostics channels', () => {
  it('publish every event, in order, for a transaction with a savepoint', async () => {
    const engine = await engines.make();
    const messages = record();
    const conn = await engine.acquire();
    const tx = await conn.begin();
    await conn.execute('insert into channel_items values ($1, $2)', [1, 'kept']);
    const savepoint = await conn.beginNested();
    await conn.execute('insert into channel_items values ($1, $2)', [2, 'undone']);
    await savepoint.rollback();
    const inner = await conn.beginNested();
    await conn.execute('insert into channel_items values ($1, $2)', [3, 'released']);
    await inner.commit();
    const empty = await conn.beginNested(); // no statement: nothing is sent for it
    await empty.commit();
    await tx.commit();
    const pid = conn.backendPid;
    await conn.close();
    const first = savepoint.savepoint as string;
    const second = inner.savepoint as string;
    const rollbackTo = rollbackToSavepointSql(first);
    expect(lines(messages)).toEqual([
      'pool acquire',
      'pool acquired',
      // BEGIN goes out in the same write as the first statement (issue 18).
      'query start BEGIN',
      'query start insert into channel_items values ($1, $2)',
      'query end BEGIN',
      'transaction begin BEGIN',
      'query end insert into channel_items values ($1, $2)',
      // SAVEPOINT goes out with the next statement, RELEASE with the next one (here COMMIT).
      `query start ${savepointSql(first)}`,
      'query start insert into channel_items values ($1, $2)',
      `query end ${savepointSql(first)}`,
      `transaction savepoint ${savepointSql(first)}`,
      'query end insert into channel_items values ($1, $2)',
      `query start ${rollbackTo}`,
      `query end ${rollbackTo}`,
      `transaction rollbackToSavepoint ${rollbackTo}`,
      `query start ${savepointSql(second)}`,
      'query start insert into channel_items values ($1, $2)',
      `query end ${savepointSql(second)}`,
      `transaction savepoint ${savepointSql(second)}`,
      'query end insert into channel_items values ($1, $2)',
      `query start ${releaseSavepointSql(second)}`,
      'query start COMMIT',
      `query end ${releaseSavepointSql(second)}`,
      `transaction releaseSavepoint ${releaseSavepointSql(second)}`,
      'query end COMMIT',
      'transaction commit COMMIT',
      'pool release',
    ]);
    for (const m of messages) {
      if (m.channel !== 'pool' || m.event !== 'acquire') expect(m).toMatchObject({ backendPid: pid });
    }
    const savepointMessage = messages.find((m) => m.channel === 'transaction' && m.event === 'savepoint');
    expect(savepointMessage).toMatchObject({ savepoint: savepoint.savepoint });
    expect(await observe(db.url, 'select id, name from channel_items order by id')).toEqual([
      { id: 1, name: 'kept' },
      { id: 3, name: 'released' },
    ]);
  });

  it('pair start with end by id, with duration, rows, server and no parameter values', async () => {
    const engine = await engines.make();
    const messages = record();
    await engine.execute("insert into channel_items values ($1, 'a'), ($2, 'b')", [1, 2]);
    const queries = messages.filter((m): m is Message & { channel: 'query' } => m.channel === 'query');
    const [start, end] = queries;
    expect(start).toMatchObject({ event: 'start', pipelined: false, database: db.name, host: '127.0.0.1' });
    expect(end).toMatchObject({ event: 'end', id: start?.id, rowCount: 2, statementName: expect.stringMatching(/^pgsa_\d+$/) });
    expect(end?.event === 'end' && end.durationMs).toBeGreaterThan(0);
    for (const m of queries) expect(m).not.toHaveProperty('parameters');
    const url = new URL(db.url);
    expect(start?.port).toBe(Number(url.port));
  });

  it('include parameter values only with echoParameters', async () => {
    const engine = await engines.make({ echoParameters: true });
    const messages = record();
    await engine.execute('select $1::int + $2::int as sum', [2, 3]);
    expect(messages.filter((m) => m.channel === 'query').map((m) => (m as { parameters?: unknown }).parameters)).toEqual([
      [2, 3],
      [2, 3],
    ]);
  });

  it('mark a reused prepared statement as cached, with its name', async () => {
    const engine = await engines.make({ maxSize: 1 });
    const messages = record();
    await using conn = await engine.acquire();
    await conn.execute('select $1::int as n', [1]);
    await conn.execute('select $1::int as n', [2]);
    const ends = messages.filter((m) => m.channel === 'query' && m.event === 'end') as QueryMessage[];
    expect(ends.map((m) => m.cached)).toEqual([false, true]);
    expect(ends[0]?.statementName).toMatch(/^pgsa_\d+$/);
    expect(ends[1]?.statementName).toBe(ends[0]?.statementName);
  });

  it('report a failed statement as error with the error the caller gets', async () => {
    const engine = await engines.make();
    const messages = record();
    const error = await rejection(engine.execute('select 1 / 0'), DataError);
    const failed = messages.find((m) => m.channel === 'query' && m.event === 'error');
    expect(failed).toMatchObject({ event: 'error', sql: 'select 1 / 0', error });
  });

  it('mark statements of the pipelined path as pipelined', async () => {
    const engine = await engines.make({ pipelineConnections: 1 });
    const messages = record();
    await engine.execute('select 1');
    expect(messages.filter((m) => m.channel === 'query').map((m) => [m.event, (m as QueryMessage).pipelined])).toEqual([
      ['start', true],
      ['end', true],
    ]);
    expect(messages.some((m) => m.channel === 'pool')).toBe(false);
  });

  it('report two-phase steps', async () => {
    const engine = await engines.make();
    const messages = record();
    await using conn = await engine.acquire();
    const tx = await conn.beginTwophase('pgsa-channels-xid');
    await tx.prepare();
    await tx.commit();
    expect(
      messages.filter((m) => m.channel === 'transaction').map((m) => [m.event, (m as TransactionMessage).xid]),
    ).toEqual([
      ['begin', 'pgsa-channels-xid'],
      ['prepare', 'pgsa-channels-xid'],
      ['commitPrepared', 'pgsa-channels-xid'],
    ]);
  });

  it('report pool timeouts, connects and disconnects with their reason', async () => {
    const engine = await engines.make({ minSize: 0, maxSize: 1, acquireTimeoutMs: 100 });
    const messages = record();
    const conn = await engine.acquire();
    await conn.execute('select pg_terminate_backend(pg_backend_pid())').catch(() => {});
    await conn.close();
    // pg-pool reports the removal once the discarded client has ended.
    await expect.poll(() => messages.some((m) => m.channel === 'pool' && m.event === 'disconnect')).toBe(true);
    const again = await engine.acquire();
    await engine.acquire().catch(() => {});
    await again.close();
    await engine.close();
    await engine.waitClosed();
    const disconnects = () => messages.filter((m) => m.channel === 'pool' && m.event === 'disconnect').length;
    await expect.poll(disconnects).toBe(2);
    expect(lines(messages.filter((m) => m.channel === 'pool'))).toEqual([
      'pool acquire',
      'pool connect',
      'pool acquired',
      'pool release',
      'pool disconnect discarded',
      'pool acquire',
      'pool connect',
      'pool acquired',
      'pool acquire',
      'pool timeout',
      'pool release',
      'pool disconnect closed',
    ]);
    expect(messages.find((m) => m.channel === 'pool' && m.event === 'release')).toMatchObject({ discarded: true });
  });

  it('publish nothing once unsubscribed', async () => {
    const engine = await engines.make();
    const messages = record();
    for (const unsubscribe of unsubscribes.splice(0)) unsubscribe();
    await engine.execute('select 1');
    expect(messages).toEqual([]);
  });
});

describe('engine.stats()', () => {
  it('counts statements and errors and summarizes their latency', async () => {
    const engine = await engines.make({ pipelineConnections: 1 });
    const before = engine.stats();
    await engine.execute('select 1');
    await engine.execute('select pg_sleep(0.03)');
    await engine.execute('select 1 / 0').catch(() => {});
    await engine.transaction((conn) => conn.execute('select 2'));
    const after = engine.stats();
    // select 1, pg_sleep, the failure, then BEGIN, select 2, COMMIT.
    expect(after.queries - before.queries).toBe(6);
    expect(after.errors - before.errors).toBe(1);
    expect(after.latency.count).toBe(after.queries);
    expect(after.latency.maxMs).toBeGreaterThanOrEqual(30);
    expect(after.latency.sumMs).toBeGreaterThanOrEqual(30);
    const buckets = after.latency.buckets;
    expect(buckets.at(-1)).toEqual({ leMs: Number.POSITIVE_INFINITY, count: after.queries });
    // Cumulative: never decreasing; the 30 ms statement is above the 25 ms bucket.
    for (let i = 1; i < buckets.length; i++) expect(buckets[i]!.count).toBeGreaterThanOrEqual(buckets[i - 1]!.count);
    expect(buckets.find((b) => b.leMs === 25)!.count).toBeLessThan(after.queries);
  });
});
