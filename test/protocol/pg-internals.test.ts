import { EventEmitter } from 'node:events';
import { Socket } from 'node:net';
import pg from 'pg';
import Cursor from 'pg-cursor';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  backendProcessId,
  type DataRowMessage,
  cancelKeys,
  cursorState,
  forgetParsedStatement,
  forgetSubmittedStatement,
  isEnding,
  isReadyForQuery,
  isStatementParsed,
  markStatementSubmitted,
  onNextReadyForQuery,
  onParameterDescription,
  onParameterStatus,
  onServerError,
  parseRowsRaw,
  parsesRowsRaw,
  PgProtocolParser,
  type ServerErrorMessage,
  prepareValue,
  type ProtocolConnection,
  protocolOf,
  QueryBase,
  type QueryCallback,
  socketOf,
  submittedOn,
  whenReadyForQuery,
} from '../../src/protocol/pg-internals.js';
import { useTestDatabase } from '../support/test-database.js';
import { rejection } from '../support/rejection.js';

// Every private or undocumented part of pg and pg-cursor that src/protocol/pg-internals.ts
// reaches, checked against the installed versions and a real server: an incompatible pg
// release fails here rather than somewhere in pgsa at run time.

const db = useTestDatabase();
const clients: pg.Client[] = [];

async function connected(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: db.url });
  clients.push(client);
  await client.connect();
  return client;
}

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.end().catch(() => {})));
});

/** What a query of pgsa's kind (a `QueryBase` subclass) receives from pg's client. */
interface Received {
  submittedOn?: unknown;
  rowDescription?: unknown;
  dataRows: unknown[];
  commandComplete?: unknown;
  copyInResponse: number;
  copyData: unknown[];
  error?: Error;
}

/**
 * A minimal protocol query: `send` writes the messages through pg's protocol connection;
 * everything pg's client hands back is recorded. The query settles on ReadyForQuery, or on the
 * server's error (pg drops a failed query as its active one: ReadyForQuery goes to nobody).
 */
function run(
  client: pg.Client,
  text: string,
  send: (protocol: ProtocolConnection, query: { name: string | undefined; text: string }) => void,
  onCopyIn?: (protocol: ProtocolConnection) => void,
  name?: string,
): Promise<Received> {
  const received: Received = { dataRows: [], copyInResponse: 0, copyData: [] };
  return new Promise((resolve) => {
    class Recorder extends QueryBase {
      #protocol: ProtocolConnection | undefined;
      submit(connection: unknown): Error | null {
        received.submittedOn = connection;
        this.#protocol = submittedOn(connection);
        send(this.#protocol, this);
        return null;
      }
      handleRowDescription(message: unknown): void {
        received.rowDescription = message;
      }
      handleDataRow(message: unknown): void {
        received.dataRows.push(message);
      }
      handleCommandComplete(message: unknown): void {
        received.commandComplete = message;
      }
      handleEmptyQuery(): void {}
      handleCopyInResponse(): void {
        received.copyInResponse++;
        onCopyIn?.(this.#protocol as ProtocolConnection);
      }
      handleCopyData(message: { chunk: Buffer }): void {
        // pg's parser reuses its buffer: keep a copy.
        received.copyData.push({ chunk: Buffer.from(message.chunk) });
      }
      handleError(error: Error): void {
        received.error = error;
        (this.callback as QueryCallback)(error);
      }
      handleReadyForQuery(): void {
        (this.callback as QueryCallback)(null);
      }
    }
    const query = new Recorder(text);
    query.name = name;
    query.callback = () => resolve(received);
    client.query(query as unknown as pg.Submittable);
  });
}

describe('the client', () => {
  it('exposes the backend process id once connected', async () => {
    const client = new pg.Client({ connectionString: db.url });
    expect(backendProcessId(client)).toBeNull();
    clients.push(client);
    await client.connect();
    const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
    expect(backendProcessId(client)).toBe(rows[0]?.pid);
  });

  it('exposes the backend key and the server address for a cancel request', async () => {
    const client = new pg.Client({ connectionString: db.url });
    expect(cancelKeys(client)).toBeUndefined();
    clients.push(client);
    await client.connect();
    const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
    const keys = cancelKeys(client);
    const url = new URL(db.url);
    expect(keys).toEqual({
      pid: rows[0]?.pid,
      key: expect.any(Number) as number,
      host: client.host,
      port: Number(url.port || 5432),
    });
    expect(Number.isInteger(keys?.key)).toBe(true);
    expect(client.host).toBe(decodeURIComponent(url.hostname));
  });

  it('reports whether it waits for ReadyForQuery', async () => {
    const client = await connected();
    expect(isReadyForQuery(client)).toBe(true);
    const running = client.query('select pg_sleep(0.05)');
    expect(isReadyForQuery(client)).toBe(false);
    await running;
    expect(isReadyForQuery(client)).toBe(true);
  });

  it('calls a ReadyForQuery listener after the transaction status is updated', async () => {
    const client = await connected();
    const seen = new Promise<string | null>((resolve) =>
      onNextReadyForQuery(client, () => resolve(client.getTransactionStatus())),
    );
    const begun = client.query('begin');
    expect(await seen).toBe('T');
    await begun;
    await client.query('rollback');
  });

  it('calls a ReadyForQuery listener when the connection ends', async () => {
    const client = await connected();
    const called = new Promise<boolean>((resolve) => onNextReadyForQuery(client, () => resolve(true)));
    await client.end();
    expect(await called).toBe(true);
  });

  it('waits for ReadyForQuery only while a query runs', async () => {
    const client = await connected();
    await whenReadyForQuery(client, 5_000);
    const running = client.query('select pg_sleep(0.1)');
    const started = Date.now();
    await whenReadyForQuery(client, 5_000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(80);
    expect(isReadyForQuery(client)).toBe(true);
    await running;
  });

  it('reports whether end() was called', async () => {
    const client = await connected();
    expect(isEnding(client)).toBe(false);
    const ending = client.end();
    expect(isEnding(client)).toBe(true);
    await ending;
  });
});

describe('the protocol connection', () => {
  it('is an EventEmitter with pg message writers and records of named statements', async () => {
    const client = await connected();
    const protocol = protocolOf(client);
    expect(protocol).toBeInstanceOf(EventEmitter);
    for (const writer of [
      'query',
      'parse',
      'describe',
      'bind',
      'execute',
      'sync',
      'sendCopyFromChunk',
      'endCopyFrom',
      'sendCopyFail',
    ] as const) {
      expect(typeof protocol[writer], writer).toBe('function');
    }
    expect(protocol.parsedStatements).toBeTypeOf('object');
    expect(protocol.submittedNamedStatements).toBeTypeOf('object');
  });

  it('runs on a net.Socket that can be corked, paused and destroyed', async () => {
    const client = await connected();
    const socket = socketOf(client);
    expect(socket).toBeInstanceOf(Socket);
    expect(socket.writableLength).toBeTypeOf('number');
    socket.cork();
    socket.uncork();
    socket.pause();
    socket.resume();
    expect(await client.query('select 1 as one')).toMatchObject({ rows: [{ one: 1 }] });
    const ended = new Promise((resolve) => client.once('end', resolve));
    client.on('error', () => {});
    socket.destroy();
    await ended;
  });

  it('records a named statement pg parsed, and forgets it on request', async () => {
    const client = await connected();
    const protocol = protocolOf(client);
    expect(isStatementParsed(protocol, 'pgsa_probe')).toBe(false);
    await client.query({ name: 'pgsa_probe', text: 'select 1' });
    expect(isStatementParsed(protocol, 'pgsa_probe')).toBe(true);
    forgetParsedStatement(client, 'pgsa_probe');
    expect(isStatementParsed(protocol, 'pgsa_probe')).toBe(false);
  });

  it('counts a statement marked as submitted as parsed', async () => {
    const client = await connected();
    const protocol = protocolOf(client);
    markStatementSubmitted(protocol, 'pgsa_marked', 'select 1');
    expect(isStatementParsed(protocol, 'pgsa_marked')).toBe(true);
    forgetParsedStatement(client, 'pgsa_marked');
    expect(isStatementParsed(protocol, 'pgsa_marked')).toBe(false);
  });

  it('forgets a statement marked as submitted whose Parse the server skipped', async () => {
    const client = await connected();
    const protocol = protocolOf(client);
    markStatementSubmitted(protocol, 'pgsa_skipped', 'select 1');
    forgetSubmittedStatement(protocol, 'pgsa_skipped');
    expect(isStatementParsed(protocol, 'pgsa_skipped')).toBe(false);
  });
});

describe('a QueryBase subclass run by pg', () => {
  it('keeps the text it was made with and takes a name and a callback', () => {
    const query = new QueryBase('select 1');
    expect(query.text).toBe('select 1');
    query.name = 'n';
    query.callback = () => {};
    expect(query).toBeInstanceOf(pg.Query);
  });

  it('is submitted on the protocol connection and receives the extended-protocol messages', async () => {
    const client = await connected();
    const received = await run(
      client,
      'select $1::int as n, null::text as t',
      (protocol, query) => {
        protocol.parse({ text: query.text, name: query.name ?? '', types: [] });
        protocol.describe({ type: 'S', name: query.name ?? '' });
        protocol.bind({ statement: query.name ?? '', values: ['7'] });
        protocol.execute();
        protocol.sync();
      },
      undefined,
      'pgsa_recorded',
    );
    expect(received.error).toBeUndefined();
    expect(received.submittedOn).toBe(protocolOf(client));
    const description = received.rowDescription as { fields: pg.FieldDef[] };
    expect(description.fields.map((field) => [field.name, field.dataTypeID])).toEqual([
      ['n', 23],
      ['t', 25],
    ]);
    expect(received.dataRows).toEqual([expect.objectContaining({ fields: ['7', null] })]);
    expect(received.commandComplete).toEqual(expect.objectContaining({ text: 'SELECT 1' }));
    // pg recorded the name on ParseComplete, from the query's `name` and `text`.
    expect(isStatementParsed(protocolOf(client), 'pgsa_recorded')).toBe(true);
    expect(protocolOf(client).parsedStatements.pgsa_recorded).toBe('select $1::int as n, null::text as t');
  });

  it('emits the ParameterDescription of a Describe on the protocol connection (pg ignores it)', async () => {
    const client = await connected();
    let parameterTypes: readonly number[] | undefined;
    let stop: (() => void) | undefined;
    await run(client, 'select $1::int8 + $2::int4', (protocol, query) => {
      stop = onParameterDescription(protocol, (message) => {
        parameterTypes = message.dataTypeIDs;
      });
      protocol.parse({ text: query.text, name: '', types: [] });
      protocol.describe({ type: 'S', name: '' });
      protocol.sync();
    });
    expect(parameterTypes).toEqual([20, 23]);
    stop?.();
    expect(protocolOf(client).listenerCount('parameterDescription')).toBe(0);
  });

  it('receives the server error, and the client runs the next query after ReadyForQuery', async () => {
    const client = await connected();
    const received = await run(client, 'select 1/0', (protocol, query) => protocol.query(query.text));
    expect(received.error).toMatchObject({ code: '22012', severity: 'ERROR' });
    // Usually in the same packet as the error, but not always: wait for it as pgsa does.
    await whenReadyForQuery(client, 5_000);
    expect(await client.query('select 2 as two')).toMatchObject({ rows: [{ two: 2 }] });
  });

  it('receives CopyData chunks of COPY TO STDOUT', async () => {
    const client = await connected();
    const received = await run(client, 'copy (select 1 union all select 2) to stdout', (protocol, query) =>
      protocol.query(query.text),
    );
    expect(received.error).toBeUndefined();
    expect(Buffer.concat(received.copyData.map((m) => (m as { chunk: Buffer }).chunk)).toString()).toBe('1\n2\n');
    expect(received.commandComplete).toEqual(expect.objectContaining({ text: 'COPY 2' }));
  });

  it('sends COPY data after CopyInResponse, and CopyFail aborts the COPY', async () => {
    const client = await connected();
    await client.query('create temporary table copied (v int)');
    const stored = await run(
      client,
      'copy copied from stdin',
      (protocol, query) => protocol.query(query.text),
      (protocol) => {
        protocol.sendCopyFromChunk(Buffer.from('1\n2\n'));
        protocol.endCopyFrom();
      },
    );
    expect(stored.copyInResponse).toBe(1);
    expect(stored.commandComplete).toEqual(expect.objectContaining({ text: 'COPY 2' }));
    const failed = await run(
      client,
      'copy copied from stdin',
      (protocol, query) => protocol.query(query.text),
      (protocol) => protocol.sendCopyFail('stop'),
    );
    expect(failed.error).toMatchObject({ code: '57014' });
    expect((await client.query('select count(*)::int as n from copied')).rows).toEqual([{ n: 2 }]);
  });
});

describe('prepareValue', () => {
  it('converts values as pg sends parameters', () => {
    expect(prepareValue(null)).toBeNull();
    expect(prepareValue(undefined)).toBeNull();
    expect(prepareValue(5)).toBe('5');
    expect(prepareValue([1, null, 'a'])).toBe('{"1",NULL,"a"}');
    expect(prepareValue({ a: 1 })).toBe('{"a":1}');
    expect(prepareValue({ toPostgres: () => 'custom' })).toBe('custom');
    const bytes = Buffer.from([1, 2]);
    expect(prepareValue(bytes)).toBe(bytes);
    expect(prepareValue(new Date(Date.UTC(2024, 0, 2, 3, 4, 5)))).toMatch(/^2024-01-0[12]T/);
  });

  it('throws a TypeError for a value it cannot send', () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(() => prepareValue(circular)).toThrow(TypeError);
  });
});

describe('pg-cursor', () => {
  it("goes through the states pgsa reads: idle after a read, 'done' after close", async () => {
    const client = await connected();
    const cursor = client.query(new Cursor<unknown>('select generate_series(1, 3)'));
    expect(['initialized', 'submitted']).toContain(cursorState(cursor));
    await cursor.read(1);
    expect(cursorState(cursor)).toBe('idle');
    await cursor.close();
    expect(cursorState(cursor)).toBe('done');
  });

  it("is in state 'error' after a failed read", async () => {
    const client = await connected();
    const cursor = client.query(new Cursor<unknown>('select 1/0'));
    expect(await rejection(cursor.read(1), pg.DatabaseError)).toMatchObject({ code: '22012' });
    expect(cursorState(cursor)).toBe('error');
  });
});

describe('server reports (multi-host engines)', () => {
  it('onParameterStatus sees the login’s in_hot_standby and default_transaction_read_only, and later changes', async () => {
    const client = new pg.Client({ connectionString: db.url });
    clients.push(client);
    const seen = new Map<string, string>();
    onParameterStatus(client, (name, value) => void seen.set(name, value));
    await client.connect();
    expect(seen.get('in_hot_standby')).toBe('off');
    expect(seen.get('default_transaction_read_only')).toBe('off');
    await client.query('set default_transaction_read_only = on');
    expect(seen.get('default_transaction_read_only')).toBe('on');
  });

  it('onServerError sees an ErrorResponse with its code and severity before the query settles', async () => {
    const client = await connected();
    const errors: ServerErrorMessage[] = [];
    onServerError(client, (error) => void errors.push(error));
    await rejection(client.query('select 1/0'), Error);
    expect(errors.map(({ code, severity, message }) => ({ code, severity, message }))).toEqual([
      { code: '22012', severity: 'ERROR', message: 'division by zero' },
    ]);
  });
});

describe("pgsa's parser (raw DataRow messages)", () => {
  it("replaces what pg's Connection.attachListeners does, on pg-protocol's parser", () => {
    // parseRowsRaw writes pg's attachListeners again with pgsa's parser: pg's must still be
    // "parse the stream, emit each message (errors as errorMessage), 'message' when asked".
    const attach = String((pg as unknown as { Connection: { prototype: { attachListeners: unknown } } }).Connection.prototype.attachListeners);
    expect(attach).toMatch(/parse\(stream,/);
    expect(attach).toMatch(/msg\.name === 'error' \? 'errorMessage' : msg\.name/);
    expect(attach).toMatch(/this\._emitMessage/);
    expect(typeof PgProtocolParser.prototype.parse).toBe('function');
    expect(typeof PgProtocolParser.prototype.handlePacket).toBe('function');
  });

  it("gives pg's queries the rows pg-protocol's parser gives, for any text (property)", async () => {
    const plain = await connected();
    const raw = new pg.Client({ connectionString: db.url });
    parseRowsRaw(raw);
    clients.push(raw);
    await raw.connect();
    expect(parsesRowsRaw(protocolOf(raw))).toBe(true);
    expect(parsesRowsRaw(protocolOf(plain))).toBe(false);
    const seen: DataRowMessage[] = [];
    protocolOf(raw).on('dataRow', (message: DataRowMessage) => void seen.push(message));
    const text = fc.option(fc.string({ unit: 'binary', maxLength: 40 }).map((value) => value.replaceAll('\u0000', '')), { nil: null });
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(text, text), { maxLength: 5 }), async (rows) => {
        const sql = `select * from (values ${rows.map((_, i) => `($${2 * i + 1}::text, $${2 * i + 2}::text)`).join(', ')}) as t(a, b)`;
        const params = rows.flat();
        const query = rows.length === 0 ? 'select 1 as a where false' : sql;
        const expected = await plain.query({ text: query, values: params, rowMode: 'array' });
        const actual = await raw.query({ text: query, values: params, rowMode: 'array' });
        expect(actual.rows).toEqual(expected.rows);
        expect(actual.rows).toEqual(rows.map(([a, b]) => [a, b]));
      }),
      { numRuns: 100 },
    );
    // The messages carried their bytes (pgsa's queries read those).
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((message) => Buffer.isBuffer(message.bytes) && typeof message.start === 'number')).toBe(true);
  });
});
