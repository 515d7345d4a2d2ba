import { sql } from 'kysely';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  CheckViolationError,
  DataError,
  ForeignKeyViolationError,
  IntegrityError,
  NotNullViolationError,
  ProgrammingError,
  ResourceClosedError,
  type SAConnection,
  UniqueViolationError,
} from '../../src/index.js';
import type { Database } from '../../schema/database.js';
import { observe, useTestDatabase, withClient } from '../support/test-database.js';
import { useEngines } from '../support/engine-fixture.js';
import { countRows } from '../support/observers.js';
import { rejection } from '../support/rejection.js';

const db = useTestDatabase();
const engines = useEngines(db, { shared: true });

beforeAll(async () => {
  await withClient(db.url, async (client) => {
    await client.query(`
      create table accounts (
        id      int primary key,
        email   text not null,
        age     int,
        user_id int,
        constraint accounts_email_key unique (email),
        constraint accounts_age_check check (age >= 0),
        constraint accounts_user_id_fkey foreign key (user_id) references users (id)
      );
      insert into users (id, name) values (1, 'ann');
      insert into accounts (id, email, age, user_id) values (1, 'ann@example.com', 30, 1);
    `);
  });
});

let conn: SAConnection<Database>;
beforeEach(async (context) => {
  conn = await engines.shared.acquire();
  context.onTestFinished(() => conn.close());
});

/** The rejection of `promise` (fails the test when it resolves). */
describe('server errors map to typed errors with the server fields', () => {
  it('a syntax error is a ProgrammingError with the position of the offending token', async () => {
    const error = await rejection(conn.execute('select id frm users'), ProgrammingError);
    expect(error).toMatchObject({
      message: 'syntax error at or near "users"',
      sqlstate: '42601',
      position: 15,
    });
    expect((error as ProgrammingError).cause).toBeInstanceOf(Error);
  });

  it('an unknown table is a ProgrammingError (42P01, by its class 42)', async () => {
    const error = await rejection(conn.execute('select * from no_such_table'), ProgrammingError);
    expect(error).toMatchObject({
      message: 'relation "no_such_table" does not exist',
      sqlstate: '42P01',
      position: 15,
    });
  });

  it('a duplicate key is a UniqueViolationError naming constraint, table and detail', async () => {
    const error = await rejection(
      conn.execute(
        conn.db.insertInto('accounts' as never).values({ id: 2, email: 'ann@example.com' } as never),
      ),
      UniqueViolationError,
    );
    expect(error).toBeInstanceOf(IntegrityError);
    expect(error).toMatchObject({
      message: 'duplicate key value violates unique constraint "accounts_email_key"',
      sqlstate: '23505',
      schema: 'public',
      table: 'accounts',
      constraint: 'accounts_email_key',
      detail: 'Key (email)=(ann@example.com) already exists.',
    });
    expect(await countRows(db.url, 'accounts')).toBe(1);
  });

  it('a missing referenced row is a ForeignKeyViolationError naming the constraint', async () => {
    const error = await rejection(
      conn.execute('insert into accounts (id, email, user_id) values ($1, $2, $3)', [3, 'b@x', 99]),
      ForeignKeyViolationError,
    );
    expect(error).toMatchObject({
      message:
        'insert or update on table "accounts" violates foreign key constraint "accounts_user_id_fkey"',
      sqlstate: '23503',
      table: 'accounts',
      constraint: 'accounts_user_id_fkey',
      detail: 'Key (user_id)=(99) is not present in table "users".',
    });
    expect(await countRows(db.url, 'accounts')).toBe(1);
  });

  it('a null in a not-null column is a NotNullViolationError naming table and column', async () => {
    const error = await rejection(
      conn.execute('insert into accounts (id, email) values ($1, $2)', [4, null]),
      NotNullViolationError,
    );
    expect(error).toMatchObject({
      message: 'null value in column "email" of relation "accounts" violates not-null constraint',
      sqlstate: '23502',
      table: 'accounts',
      column: 'email',
    });
    expect(await countRows(db.url, 'accounts')).toBe(1);
  });

  it('a failed check is a CheckViolationError naming the constraint', async () => {
    const error = await rejection(
      conn.execute('update accounts set age = $1 where id = $2', [-5, 1]),
      CheckViolationError,
    );
    expect(error).toMatchObject({
      message: 'new row for relation "accounts" violates check constraint "accounts_age_check"',
      sqlstate: '23514',
      table: 'accounts',
      constraint: 'accounts_age_check',
    });
    expect(await observe(db.url, 'select age from accounts where id = 1')).toEqual([{ age: 30 }]);
  });

  it('division by zero is a DataError', async () => {
    const error = await rejection(conn.execute('select 1 / 0'), DataError);
    expect(error).toMatchObject({ message: 'division by zero', sqlstate: '22012' });
  });

  it('a parameter of the wrong type is a DataError', async () => {
    const error = await rejection(conn.execute('select * from users where id = $1', ['abc']), DataError);
    expect(error).toMatchObject({
      message: 'invalid input syntax for type integer: "abc"',
      sqlstate: '22P02',
    });
  });

  it('a parameter node-postgres cannot serialize is a ProgrammingError; nothing is sent', async () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const error = await rejection(conn.execute('select $1::jsonb', [circular]), ProgrammingError);
    expect(error.message).toMatch(/^cannot send a parameter: Converting circular structure to JSON/);
    expect((error as ProgrammingError).sqlstate).toBeUndefined();
    expect(await conn.scalar('select 5')).toBe(5);
  });

  it('too few parameters is a ProgrammingError from the server', async () => {
    const error = await rejection(conn.execute('select $1::int + $2::int', [1]), ProgrammingError);
    // The statement is named when the prepared-statement cache holds it, unnamed otherwise.
    expect(error).toMatchObject({
      message: expect.stringMatching(
        /^bind message supplies 1 parameters, but prepared statement "[\w]*" requires 2$/,
      ),
      sqlstate: '08P01',
    });
  });

  it('a placeholder without any parameter is a ProgrammingError', async () => {
    const error = await rejection(conn.execute('select $1::int'), ProgrammingError);
    expect(error).toMatchObject({ message: 'there is no parameter $1', sqlstate: '42P02' });
  });

  it('the connection stays usable after a statement failed outside a transaction', async () => {
    await rejection(conn.execute('select 1 / 0'), DataError);
    expect(await conn.scalar('select 41 + 1')).toBe(42);
  });

  it('Kysely queries through conn.db raise the same typed errors', async () => {
    const error = await rejection(
      conn.db.selectFrom('users').select(sql<number>`1 / 0`.as('x')).execute(),
      DataError,
    );
    expect(error).toMatchObject({ message: 'division by zero', sqlstate: '22012' });
  });
});

describe('error stacks reach the caller', () => {
  it('a server error thrown by execute names the user function that awaited it', async () => {
    async function loadAccountsFromUserCode(): Promise<number> {
      const result = await conn.execute('select 1 / 0');
      return result.rowCount;
    }
    const error = await rejection(loadAccountsFromUserCode(), DataError);
    expect(error.stack).toContain('loadAccountsFromUserCode');
  });

  it('a server error thrown through conn.db names the user function that awaited it', async () => {
    async function countFromKyselyUserCode(): Promise<number> {
      const rows = await conn.db.selectFrom('users').select(sql<number>`1 / 0`.as('x')).execute();
      return rows.length;
    }
    const error = await rejection(countFromKyselyUserCode(), DataError);
    expect(error.stack).toContain('countFromKyselyUserCode');
  });
});

describe('a closed connection', () => {
  it('refuses execute with ResourceClosedError before sending anything', async () => {
    await conn.close();
    const error = await rejection(conn.execute('select 1'), ResourceClosedError);
    expect(error.message).toBe('cannot execute: the connection is closed');
  });

  it('refuses queries through conn.db with ResourceClosedError', async () => {
    await conn.close();
    const error = await rejection(conn.db.selectFrom('users').selectAll().execute(), ResourceClosedError);
    expect(error.message).toBe('cannot execute: the connection is closed');
  });

  it('can be closed twice without error, returning to the pool once', async () => {
    const before = engines.shared.stats();
    await conn.close();
    await conn.close();
    expect(conn.closed).toBe(true);
    expect(engines.shared.stats()).toMatchObject({ inUse: before.inUse - 1, free: before.free + 1 });
  });
});
