import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  DataError,
  InterfaceError,
  QueryCanceledError,
  ResourceClosedError,
} from '../../src/index.js';
import { useTestDatabase, withClient } from '../support/test-database.js';
import { useEngines } from '../support/engine-fixture.js';
import { rejection } from '../support/rejection.js';
import { BY_BACKEND_PID, notThroughPgBouncer } from '../support/pgbouncer-pass.js';

const db = useTestDatabase();
const engines = useEngines(db, { shared: { minSize: 1, maxSize: 3 } });

beforeAll(async () => {
  await withClient(db.url, (client) =>
    client.query(`insert into users (name, birthday) values ('ann', '1990-01-02'), ('b\tob', null)`),
  );
});

async function collect(chunks: AsyncIterable<Buffer>): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return Buffer.concat(parts).toString('utf8');
}

describe('copyTo', () => {
  it('copies a table out in COPY text format', async (context) => {
    const conn = await engines.shared.acquire();
    context.onTestFinished(() => conn.close());
    expect(await collect(conn.copyTo('users', { columns: ['name', 'birthday'] }))).toBe(
      'ann\t1990-01-02 00:00:00\nb\\tob\t\\N\n',
    );
  });

  it('runs a whole COPY statement: a query, in CSV with a header', async (context) => {
    const conn = await engines.shared.acquire();
    context.onTestFinished(() => conn.close());
    const csv = await collect(
      conn.copyTo('COPY (select id, name from users order by id) TO STDOUT (FORMAT csv, HEADER)'),
    );
    expect(csv).toBe('id,name\n1,ann\n2,b\tob\n');
  });

  it.skipIf(notThroughPgBouncer(BY_BACKEND_PID))('pauses the socket while a slow consumer is behind: the server waits, memory stays bounded', async (context) => {
    const conn = await engines.shared.acquire();
    context.onTestFinished(() => conn.close());
    const pid = conn.backendPid;
    let bytes = 0;
    let lines = 0;
    let largest = 0;
    let waitEvent: unknown;
    for await (const chunk of conn.copyTo(
      `COPY (select n, repeat('x', 200) from generate_series(1, 300000) n) TO STDOUT`,
    )) {
      if (bytes === 0) {
        // Stalled consumer: the server must block writing to us instead of us buffering ~60 MB.
        for (let attempt = 0; attempt < 100 && waitEvent !== 'ClientWrite'; attempt++) {
          await new Promise((resolve) => setTimeout(resolve, 20));
          const seen = await withClient(db.url, (client) =>
            client.query('select wait_event from pg_stat_activity where pid = $1', [pid]),
          );
          waitEvent = seen.rows[0]?.wait_event;
        }
      }
      bytes += chunk.byteLength;
      largest = Math.max(largest, chunk.byteLength);
      for (const byte of chunk) if (byte === 10) lines++;
    }
    expect(waitEvent).toBe('ClientWrite');
    expect(lines).toBe(300_000);
    expect(bytes).toBeGreaterThan(60_000_000);
    // Data waiting for the consumer never grows much past the 1 MB high-water mark.
    expect(largest).toBeLessThan(4 * 1024 * 1024);
    expect(await conn.scalar('select 5')).toBe(5);
  });

  it('pipes into a Node writable stream', async (context) => {
    const conn = await engines.shared.acquire();
    context.onTestFinished(() => conn.close());
    let text = '';
    await pipeline(
      Readable.from(conn.copyTo('COPY (select generate_series(1, 3)) TO STDOUT')),
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          text += chunk.toString();
          done();
        },
      }),
    );
    expect(text).toBe('1\n2\n3\n');
  });

  it('leaving the loop early cancels the COPY; the connection stays usable', async (context) => {
    const conn = await engines.shared.acquire();
    context.onTestFinished(() => conn.close());
    let chunks = 0;
    for await (const _chunk of conn.copyTo(
      'COPY (select n, pg_sleep(case when n = 50000 then 30 else 0 end) from generate_series(1, 100000) n) TO STDOUT',
    )) {
      if (++chunks === 1) break;
    }
    expect(chunks).toBe(1);
    expect(conn.inTransaction).toBe(false);
    expect(await conn.scalar('select 6')).toBe(6);
  });

  it('throws a failure in the middle of the data from the loop, typed, after the rows before it', async (context) => {
    const conn = await engines.shared.acquire();
    context.onTestFinished(() => conn.close());
    let received = '';
    const error = await rejection(
      (async () => {
        for await (const chunk of conn.copyTo(
          'COPY (select 1 / (n - 5000) from generate_series(1, 10000) n) TO STDOUT',
        )) {
          received += chunk.toString();
        }
      })(),
      DataError,
    );
    expect(error).toMatchObject({ sqlstate: '22012', message: 'division by zero' });
    expect(received.split('\n').length).toBeLessThanOrEqual(5000);
    expect(await conn.scalar('select 7')).toBe(7);
  });

  it('refuses other statements while it is open', async (context) => {
    const conn = await engines.shared.acquire();
    context.onTestFinished(() => conn.close());
    let error: Error | undefined;
    for await (const _chunk of conn.copyTo('COPY (select generate_series(1, 100000)) TO STDOUT')) {
      error = await rejection(conn.execute('select 1'), InterfaceError);
      break;
    }
    expect(error).toBeInstanceOf(InterfaceError);
    expect(error?.message).toBe(
      'cannot execute: another operation is in progress on this connection ' +
        '(a stream is open; finish or leave its loop first)',
    );
  });

  it('is stopped by cancel() with QueryCanceledError', async (context) => {
    const conn = await engines.shared.acquire();
    context.onTestFinished(() => conn.close());
    await rejection(
      (async () => {
        for await (const _chunk of conn.copyTo(
          // 100 kB before the sleep, so the server flushes some data to us first.
          `COPY (select n, repeat('x', 1000), pg_sleep(case when n = 100 then 30 else 0 end)
             from generate_series(1, 200) n) TO STDOUT`,
        )) {
          await conn.cancel();
        }
      })(),
      QueryCanceledError,
    );
    expect(await conn.scalar('select 8')).toBe(8);
  });

  it('sends nothing until iterated, and echoes the statement once with its row count', async () => {
    const e = await engines.make({ minSize: 1, maxSize: 1 });
    const events = e.captured.events;
    await using conn = await e.acquire();
    const rows = conn.copyTo('users', { columns: ['name'] });
    expect(events).toEqual([]);
    await collect(rows);
    expect(events.map(({ sql, rowCount }) => ({ sql, rowCount }))).toEqual([
      { sql: 'COPY "users" ("name") TO STDOUT', rowCount: 2 },
    ]);
  });

  it('refuses a statement that does not copy to STDOUT at once, with TypeError', async (context) => {
    const conn = await engines.shared.acquire();
    context.onTestFinished(() => conn.close());
    expect(() => conn.copyTo('COPY users FROM STDIN')).toThrow(
      new TypeError('copyTo takes a COPY … TO STDOUT statement, not COPY … FROM'),
    );
    const withColumns = conn.copyTo as (t: string, o: unknown) => AsyncIterable<Buffer>;
    expect(() => withColumns.call(conn, 'COPY users TO STDOUT', { columns: ['name'] })).toThrow(
      new TypeError('copyTo: columns go with a table name, not with a COPY statement'),
    );
  });

  it('raises ResourceClosedError on a closed connection when iterated', async () => {
    const conn = await engines.shared.acquire();
    await conn.close();
    const error = await rejection(collect(conn.copyTo('users')), ResourceClosedError);
    expect(error.message).toBe('cannot copy: the connection is closed');
  });

  it('on the engine: copies on a pooled connection and releases it, also when the loop is left', async () => {
    const e = engines.shared;
    expect(await collect(e.copyTo('users', { columns: ['name'] }))).toBe('ann\nb\\tob\n');
    expect(e.stats().inUse).toBe(0);
    for await (const _chunk of e.copyTo('COPY (select generate_series(1, 100000)) TO STDOUT')) break;
    expect(e.stats().inUse).toBe(0);
    expect(() => e.copyTo('COPY users FROM STDIN')).toThrow(TypeError);
  });
});
