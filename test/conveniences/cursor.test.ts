import { describe, expect, it } from 'vitest';
import { Cursor, InterfaceError, newSession, OperationalError, ProgrammingError } from '../../src/index.js';
import { useEngines } from '../support/engine-fixture.js';
import { EMPTY_USERS } from '../support/sample-tables.js';
import { useTestDatabase } from '../support/test-database.js';
import { rejection } from '../support/rejection.js';

const db = useTestDatabase();
const engines = useEngines(db, { defaults: { minSize: 1, maxSize: 2 }, shared: true, reset: EMPTY_USERS });

const SERIES = 'select n from generate_series(1, $1::int) n';
const OUTSIDE =
  'cannot open a cursor outside a transaction: a server-side cursor lives inside one; ' +
  'call cursor() inside conn.transaction(…) or after conn.begin()';
const ENDED =
  "the cursor's transaction has ended; a cursor lives only as long as the transaction that opened it " +
  '(open a new one inside a transaction)';

describe('conn.cursor', () => {
  it('fetch(n), fetchRow() and forward(n) read the cursor on demand', async () => {
    await using conn = await engines.shared.acquire();
    await conn.transaction(async () => {
      const cur = await conn.cursor<{ n: number }>(SERIES, [10]);
      expect(cur).toBeInstanceOf(Cursor);
      expect((await cur.fetch(3)).map((row) => row.n)).toEqual([1, 2, 3]);
      expect((await cur.fetchRow())?.n).toBe(4);
      expect(await cur.forward(4)).toBe(4);
      expect((await cur.fetch(5)).map((row) => row.n)).toEqual([9, 10]);
      expect(await cur.fetchRow()).toBeNull();
      expect(await cur.forward(3)).toBe(0);
      await cur.close();
    });
    const name = /"(pgsa_cursor_\d+)"/.exec(engines.shared.captured.sql.find((text) => text.startsWith('DECLARE')) ?? '')?.[1];
    const quoted = `"${name}"`;
    expect(engines.shared.captured.sql.filter((text) => /^(DECLARE|FETCH|MOVE|CLOSE)/.test(text))).toEqual([
      `DECLARE ${quoted} NO SCROLL CURSOR FOR ${SERIES}`,
      `FETCH 3 FROM ${quoted}`,
      `FETCH 1 FROM ${quoted}`,
      `MOVE FORWARD 4 FROM ${quoted}`,
      `FETCH 5 FROM ${quoted}`,
      `FETCH 1 FROM ${quoted}`,
      `MOVE FORWARD 3 FROM ${quoted}`,
      `CLOSE ${quoted}`,
    ]);
  });

  it('iterates the rest of its rows, batchSize per round trip, with other statements in between', async () => {
    await using conn = await engines.shared.acquire();
    await conn.begin();
    const cur = await conn.cursor<{ n: number }>(SERIES, [25], { batchSize: 10 });
    await cur.fetch(2);
    const seen: number[] = [];
    for await (const row of cur) {
      seen.push(row.n);
      if (row.n === 5) expect(await conn.fetchVal('select 1')).toBe(1);
    }
    expect(seen).toEqual(Array.from({ length: 23 }, (_, i) => i + 3));
    const fetches = engines.shared.captured.sql.filter((text) => text.startsWith('FETCH 10'));
    expect(fetches.length).toBe(3);
    await conn.execute('ROLLBACK');
  });

  it('is iterable without an await, from a builder, with its row type', async () => {
    await using conn = await engines.shared.acquire();
    await conn.execute("insert into users (name) values ('ann'), ('bob')");
    const names = await conn.transaction(async () => {
      const out: (string | null)[] = [];
      for await (const row of conn.cursor(conn.db.selectFrom('users').select('name').orderBy('id'))) out.push(row.name);
      return out;
    });
    expect(names).toEqual(['ann', 'bob']);
  });

  it('outside a transaction is an InterfaceError saying a cursor needs one', async () => {
    await using conn = await engines.shared.acquire();
    const error = await rejection(conn.cursor(SERIES, [3]), InterfaceError);
    expect(error.message).toBe(OUTSIDE);
    const iterated = await rejection(
      (async () => {
        for await (const _ of conn.cursor(SERIES, [3])) void _;
      })(),
      InterfaceError,
    );
    expect(iterated.message).toBe(OUTSIDE);
    expect(engines.shared.captured.sql.some((text) => text.startsWith('DECLARE'))).toBe(false);
  });

  it('used after its transaction ended it is an InterfaceError, also inside a new transaction', async () => {
    await using conn = await engines.shared.acquire();
    const tx = await conn.begin();
    const cur = await conn.cursor(SERIES, [3]);
    await tx.commit();
    expect(cur.closed).toBe(true);
    const error = await rejection(cur.fetch(1), InterfaceError);
    expect(error.message).toBe(`cannot fetch: ${ENDED}`);
    await conn.begin();
    const again = await rejection(cur.fetchRow(), InterfaceError);
    expect(again.message).toBe(`cannot fetchRow: ${ENDED}`);
    await cur.close();
    await conn.execute('ROLLBACK');
  });

  it('after close() it is an InterfaceError, and the server closed it too', async () => {
    await using conn = await engines.shared.acquire();
    await conn.begin();
    const cur = await conn.cursor(SERIES, [3]);
    await cur.close();
    await cur.close();
    const error = await rejection(cur.forward(1), InterfaceError);
    expect(error.message).toBe('cannot forward: the cursor is closed');
    const server = await rejection(conn.execute(`FETCH 1 FROM "${cur.name}"`), OperationalError);
    expect(server.sqlstate).toBe('34000');
    await conn.execute('ROLLBACK');
  });

  it('a bad count is a RangeError and a server error is typed', async () => {
    await using conn = await engines.shared.acquire();
    await conn.begin();
    const cur = await conn.cursor(SERIES, [3]);
    await expect(cur.fetch(-1)).rejects.toThrow(RangeError);
    const error = await rejection(conn.cursor('select * from no_such_table'), ProgrammingError);
    expect(error.sqlstate).toBe('42P01');
    await conn.execute('ROLLBACK');
  });

  it('reads 1M rows in constant memory', async () => {
    await using conn = await engines.shared.acquire();
    await conn.begin();
    const cur = await conn.cursor<{ n: number }>(SERIES, [1_000_000], { batchSize: 5_000 });
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    const before = process.memoryUsage().heapUsed;
    let peak = before;
    let count = 0;
    let sum = 0;
    for await (const row of cur) {
      count++;
      sum += row.n;
      if (count % 50_000 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed);
    }
    await conn.execute('ROLLBACK');
    expect(count).toBe(1_000_000);
    expect(sum).toBe(500_000_500_000);
    const growthMb = (peak - before) / 2 ** 20;
    console.log(`cursor 1M rows: heap growth ${growthMb.toFixed(1)} MB (peak over the start)`);
    // All 1M rows held at once take well over 100 MB; one batch of 5000 a few hundred KB.
    expect(growthMb).toBeLessThan(40);
  }, 60_000);
});

describe('session.cursor', () => {
  it('opens inside the session transaction and ends with it', async () => {
    await using session = await newSession(engines.shared);
    const cur = await session.cursor<{ n: number }>(SERIES, [5], { batchSize: 2 });
    expect(session.inTransaction).toBe(true);
    expect((await cur.fetch(2)).map((row) => row.n)).toEqual([1, 2]);
    const rest: number[] = [];
    for await (const row of cur) rest.push(row.n);
    expect(rest).toEqual([3, 4, 5]);
    const cur2 = await session.cursor(SERIES, [5]);
    await session.commit();
    const error = await rejection(cur2.fetch(1), InterfaceError);
    expect(error.message).toBe(`cannot fetch: ${ENDED}`);
  });
});
