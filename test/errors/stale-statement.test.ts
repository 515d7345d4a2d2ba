import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { staleStatementReason } from '../../src/errors/stale-statement-error.js';
import { useTestDatabase } from '../support/test-database.js';
import { rejection } from '../support/rejection.js';

// The server's messages are translated (lc_messages), so a rejected cached statement is
// recognised by SQLSTATE and the ErrorResponse's routine. These tests provoke each case on the
// real server to pin the routine names, then show the message plays no part.

const db = useTestDatabase();
const clients: pg.Client[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.end()));
});

async function connected(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: db.url });
  clients.push(client);
  await client.connect();
  return client;
}

/** The server's error for a named statement whose result type changed under it. */
async function resultTypeChanged(): Promise<pg.DatabaseError> {
  const client = await connected();
  await client.query('create temporary table shifting (id int)');
  const statement = { name: 'pgsa_shifting', text: 'select * from shifting where id = $1', values: [1] };
  await client.query(statement);
  await client.query('alter table shifting add column extra text');
  return rejection(client.query(statement), pg.DatabaseError);
}

/** The server's error for a named statement that was deallocated behind pg's back. */
async function statementMissing(): Promise<pg.DatabaseError> {
  const client = await connected();
  const statement = { name: 'pgsa_dropped', text: 'select $1::int as n', values: [1] };
  await client.query(statement);
  await client.query('deallocate all');
  return rejection(client.query(statement), pg.DatabaseError);
}

describe('staleStatementReason', () => {
  it('recognises a changed result type: SQLSTATE 0A000 raised by RevalidateCachedQuery', async () => {
    const error = await resultTypeChanged();
    expect(error).toBeInstanceOf(pg.DatabaseError);
    expect(error).toMatchObject({ code: '0A000', routine: 'RevalidateCachedQuery' });
    expect(staleStatementReason(error)).toBe('result type changed');
  });

  it('recognises a missing statement: SQLSTATE 26000 raised by FetchPreparedStatement', async () => {
    const error = await statementMissing();
    expect(error).toBeInstanceOf(pg.DatabaseError);
    expect(error).toMatchObject({ code: '26000', routine: 'FetchPreparedStatement' });
    expect(staleStatementReason(error)).toBe('missing');
  });

  it('does not read the message, which the server translates', async () => {
    const changed = await resultTypeChanged();
    changed.message = 'el plan almacenado no debe cambiar el tipo de resultado';
    const missing = await statementMissing();
    missing.message = 'die vorbereitete Anweisung »pgsa_dropped« existiert nicht';
    expect(staleStatementReason(changed)).toBe('result type changed');
    expect(staleStatementReason(missing)).toBe('missing');
  });

  it('ignores another 0A000 error, even with the English message of a changed result type', async () => {
    const client = await connected();
    const error = await rejection(client.query('select * from elsewhere.public.users'), pg.DatabaseError);
    expect(error).toMatchObject({ code: '0A000' });
    expect(error.routine).not.toBe('RevalidateCachedQuery');
    error.message = 'cached plan must not change result type';
    expect(staleStatementReason(error)).toBeUndefined();
  });

  it('ignores errors that are not server errors', () => {
    expect(staleStatementReason(new Error('cached plan must not change result type'))).toBeUndefined();
    expect(staleStatementReason(undefined)).toBeUndefined();
    expect(staleStatementReason(null)).toBeUndefined();
  });
});
