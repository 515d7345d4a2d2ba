import { beforeEach, describe, expect, it } from 'vitest';
import { ProgrammingError } from '../../src/index.js';
import { useEngines } from '../support/engine-fixture.js';
import { rejection } from '../support/rejection.js';
import { observe, useTestDatabase, withClient } from '../support/test-database.js';

// Issue 16, defect 4: a COPY statement given to copyFrom / copyTo must not run anything else.

const db = useTestDatabase();
interface Tables {
  items: { id: number };
  victim: { id: number };
}

const engines = useEngines<Tables>(db, { shared: { minSize: 1, maxSize: 2 } });
/** A table name as it would come from outside: any string. */
const outside = (name: string) => name as keyof Tables;

beforeEach(async () => {
  await withClient(db.url, async (client) => {
    await client.query('drop table if exists victim, items');
    await client.query('create table victim (id int)');
    await client.query('create table items (id int)');
  });
});

const victimExists = async () =>
  (await observe<{ t: string | null }>(db.url, "select to_regclass('victim')::text as t"))[0]?.t === 'victim';
const itemCount = async () => Number((await observe(db.url, 'select count(*) as n from items'))[0]?.n);

describe('copyFrom with a statement that carries a second one', () => {
  it('refuses it with a ProgrammingError and runs neither statement', async () => {
    await using conn = await engines.shared.acquire();
    const error = await rejection(
      conn.copyFrom('COPY items (id) FROM STDIN; DROP TABLE victim; --', []),
      ProgrammingError,
    );
    expect(error.sqlstate).toBe('42601');
    expect(error.message).toBe('cannot insert multiple commands into a prepared statement');
    expect(await victimExists()).toBe(true);
    expect(await itemCount()).toBe(0);
    expect(await conn.scalar('select 1')).toBe(1);
  });

  it('refuses it with raw data too, and on the engine', async () => {
    await rejection(
      engines.shared.copyFrom('COPY items (id) FROM STDIN; DROP TABLE victim', '1\n'),
      ProgrammingError,
    );
    expect(await victimExists()).toBe(true);
    expect(await itemCount()).toBe(0);
  });

  it('still runs one COPY … FROM STDIN statement, with a trailing semicolon and a ";" in a literal', async () => {
    await using conn = await engines.shared.acquire();
    expect(await conn.copyFrom("COPY items (id) FROM STDIN (FORMAT csv, DELIMITER ';');", '1\n2\n')).toBe(2);
    expect(await itemCount()).toBe(2);
  });
});

describe('copyTo with a statement that carries a second one', () => {
  it('refuses it with a ProgrammingError and runs neither statement', async () => {
    await using conn = await engines.shared.acquire();
    const reading = (async () => {
      for await (const chunk of conn.copyTo('COPY items TO STDOUT; DROP TABLE victim')) void chunk;
    })();
    const error = await rejection(reading, ProgrammingError);
    expect(error.sqlstate).toBe('42601');
    expect(await victimExists()).toBe(true);
  });
});

describe('copyFrom with a table name from outside', () => {
  it('takes it as one identifier: a name with SQL in it is a table that does not exist', async () => {
    await using conn = await engines.shared.acquire();
    const error = await rejection(conn.copyFrom(outside('items; DROP TABLE victim'), [[1]]), ProgrammingError);
    expect(error.sqlstate).toBe('42P01');
    expect(await victimExists()).toBe(true);
  });

  it('takes schema.table and quoted names', async () => {
    await using conn = await engines.shared.acquire();
    expect(await conn.copyFrom(outside('public.items'), [[1]])).toBe(1);
    expect(await conn.copyFrom(outside('"public"."items"'), [[2]])).toBe(1);
    expect(await itemCount()).toBe(2);
  });
});
