import { describe, expect, it } from 'vitest';
import {
  DataError,
  InterfaceError,
  newSession,
  PreparedStatement,
  ProgrammingError,
  ResourceClosedError,
  StaleStatementError,
} from '../../src/index.js';
import { useEngines } from '../support/engine-fixture.js';
import { EMPTY_USERS } from '../support/sample-tables.js';
import { observe, useTestDatabase, withClient } from '../support/test-database.js';
import { rejection } from '../support/rejection.js';

const db = useTestDatabase();
const engines = useEngines(db, { defaults: { minSize: 1, maxSize: 2 }, shared: true, reset: EMPTY_USERS });

const BY_ID = 'select id, name from users where id > $1 order by id';
const seed = () => observe(db.url, "insert into users (name) values ('ann'), ('bob'), ('cy') returning id");
const PREPARED = "select name, statement from pg_prepared_statements where name like 'pgsa_p%'";

describe('conn.prepare', () => {
  it('prepares a named statement and describes its columns and parameters', async () => {
    await using conn = await engines.shared.acquire();
    await using stmt = await conn.prepare<{ id: number; name: string | null }>(BY_ID);
    expect(stmt).toBeInstanceOf(PreparedStatement);
    expect(stmt.sql).toBe(BY_ID);
    expect(stmt.columns).toEqual([
      { name: 'id', typeOid: 23, typeName: 'int4' },
      { name: 'name', typeOid: 1043, typeName: 'varchar' },
    ]);
    expect(stmt.parameterTypes).toEqual([{ typeOid: 23, typeName: 'int4' }]);
    const onServer = await conn.fetch(PREPARED);
    expect(onServer.map((row) => row.statement)).toEqual([BY_ID]);
  });

  it('fetch, fetchRow, fetchVal and execute run it with parameters', async () => {
    await seed();
    await using conn = await engines.shared.acquire();
    await using stmt = await conn.prepare<{ id: number; name: string | null }>(BY_ID);
    expect((await stmt.fetch(1)).map((row) => row.toJSON())).toEqual([
      { id: 2, name: 'bob' },
      { id: 3, name: 'cy' },
    ]);
    expect((await stmt.fetchRow(2))?.name).toBe('cy');
    expect(await stmt.fetchRow(3)).toBeNull();
    expect(await stmt.fetchVal(0)).toBe(1);
    const result = await stmt.execute(0);
    expect(result.rowCount).toBe(3);
    // Still one server-side statement: executions do not prepare again.
    expect((await conn.fetch(PREPARED)).length).toBe(1);
  });

  it('runs a builder with its row type, taking the builder’s own parameters by default', async () => {
    await seed();
    await using conn = await engines.shared.acquire();
    await using stmt = await conn.prepare(conn.db.selectFrom('users').select('name').where('id', '=', 2));
    expect((await stmt.fetchRow())?.name).toBe('bob');
    expect((await stmt.fetchRow(3))?.name).toBe('cy');
  });

  it('executeMany runs it once per set, atomically', async () => {
    await using conn = await engines.shared.acquire();
    await using insert = await conn.prepare('insert into users (name) values ($1)');
    expect(await insert.executeMany([['a'], ['b'], ['c']])).toBe(3);
    expect(await insert.executeMany([])).toBe(0);
    expect(await observe(db.url, 'select name from users order by id')).toEqual([
      { name: 'a' },
      { name: 'b' },
      { name: 'c' },
    ]);
  });

  it('stream reads its rows in batches', async () => {
    await using conn = await engines.shared.acquire();
    await using stmt = await conn.prepare<{ n: number }>('select n from generate_series(1, $1::int) n');
    const seen: number[] = [];
    for await (const row of stmt.stream([250], { batchSize: 100 })) seen.push(row.n);
    expect(seen.length).toBe(250);
    expect(seen.at(-1)).toBe(250);
  });

  it('close() deallocates it on the server and later use is an InterfaceError', async () => {
    await using conn = await engines.shared.acquire();
    const stmt = await conn.prepare(BY_ID);
    await stmt.close();
    await stmt.close();
    expect(await conn.fetch(PREPARED)).toEqual([]);
    const error = await rejection(stmt.fetch(1), InterfaceError);
    expect(error.message).toBe(`cannot fetch: the prepared statement was closed (prepare it again): ${BY_ID}`);
  });

  it('await using closes it', async () => {
    await using conn = await engines.shared.acquire();
    {
      await using stmt = await conn.prepare(BY_ID);
      expect(stmt.closed).toBe(false);
    }
    expect(await conn.fetch(PREPARED)).toEqual([]);
  });

  it('after its connection was released it is an InterfaceError, and the server statement is dropped', async () => {
    const engine = await engines.make({ minSize: 1, maxSize: 1, pipelineConnections: 0 });
    const conn = await engine.acquire();
    const pid = conn.backendPid;
    const stmt = await conn.prepare(BY_ID);
    await conn.close();
    const error = await rejection(stmt.fetchVal(1), ResourceClosedError);
    expect(error).toBeInstanceOf(InterfaceError);
    expect(error.message).toBe(
      `cannot fetchVal: the prepared statement's connection was released; prepare it again on a connection you hold: ${BY_ID}`,
    );
    await using again = await engine.acquire();
    expect(again.backendPid).toBe(pid);
    // The next statement of the pooled client deallocates it first.
    expect(await again.fetch(PREPARED, [])).toEqual([]);
    expect(await again.fetch(`${PREPARED} and $1::int = 1`, [1])).toEqual([]);
  });

  it('is prepared again transparently after DISCARD ALL outside a transaction', async () => {
    await seed();
    await using conn = await engines.shared.acquire();
    await using stmt = await conn.prepare(BY_ID);
    await conn.execute('DISCARD ALL');
    expect((await stmt.fetch(1)).length).toBe(2);
  });

  it('is prepared again after a schema change outside a transaction', async () => {
    await withClient(db.url, (client) => client.query('drop table if exists shifting; create table shifting (id int)'));
    await using conn = await engines.shared.acquire();
    await conn.execute('insert into shifting values (1)');
    await using stmt = await conn.prepare('select * from shifting where id = $1');
    expect((await stmt.fetchRow(1))?.toJSON()).toEqual({ id: 1 });
    await withClient(db.url, (client) => client.query("alter table shifting add column label text default 'x'"));
    expect((await stmt.fetchRow(1))?.toJSON()).toEqual({ id: 1, label: 'x' });
  });

  it('dropped inside a transaction, it is a StaleStatementError', async () => {
    await using conn = await engines.shared.acquire();
    await using stmt = await conn.prepare(BY_ID);
    const tx = await conn.begin();
    await conn.execute('DEALLOCATE ALL');
    const error = await rejection(stmt.fetch(1), StaleStatementError);
    expect(error.message).toContain('the transaction is aborted: roll it back and run it again');
    await tx.rollback();
    expect(await stmt.fetch(1)).toEqual([]);
  });

  it('a wrong number of parameters is a ProgrammingError naming the SQL, nothing sent', async () => {
    await using conn = await engines.shared.acquire();
    await using stmt = await conn.prepare(BY_ID);
    const error = await rejection(stmt.fetch(1, 2), ProgrammingError);
    expect(error.message).toBe(`the prepared statement takes 1 parameter, got 2: ${BY_ID}`);
    await rejection(stmt.execute(), ProgrammingError);
    await rejection(stmt.executeMany([[1], []]), ProgrammingError);
  });

  it('a parameter of the wrong type is a DataError naming the SQL', async () => {
    await using conn = await engines.shared.acquire();
    await using stmt = await conn.prepare(BY_ID);
    const error = await rejection(stmt.fetch('abc'), DataError);
    expect(error.sqlstate).toBe('22P02');
    expect(error.message).toBe(`invalid input syntax for type integer: "abc" (in prepared statement: ${BY_ID})`);
  });

  it('a statement the server cannot prepare is a ProgrammingError and leaves nothing behind', async () => {
    await using conn = await engines.shared.acquire();
    const error = await rejection(conn.prepare('select * from no_such_table where id = $1'), ProgrammingError);
    expect(error.sqlstate).toBe('42P01');
    expect(await conn.fetch(PREPARED)).toEqual([]);
    expect(await conn.fetchVal('select $1::int', [7])).toBe(7);
  });
});

describe('session.prepare', () => {
  it('runs inside the session transaction, committed by commit()', async () => {
    const engine = engines.shared;
    await using session = await newSession(engine);
    const insert = await session.prepare('insert into users (name) values ($1) returning id');
    expect(await insert.fetchVal('ann')).toBe(1);
    expect(session.inTransaction).toBe(true);
    expect(await observe(db.url, 'select name from users')).toEqual([]);
    await session.commit();
    expect(await observe(db.url, 'select name from users')).toEqual([{ name: 'ann' }]);
    // The next call begins the session's next transaction.
    expect(await insert.fetchVal('bob')).toBe(2);
    await session.rollback();
    expect(await observe(db.url, 'select name from users')).toEqual([{ name: 'ann' }]);
    await insert.close();
  });

  it('after the session closed it is refused', async () => {
    const session = await newSession(engines.shared);
    const stmt = await session.prepare(BY_ID);
    await session.close();
    const error = await rejection(stmt.fetch(1), InterfaceError);
    expect(error.message).toBe('cannot fetch: the session is closed');
  });
});
