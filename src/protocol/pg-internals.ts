/**
 * Every private or undocumented part of node-postgres (`pg`) and `pg-cursor` that pgsa uses,
 * in one place: structural types for the subset read or written, and one small named accessor
 * per use. No other file under `src/` reaches past pg's typed API.
 *
 * Why pgsa needs them at all: its own protocol queries (prepared statements described once,
 * executeMany, COPY in/out) run as queries of pg's client, so they receive pg's protocol
 * connection and share its record of parsed statements; cancel requests need the backend key;
 * the transaction status is only current once the server's ReadyForQuery was processed; rows
 * are decoded from the DataRow bytes (binary columns included), which pg-protocol's parser
 * turns into strings.
 *
 * `test/protocol/pg-internals.test.ts` checks each of these against the installed pg and
 * pg-cursor, and package.json pins both to the minor range that test covers: upgrading either is
 * a deliberate change that must pass it.
 *
 * Not part of the public API.
 */
import type { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import pg from 'pg';
import type Cursor from 'pg-cursor';
import { decodeRow, TEXT_FIELDS } from '../codecs/raw-decoders.js';

// ——— pg's protocol connection (`client.connection`, the object pg passes to `submit`) ———

/** The socket under pg's protocol connection (a `net.Socket` or a `tls.TLSSocket`). */
export interface ProtocolSocket {
  cork(): void;
  uncork(): void;
  readonly writableLength: number;
  /** False once the socket was ended or destroyed (pg's connection then writes nothing). */
  readonly writable: boolean;
  write(chunk: Uint8Array): boolean;
  pause(): void;
  resume(): void;
  destroy(error?: Error): void;
  once(event: 'drain' | 'close', listener: () => void): unknown;
  removeListener(event: 'drain' | 'close' | 'timeout', listener: () => void): unknown;
  /** net.Socket's idle timer: 'timeout' after `ms` without a byte read or written; 0 = off. */
  setTimeout(ms: number): unknown;
  on(event: 'timeout', listener: () => void): unknown;
}

/**
 * pg's protocol connection: the message writers pgsa's queries call from `submit`, its socket,
 * and its per-socket record of the named statements it has parsed (SQL text by name).
 */
export interface ProtocolConnection extends EventEmitter {
  readonly parsedStatements: Record<string, string | undefined>;
  readonly submittedNamedStatements: Record<string, string | undefined>;
  readonly stream: ProtocolSocket;
  query(text: string): void;
  parse(message: { text: string; name: string; types: readonly number[] }): void;
  describe(message: { type: 'S'; name: string }): void;
  bind(message: { statement: string; values: readonly unknown[] }): void;
  execute(): void;
  sync(): void;
  sendCopyFromChunk(chunk: Uint8Array): void;
  endCopyFrom(): void;
  sendCopyFail(message: string): void;
}

/**
 * Writes `messages` (serialized protocol messages) to the connection's socket in one write, as
 * pg's connection writes each of its own (nothing once the socket is no longer writable).
 */
export function sendMessages(protocol: ProtocolConnection, messages: Uint8Array): void {
  const stream = protocol.stream;
  if (stream.writable) stream.write(messages);
}

/** The fields of pg's client that are not in its typed API. */
interface ClientInternals {
  /** The backend's process id and secret key (BackendKeyData); `null` before the login. */
  readonly processID: number | null;
  readonly secretKey: number | null;
  /** `false` from the moment a query is sent until the server's ReadyForQuery; unset before. */
  readonly readyForQuery: boolean | undefined;
  /** `true` once `end()` was called. */
  readonly _ending: boolean;
  readonly connection: ProtocolConnection;
  readonly host: string;
  readonly port: number;
}

function internals(client: pg.ClientBase): ClientInternals {
  return client as unknown as ClientInternals;
}

/** pg's protocol connection of `client` (an EventEmitter of protocol messages). */
export function protocolOf(client: pg.ClientBase): ProtocolConnection {
  return internals(client).connection;
}

/** The socket of `client`. */
export function socketOf(client: pg.ClientBase): ProtocolSocket {
  return internals(client).connection.stream;
}

/** The protocol connection pg hands a query's `submit` (typed `unknown` by the caller). */
export function submittedOn(connection: unknown): ProtocolConnection {
  return connection as ProtocolConnection;
}

// ——— the backend key ———

/** The server process id serving `client` (`pg_backend_pid()`); `null` before the login. */
export function backendProcessId(client: pg.ClientBase): number | null {
  return internals(client).processID;
}

/** What a CancelRequest for `client` needs: its backend key and where the server listens. */
export interface CancelKeys {
  /** The backend's process id. */
  readonly pid: number;
  /** The backend's secret key. */
  readonly key: number;
  /** A host name or address, or a Unix socket directory (starts with `/`). */
  readonly host: string;
  readonly port: number;
}

/** The backend key of `client` and its server's address; `undefined` before the login. */
export function cancelKeys(client: pg.ClientBase): CancelKeys | undefined {
  const { processID, secretKey, host, port } = internals(client);
  if (processID === null || secretKey === null) return undefined;
  return { pid: processID, key: secretKey, host, port };
}

// ——— ReadyForQuery ———

/** False while `client` waits for the server's ReadyForQuery after sending a query. */
export function isReadyForQuery(client: pg.ClientBase): boolean {
  return internals(client).readyForQuery !== false;
}

/** True once `end()` was called on `client`. */
export function isEnding(client: pg.ClientBase): boolean {
  return internals(client)._ending;
}

/**
 * Calls `listener` once, at the next ReadyForQuery `client` processes or when its connection
 * ends. pg's client listens first, so its transaction status is already updated then.
 */
export function onNextReadyForQuery(client: pg.ClientBase, listener: () => void): void {
  const protocol = internals(client).connection;
  const done = (): void => {
    protocol.removeListener('readyForQuery', done);
    protocol.removeListener('end', done);
    listener();
  };
  protocol.on('readyForQuery', done);
  protocol.on('end', done);
}

/**
 * Resolves once `client` processed the server's ReadyForQuery (at once when it is not waiting
 * for one, or is ending), when the connection ends, or after `timeoutMs` at most (a connection
 * that never becomes ready is broken and gets discarded anyway).
 */
export function whenReadyForQuery(client: pg.ClientBase, timeoutMs: number): Promise<void> {
  if (isReadyForQuery(client) || isEnding(client)) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    onNextReadyForQuery(client, () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

// ——— named statements pg believes parsed ———

/** True when pg has parsed (or is parsing) the statement `name` on this connection. */
export function isStatementParsed(protocol: ProtocolConnection, name: string): boolean {
  return (
    protocol.parsedStatements[name] !== undefined ||
    protocol.submittedNamedStatements[name] !== undefined
  );
}

/**
 * Records that a Parse for `name` was sent, as pg does for its own named queries, so that a
 * pipelined query behind it skips the Parse; pg moves it to its parsed record on ParseComplete.
 */
export function markStatementSubmitted(protocol: ProtocolConnection, name: string, text: string): void {
  protocol.submittedNamedStatements[name] = text;
}

/**
 * Forgets that a Parse for `name` was submitted, when the server skipped it (an error earlier
 * in the same exchange): pg's client only does so for the statement it believes is running.
 */
export function forgetSubmittedStatement(protocol: ProtocolConnection, name: string): void {
  delete protocol.submittedNamedStatements[name];
}

/**
 * Makes pg forget the named statement `name` of `client` (pgsa deallocates it): pg would
 * otherwise skip the Parse for a name it believes exists.
 */
export function forgetParsedStatement(client: pg.ClientBase, name: string): void {
  const protocol = internals(client).connection;
  delete protocol.parsedStatements[name];
  delete protocol.submittedNamedStatements[name];
}

// ——— pg's Query, as a base class, and its value conversion ———

/** A query's completion callback, as pg's client calls it. */
export type QueryCallback = (error: Error | null | undefined, result?: pg.QueryResult) => void;

/** What pg's client reads of the queries it runs (`name` and `text` track parsed statements). */
export interface QueryFields {
  text: string;
  name: string | undefined;
  callback: QueryCallback | undefined;
}

/**
 * pg's `Query`, typed as pg's client and pgsa's subclasses use it (@types/pg types it for
 * users). Extending it makes pg's client run a subclass as one of its own queries; the subclass
 * implements `submit(connection)` and the `handle…` methods for the messages it expects.
 */
export const QueryBase = pg.Query as unknown as new (text: string) => QueryFields;

/** pg's conversion of a JavaScript value to what it sends (text, a Buffer, or null). */
export const prepareValue = (pg as unknown as { utils: { prepareValue(value: unknown): unknown } })
  .utils.prepareValue;

/** The RowDescription message pg's client hands a query. */
export interface RowDescriptionMessage {
  readonly fields: pg.FieldDef[];
}

/** The ParameterDescription message (the answer to a Describe of a statement). */
export interface ParameterDescriptionMessage {
  /** The type oid of each parameter, in order. */
  readonly dataTypeIDs: readonly number[];
}

/**
 * Listens for the next ParameterDescription (the answer to a Describe of a statement): pg's
 * client ignores that message, its protocol connection still emits it. Returns the remover.
 */
export function onParameterDescription(
  protocol: ProtocolConnection,
  listener: (message: ParameterDescriptionMessage) => void,
): () => void {
  protocol.once('parameterDescription', listener);
  return () => protocol.removeListener('parameterDescription', listener);
}

/**
 * The DataRow message pg's client hands a query. Made by pgsa's parser (see
 * {@link parseRowsRaw}), it also carries the message's bytes, and `fields` (pg's text form) is
 * decoded on first read: both only valid while the handler runs (the parser reuses its buffer).
 */
export interface DataRowMessage {
  readonly fields: (string | null)[];
  /** The buffer holding the message; `undefined` when pg-protocol's own parser made it. */
  readonly bytes?: Buffer | undefined;
  /** Where the message's field count (int16, then each field's int32 length and bytes) is in `bytes`. */
  readonly start?: number | undefined;
}

// ——— pgsa's parser of the server's messages ———

/** pg-protocol's parser (`pg-protocol/dist/parser`), as pg's connection uses it. */
interface ProtocolParser {
  parse(buffer: Buffer, callback: (message: { readonly name: string }) => void): void;
  /** Makes the message of type `code` whose body (`length` − 4 bytes) starts at `offset` of `bytes`. */
  handlePacket(offset: number, code: number, length: number, bytes: Buffer): { readonly name: string };
}

// pg-protocol as pg itself loads it (the same copy, whatever the package manager's layout).
const pgRequire = createRequire(createRequire(import.meta.url).resolve('pg'));
/** @internal exported for test/protocol/pg-internals.test.ts */
export const PgProtocolParser = (pgRequire('pg-protocol/dist/parser.js') as { Parser: new () => ProtocolParser }).Parser;

const DATA_ROW = 0x44; // 'D'

/** A DataRow as {@link RawRowParser} makes it: the bytes, and pg's text fields on demand. */
class RawDataRow implements DataRowMessage {
  readonly name = 'dataRow';
  readonly length: number;
  readonly bytes: Buffer;
  readonly start: number;
  #fields: (string | null)[] | undefined;

  constructor(bytes: Buffer, start: number, length: number) {
    this.bytes = bytes;
    this.start = start;
    this.length = length;
  }

  get fieldCount(): number {
    return this.bytes.readInt16BE(this.start);
  }

  /** As pg-protocol's parser makes them: each field as UTF-8 text, `null` for SQL NULL. */
  get fields(): (string | null)[] {
    return (this.#fields ??= decodeRow(this.bytes, this.start, TEXT_FIELDS) as (string | null)[]);
  }
}

/** pg-protocol's parser, but DataRow messages are {@link RawDataRow}s. */
class RawRowParser extends PgProtocolParser {
  override handlePacket(offset: number, code: number, length: number, bytes: Buffer): { readonly name: string } {
    return code === DATA_ROW ? new RawDataRow(bytes, offset, length) : super.handlePacket(offset, code, length, bytes);
  }
}

/** pg's protocol connection's own fields used here. */
interface ConnectionInternals extends EventEmitter {
  /** Parses the socket's data and emits each message (pg: `parse(stream, …)` of pg-protocol). */
  attachListeners(stream: EventEmitter): void;
  /** True when someone listens for every message (`'message'` events). */
  readonly _emitMessage: boolean;
  [RAW_ROWS]?: true;
}

const RAW_ROWS = Symbol('pgsa.rawRows');

/**
 * Makes `client` (not yet connected) parse the server's messages with {@link RawRowParser}:
 * what pg's `Connection.attachListeners` does, with pgsa's parser in place of pg-protocol's.
 */
export function parseRowsRaw(client: pg.ClientBase): void {
  const connection = internals(client).connection as unknown as ConnectionInternals;
  connection.attachListeners = function attachListeners(this: ConnectionInternals, stream: EventEmitter): void {
    const parser = new RawRowParser();
    stream.on('data', (buffer: Buffer) =>
      parser.parse(buffer, (message) => {
        const event = message.name === 'error' ? 'errorMessage' : message.name;
        if (this._emitMessage) this.emit('message', message);
        this.emit(event, message);
      }),
    );
  };
  connection[RAW_ROWS] = true;
}

/** True when `protocol`'s DataRow messages carry their bytes (see {@link parseRowsRaw}). */
export function parsesRowsRaw(protocol: ProtocolConnection): boolean {
  return (protocol as unknown as ConnectionInternals)[RAW_ROWS] === true;
}

/** The CommandComplete message pg's client hands a query (`text` is the tag). */
export interface CommandCompleteMessage {
  readonly text: string;
}

/** The CopyData message pg's client hands a query (`chunk` is reused by pg's parser). */
export interface CopyDataMessage {
  readonly chunk: Buffer;
}

// ——— server reports on a connection (multi-host engines) ———

/**
 * Calls `listener` with every ParameterStatus message the server sends on `client`: at login
 * (before `connect()` resolves) and whenever a reported setting changes later (from PostgreSQL
 * 14 on, `in_hot_standby` and `default_transaction_read_only` among them). Attach it before
 * connecting to see the login's.
 */
export function onParameterStatus(client: pg.ClientBase, listener: (name: string, value: string) => void): void {
  protocolOf(client).on('parameterStatus', (message: { parameterName: string; parameterValue: string }) =>
    listener(message.parameterName, message.parameterValue),
  );
}

/** A server ErrorResponse as pg's protocol connection emits it. */
export interface ServerErrorMessage {
  readonly code?: string | undefined;
  readonly severity?: string | undefined;
  readonly message: string;
}

/**
 * Calls `listener` with every ErrorResponse the server sends on `client`, whether a query is
 * running or not (a FATAL on an idle connection included), before pg settles anything.
 */
export function onServerError(client: pg.ClientBase, listener: (error: ServerErrorMessage) => void): void {
  protocolOf(client).on('errorMessage', listener);
}

// ——— pg-cursor ———

/** pg-cursor's state; `'done'` once the portal is closed and the server is ready. */
export type CursorState = 'initialized' | 'submitted' | 'idle' | 'busy' | 'error' | 'done';

/** The state of a pg-cursor `Cursor`. */
export function cursorState(cursor: Cursor<unknown>): CursorState {
  return (cursor as unknown as { state: CursorState }).state;
}
