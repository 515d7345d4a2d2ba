import { createServer, type Server, type Socket, connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DataError,
  ForeignKeyViolationError,
  InterfaceError,
  newSession,
} from '../../src/index.js';
import { useTestDatabase } from '../support/test-database.js';
import { type TestEngine, useEngines } from '../support/engine-fixture.js';
import { committedUsers } from '../support/observers.js';
import { DEFERRED_CHILDREN } from '../support/sample-tables.js';
import { rejection } from '../support/rejection.js';

const db = useTestDatabase();
const DELAY_MS = 30;
let proxy: Server;
const sockets = new Set<Socket>();
let engine: TestEngine;

/**
 * A TCP proxy on 127.0.0.1 that delivers each backend ErrorResponse at once but holds what
 * follows it (the ReadyForQuery with the new transaction status) for DELAY_MS: the packet
 * split node-postgres can see under load, made deterministic.
 */
function splittingProxy(target: URL): Server {
  return createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    sockets.add(client).add(upstream);
    client.pipe(upstream);
    let pending = Buffer.alloc(0);
    let delivery = Promise.resolve();
    upstream.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      // Backend messages: a type byte, then an int32 length that counts itself.
      while (pending.length >= 5 && pending.length >= 1 + pending.readInt32BE(1)) {
        const size = 1 + pending.readInt32BE(1);
        const message = pending.subarray(0, size);
        pending = pending.subarray(size);
        const isError = message[0] === 0x45; // 'E'
        delivery = delivery.then(async () => {
          client.write(message);
          if (isError) await new Promise((resolve) => setTimeout(resolve, DELAY_MS));
        });
      }
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
}

beforeAll(async () => {
  const target = new URL(db.url);
  proxy = splittingProxy(target);
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const viaProxy = new URL(db.url);
  viaProxy.port = String((proxy.address() as AddressInfo).port);
  engine = await engines.make({ connectionString: viaProxy.toString(), minSize: 1, maxSize: 2 });
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => proxy.close(resolve));
});

// Registered after the proxy's hooks, so that after the file the engine is closed before the
// proxy and its sockets are.
const engines = useEngines(db, { setup: DEFERRED_CHILDREN });

describe('a session when the status after an error arrives late', () => {
  it('knows the transaction failed and refuses to commit it', async () => {
    await using session = await newSession(engine);
    await session.execute("insert into users (name) values ('ann')");
    expect((await rejection(session.execute('select 1 / 0'), DataError)).message).toContain('division by zero');
    const error = await rejection(session.commit(), InterfaceError);
    expect(error.message).toBe(
      'cannot commit: transaction is failed (a statement inside it raised an error: division by zero); ' +
        'it was rolled back',
    );
    expect(await committedUsers(db.url)).toEqual([]);
  });

  it('knows a refused commit ended the transaction', async () => {
    await using session = await newSession(engine);
    await session.execute('insert into children (parent_id) values (-1)');
    await rejection(session.commit(), ForeignKeyViolationError);
    expect(session.inTransaction).toBe(false);
    // The next query begins a new transaction instead of running outside one.
    await session.execute("insert into users (name) values ('bob')");
    expect(session.inTransaction).toBe(true);
    await session.rollback();
    expect(await committedUsers(db.url)).toEqual([]);
  });
});
