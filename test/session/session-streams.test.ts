import { describe, expect, it } from 'vitest';
import { InterfaceError, newSession } from '../../src/index.js';
import { useTestDatabase } from '../support/test-database.js';
import { useEngines } from '../support/engine-fixture.js';
import { committedUsers } from '../support/observers.js';
import { EMPTY_USERS } from '../support/sample-tables.js';
import { rejection } from '../support/rejection.js';

const db = useTestDatabase();
const engines = useEngines(db, {
  defaults: { minSize: 1, maxSize: 5 },
  shared: true,
  reset: EMPTY_USERS,
});

const BUSY =
  'cannot execute: another operation is in progress on this connection ' +
  '(a stream is open; finish or leave its loop first)';

async function text(chunks: AsyncIterable<Buffer>): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return Buffer.concat(parts).toString('utf8');
}

describe('Session.stream', () => {
  it('sends nothing until iterated, then begins and streams inside the session transaction', async () => {
    await using session = await newSession(engines.shared);
    const rows = session.stream(session.db.selectFrom('users').select('name').orderBy('id'), {
      batchSize: 1,
    });
    expect(engines.shared.captured.sql).toEqual([]);
    expect(session.connected).toBe(false);
    await session.execute("insert into users (name) values ('ann'), ('bob')");
    const names: (string | null)[] = [];
    for await (const row of rows) names.push(row.name);
    // Uncommitted rows of the session's own transaction are visible to the stream.
    expect(names).toEqual(['ann', 'bob']);
    expect(engines.shared.captured.sql.slice(0, 2)).toEqual([
      'BEGIN',
      "insert into users (name) values ('ann'), ('bob')",
    ]);
    expect(session.inTransaction).toBe(true);
  });

  it('takes the connection and begins lazily when the stream is the first operation', async () => {
    await using session = await newSession(engines.shared);
    const values = await session.stream('select n from generate_series(1, $1) n', [3]).toArray();
    expect(values.map((row) => row.n)).toEqual([1, 2, 3]);
    expect(engines.shared.captured.sql[0]).toBe('BEGIN');
    expect(session.inTransaction).toBe(true);
  });

  it('refuses other operations on the session while a stream is open, as a connection does', async () => {
    await using session = await newSession(engines.shared);
    let error: InterfaceError | undefined;
    for await (const row of session.stream('select n from generate_series(1, 3) n')) {
      void row;
      error ??= await rejection(session.execute('select 1'), InterfaceError);
    }
    expect(error?.message).toBe(BUSY);
    expect(await session.scalar('select 2')).toBe(2);
  });
});

describe('Session.commit during a stream', () => {
  it('is refused while the stream is open and commits the work after the loop', async () => {
    await using session = await newSession(engines.shared);
    await session.execute("insert into users (name) values ('ann')");
    let refused: InterfaceError | undefined;
    for await (const row of session.stream('select 1 as n')) {
      void row;
      refused = await rejection(session.commit(), InterfaceError);
    }
    expect(refused?.message).toBe(BUSY);
    await session.commit();
    expect(await committedUsers(db.url)).toEqual(['ann']);
  });
});

describe('Session.copyTo', () => {
  it('copies out what the session transaction sees, beginning it lazily', async () => {
    await using session = await newSession(engines.shared);
    const out = session.copyTo('users', { columns: ['name'] });
    await session.execute("insert into users (name) values ('ann')");
    expect(await text(out)).toBe('ann\n');
    expect(engines.shared.captured.sql[0]).toBe('BEGIN');
    expect(session.inTransaction).toBe(true);
  });

  it('refuses a statement that does not copy TO STDOUT at once with TypeError', async () => {
    await using session = await newSession(engines.shared);
    expect(() => session.copyTo('COPY users FROM STDIN')).toThrow(TypeError);
    expect(session.connected).toBe(false);
  });

  it('refuses other operations while the copy is being read', async () => {
    await using session = await newSession(engines.shared);
    let error: InterfaceError | undefined;
    for await (const chunk of session.copyTo('COPY (select 1) TO STDOUT')) {
      void chunk;
      error ??= await rejection(session.execute('select 1'), InterfaceError);
    }
    expect(error?.message).toBe(BUSY);
  });
});

describe("Kysely's .stream() on session.db", () => {
  it('streams inside the session transaction, begun lazily, through a cursor', async () => {
    await using session = await newSession(engines.shared);
    await session.execute("insert into users (name) values ('ann'), ('bob'), ('cy')");
    const names: (string | null)[] = [];
    for await (const row of session.db.selectFrom('users').select('name').orderBy('id').stream(2)) {
      names.push(row.name);
    }
    expect(names).toEqual(['ann', 'bob', 'cy']);
    expect(engines.shared.captured.sql[0]).toBe('BEGIN');
    expect(session.inTransaction).toBe(true);
    await session.rollback();
    expect(await committedUsers(db.url)).toEqual([]);
  });

  it('refuses another statement on the session while the Kysely stream is open', async () => {
    await using session = await newSession(engines.shared);
    await session.execute("insert into users (name) values ('ann'), ('bob')");
    let error: InterfaceError | undefined;
    for await (const _row of session.db.selectFrom('users').select('name').stream(1)) {
      error ??= await rejection(session.execute('select 1'), InterfaceError);
    }
    expect(error?.message).toBe(BUSY);
    expect(await session.scalar('select count(*)::int from users')).toBe(2);
  });
});
