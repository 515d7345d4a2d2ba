import { Readable } from 'node:stream';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  DataError,
  InterfaceError,
  newSession,
  ProgrammingError,
  QueryCanceledError,
  ResourceClosedError,
} from '../../src/index.js';
import { observe, useTestDatabase, withClient } from '../support/test-database.js';
import { useEngines } from '../support/engine-fixture.js';
import { rejection } from '../support/rejection.js';

const db = useTestDatabase();
const engines = useEngines(db, { shared: { minSize: 1, maxSize: 3 } });

beforeEach(async () => {
  await withClient(db.url, (client) =>
    client.query('truncate users, emails, typed_values restart identity cascade'),
  );
});

const names = async () =>
  (await observe<{ name: string | null }>(db.url, 'select name from users order by id')).map((row) => row.name);
const countUsers = async () => Number((await observe(db.url, 'select count(*) as n from users'))[0]?.n);

/** Rows 0..n-1 of (name) as an async source, failing with `failure` after `failAfter` rows. */
async function* asyncNames(n: number, failAfter?: number, failure?: Error): AsyncGenerator<string[]> {
  for (let i = 0; i < n; i++) {
    if (i === failAfter) throw failure;
    yield [`user ${i}`];
  }
}

describe('copyFrom(table, rows)', () => {
  it('copies rows into the named columns and returns how many', async () => {
    await using conn = await engines.shared.acquire();
    const copied = await conn.copyFrom(
      'users',
      [
        ['ann', new Date('1990-01-02T03:04:05Z')],
        ['bob', null],
      ],
      { columns: ['name', 'birthday'] },
    );
    expect(copied).toBe(2);
    const rows = await conn.execute(conn.db.selectFrom('users').select(['name', 'birthday']).orderBy('id'));
    expect(rows.fetchAll().map((row) => row.toJSON())).toEqual([
      { name: 'ann', birthday: new Date('1990-01-02T03:04:05Z') },
      { name: 'bob', birthday: null },
    ]);
  });

  it('stores every type the same as a parameterized INSERT would', async () => {
    await using conn = await engines.shared.acquire();
    const values = [
      JSON.stringify({ a: [1, 'two\tthree'], b: 'back\\slash' }),
      '12345.67',
      '9007199254740993',
      '6f1c2a4e-3b5d-4c7e-9f00-112233445566',
      new Date('2024-05-06T07:08:09.123Z'),
      '2024-05-06',
      ['plain', 'with space', 'quote"d', 'new\nline', null],
      Buffer.from([0, 1, 2, 254, 255]),
      true,
      'multi\nline\r\ttext \\N not null',
    ];
    const columns = ['doc', 'amount', 'big', 'uid', 'at', 'day', 'tags', 'blob', 'flag', 'note'] as const;
    await conn.execute(
      `insert into typed_values (${columns.join(', ')}) values (${columns.map((_, i) => `$${i + 1}`).join(', ')})`,
      values,
    );
    expect(await conn.copyFrom('typed_values', [values], { columns: [...columns] })).toBe(1);
    const rows = (await conn.execute(`select ${columns.join(', ')} from typed_values order by id`)).fetchAll();
    expect(rows).toHaveLength(2);
    expect(rows[1]?.toJSON()).toEqual(rows[0]?.toJSON());
    expect(rows[1]?.get('note')).toBe('multi\nline\r\ttext \\N not null');
  });

  it('copies 100,000 rows from an async source while the socket drains', async () => {
    await using conn = await engines.shared.acquire();
    expect(await conn.copyFrom('users', asyncNames(100_000), { columns: ['name'] })).toBe(100_000);
    expect(await countUsers()).toBe(100_000);
    expect(await conn.scalar("select count(*)::int from users where name = 'user 99999'")).toBe(1);
  });

  it('stores nothing when the server rejects a row, raising its typed error', async () => {
    await using conn = await engines.shared.acquire();
    await conn.execute("insert into users (name) values ('committed before')");
    const error = await rejection(
      conn.copyFrom('emails', [[1, 'a@example.com', 'true'], ['not a number', 'b@example.com', 'false']], {
        columns: ['user_id', 'email', 'private'],
      }),
      DataError,
    );
    expect(error).toMatchObject({ sqlstate: '22P02' });
    expect(error.message).toBe('invalid input syntax for type integer: "not a number"');
    expect(await observe(db.url, 'select count(*)::int as n from emails')).toEqual([{ n: 0 }]);
    expect(await names()).toEqual(['committed before']);
    expect(conn.inTransaction).toBe(false);
    expect(await conn.scalar('select 1')).toBe(1);
  });

  it("stores nothing when the source throws, and raises the source's own error", async () => {
    await using conn = await engines.shared.acquire();
    const failure = new Error('the upstream feed broke');
    const error = await rejection(conn.copyFrom('users', asyncNames(50_000, 30_000, failure), { columns: ['name'] }), Error);
    expect(error).toBe(failure);
    expect(await countUsers()).toBe(0);
    expect(conn.inTransaction).toBe(false);
    expect(await conn.scalar('select 2')).toBe(2);
  });

  it('rethrows a TypeError of the source itself untouched', async () => {
    await using conn = await engines.shared.acquire();
    const failure = new TypeError('a bug in the caller');
    const error = await rejection(conn.copyFrom('users', asyncNames(10, 5, failure), { columns: ['name'] }), TypeError);
    expect(error).toBe(failure);
    expect(await countUsers()).toBe(0);
  });

  it('cancel() stops a COPY that waits on its source with QueryCanceledError; nothing is stored', async () => {
    await using conn = await engines.shared.acquire();
    let release: () => void = () => {};
    const stalled = new Promise<void>((resolve) => (release = resolve));
    async function* waiting() {
      yield ['first'];
      await stalled;
      yield ['late'];
    }
    const copying = rejection(conn.copyFrom('users', waiting(), { columns: ['name'] }), QueryCanceledError);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await conn.cancel();
    const error = await copying;
    release();
    expect(error).toBeInstanceOf(QueryCanceledError);
    expect(error).toMatchObject({ sqlstate: '57014' });
    expect(await countUsers()).toBe(0);
    expect(await conn.scalar('select 4')).toBe(4);
  });

  it('refuses a row that is not an array with TypeError, storing nothing', async () => {
    await using conn = await engines.shared.acquire();
    const rows = [['ann'], 'bob'] as unknown as string[][];
    const error = await rejection(conn.copyFrom('users', rows, { columns: ['name'] }), TypeError);
    expect(error.message).toBe('copyFrom: row 1 is not an array');
    expect(await countUsers()).toBe(0);
  });

  it('raises ProgrammingError for a value that cannot be sent, storing nothing', async () => {
    await using conn = await engines.shared.acquire();
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const error = await rejection(
      conn.copyFrom('typed_values', [[circular]], { columns: ['doc'] }),
      ProgrammingError,
    );
    expect(error.message).toMatch(/^cannot send a parameter: Converting circular structure to JSON/);
    expect(await observe(db.url, 'select count(*)::int as n from typed_values')).toEqual([{ n: 0 }]);
  });

  it("raises the server's ProgrammingError for an unknown column", async () => {
    await using conn = await engines.shared.acquire();
    const columns = ['nickname'] as unknown as 'name'[];
    const error = await rejection(conn.copyFrom('users', [['x']], { columns }), ProgrammingError);
    expect(error).toMatchObject({ sqlstate: '42703', message: 'column "nickname" of relation "users" does not exist' });
  });

  it('is kept or dropped with the transaction it runs in', async () => {
    await using conn = await engines.shared.acquire();
    const tx = await conn.begin();
    await conn.copyFrom('users', [['in tx']], { columns: ['name'] });
    expect(await countUsers()).toBe(0);
    await tx.rollback();
    expect(await countUsers()).toBe(0);
    await conn.transaction(async () => {
      await conn.copyFrom('users', [['kept']], { columns: ['name'] });
    });
    expect(await names()).toEqual(['kept']);
  });

  it('fails the enclosing transaction when the COPY fails', async () => {
    await using conn = await engines.shared.acquire();
    const tx = await conn.begin();
    await conn.execute("insert into users (name) values ('before')");
    await rejection(conn.copyFrom('emails', [['x', 'y', 'z']], { columns: ['user_id', 'email', 'private'] }), DataError);
    await rejection(tx.commit(), InterfaceError);
    expect(await countUsers()).toBe(0);
  });

  it('raises ResourceClosedError on a closed connection', async () => {
    const conn = await engines.shared.acquire();
    await conn.close();
    const error = await rejection(conn.copyFrom('users', [['x']], { columns: ['name'] }), ResourceClosedError);
    expect(error.message).toBe('cannot execute: the connection is closed');
  });

  it('is cancelled by statementTimeoutMs while the source stalls; nothing is stored', async () => {
    await using conn = await engines.shared.acquire();
    async function* stalling() {
      yield ['first'];
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      yield ['late'];
    }
    const error = await rejection(
      conn.copyFrom('users', stalling(), { columns: ['name'], statementTimeoutMs: 200 }),
      QueryCanceledError,
    );
    expect(error.message).toBe('canceling statement: statementTimeoutMs of 200 ms exceeded');
    expect(await countUsers()).toBe(0);
    expect(await conn.scalar('select 3')).toBe(3);
  });
});

describe('copyFrom(statement, data)', () => {
  it('sends CSV text as is', async () => {
    await using conn = await engines.shared.acquire();
    const copied = await conn.copyFrom(
      'COPY users (name, birthday) FROM STDIN (FORMAT csv)',
      'ann,1990-01-02\n"b,ob",\n',
    );
    expect(copied).toBe(2);
    expect(await names()).toEqual(['ann', 'b,ob']);
  });

  it('takes chunks split anywhere, as strings or bytes, and Node streams', async () => {
    await using conn = await engines.shared.acquire();
    await conn.copyFrom('copy users (name) from stdin', ['an', Buffer.from('n\nbo'), 'b\n']);
    await conn.copyFrom('COPY users (name) FROM STDIN', Readable.from([Buffer.from('carl\n'), Buffer.from('dora\n')]));
    expect(await names()).toEqual(['ann', 'bob', 'carl', 'dora']);
  });

  it('refuses a statement that does not read from STDIN, and columns with a statement', async () => {
    await using conn = await engines.shared.acquire();
    expect(await rejection(conn.copyFrom('COPY users TO STDOUT', 'x'), TypeError)).toEqual(
      new TypeError('copyFrom takes a COPY … FROM STDIN statement, not COPY … TO'),
    );
    const withColumns = conn.copyFrom as (t: string, d: unknown, o: unknown) => Promise<number>;
    expect(await rejection(withColumns.call(conn, 'COPY users FROM STDIN', 'x', { columns: ['name'] }), TypeError)).toEqual(
      new TypeError('copyFrom: columns go with a table name, not with a COPY statement'),
    );
  });

  it('refuses chunks that are neither strings nor bytes', async () => {
    await using conn = await engines.shared.acquire();
    const error = await rejection(conn.copyFrom('COPY users (name) FROM STDIN', [42] as unknown as string[]), TypeError);
    expect(error.message).toBe('copyFrom: COPY data chunks must be strings or Uint8Arrays');
    expect(await countUsers()).toBe(0);
  });
});

describe('copyFrom on engines and sessions', () => {
  it('on the engine: copies on a pooled connection and releases it', async () => {
    const e = engines.shared;
    expect(await e.copyFrom('users', [['ann'], ['bob']], { columns: ['name'] })).toBe(2);
    expect(e.stats().inUse).toBe(0);
    expect(await names()).toEqual(['ann', 'bob']);
  });

  it('in a session: inside its transaction, visible once committed', async () => {
    await using session = await newSession(engines.shared);
    await session.copyFrom('users', [['ann']], { columns: ['name'] });
    expect(await countUsers()).toBe(0);
    await session.commit();
    expect(await names()).toEqual(['ann']);
  });
});
