import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { OperationalError } from '../../src/index.js';
import { isConnectionFailure, translateError } from '../../src/errors/translate-error.js';
import { socketOf } from '../../src/protocol/pg-internals.js';
import { useTestDatabase } from '../support/test-database.js';
import { rejection } from '../support/rejection.js';
import { closedPort, silentServer } from '../support/loopback-servers.js';

// A failed connection is recognised by the socket error's code, or by node-postgres' own
// (code-less, untranslated) messages. Each case is provoked for real here, so a pg release that
// words them differently fails this file instead of leaving broken connections in the pool.

const db = useTestDatabase();
const clients: pg.Client[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.end().catch(() => {})));
});

function client(config: pg.ClientConfig = {}): pg.Client {
  const made = new pg.Client({ connectionString: db.url, ...config });
  made.on('error', () => {});
  clients.push(made);
  return made;
}

/** What `promise` rejects with, checked to be a connection failure pgsa translates. */
async function connectionFailure(promise: Promise<unknown>): Promise<Error> {
  const error = await rejection(promise, Error);
  expect(isConnectionFailure(error)).toBe(true);
  expect(translateError(error)).toBeInstanceOf(OperationalError);
  return error;
}

describe('a lost or failed connection', () => {
  it('is recognised when the socket closes under a running statement', async () => {
    const lost = client();
    await lost.connect();
    const running = lost.query('select pg_sleep(5)');
    socketOf(lost).destroy();
    expect((await connectionFailure(running)).message).toBe('Connection terminated unexpectedly');
  });

  it('is recognised for a statement sent after the connection broke', async () => {
    const lost = client();
    await lost.connect();
    const ended = new Promise((resolve) => lost.once('end', resolve));
    socketOf(lost).destroy();
    await ended;
    expect((await connectionFailure(lost.query('select 1'))).message).toBe(
      'Client has encountered a connection error and is not queryable',
    );
  });

  it('is recognised for a statement running while end() closes the connection', async () => {
    const ending = client();
    await ending.connect();
    const running = ending.query('select pg_sleep(5)');
    await ending.end();
    expect((await connectionFailure(running)).message).toBe('Connection terminated');
  });

  it('is recognised for a statement sent after end()', async () => {
    const closed = client();
    await closed.connect();
    await closed.end();
    expect((await connectionFailure(closed.query('select 1'))).message).toBe(
      'Client was closed and is not queryable',
    );
  });

  it('is recognised when a statement outlives query_timeout', async () => {
    const slow = client({ query_timeout: 50 });
    await slow.connect();
    expect((await connectionFailure(slow.query('select pg_sleep(2)'))).message).toBe('Query read timeout');
  });

  it('is recognised when connecting outlives connectionTimeoutMillis', async () => {
    const silent = await silentServer();
    try {
      const port = (silent.address() as { port: number }).port;
      const connecting = client({ connectionString: undefined, host: '127.0.0.1', port, connectionTimeoutMillis: 50 });
      expect((await connectionFailure(connecting.connect())).message).toBe('timeout expired');
    } finally {
      silent.close();
    }
  });

  it('is recognised by code when the server refuses the connection', async () => {
    const refused = client({ connectionString: undefined, host: '127.0.0.1', port: await closedPort() });
    expect(await connectionFailure(refused.connect())).toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('is not recognised from a message that merely mentions a timeout or a connection', () => {
    expect(isConnectionFailure(new Error('lock timeout while building the report'))).toBe(false);
    expect(isConnectionFailure(new Error('Connection terminated by the user'))).toBe(false);
    expect(isConnectionFailure(Object.assign(new Error('x'), { code: 'ERR_INVALID_ARG_TYPE' }))).toBe(false);
  });
});


