import type pg from 'pg';
import { ProgrammingError } from '../errors/database-error.js';
import { SOCKET_HIGH_WATER_BYTES, WRITE_CHUNK_SIZE } from './backpressure.js';
import {
  type CommandCompleteMessage,
  isStatementParsed,
  markStatementSubmitted,
  type ProtocolConnection,
  QueryBase,
  type QueryCallback,
  submittedOn,
} from './pg-internals.js';
import { NO_TYPES, parseCommandTag, prepareValues, whenDrained } from './protocol-query.js';
import { MessageWriter } from './message-writer.js';

/**
 * One statement run once per parameter set in a single protocol exchange (asyncpg's
 * `executemany`): Parse once (unless the statement is cached and already parsed), then
 * Bind/Execute per set, then **one** Sync. Nothing waits for a round trip between sets.
 *
 * Because only the last message is a Sync, all the executions share one transaction: outside
 * an explicit transaction the server runs them in one implicit transaction, so either every
 * set is applied or none is; inside one, a failure aborts it as any failed statement does.
 *
 * Every parameter is converted before anything is written, so a value that cannot be sent
 * fails the call with nothing sent. Sets are written while the socket drains (its buffer stays
 * near {@link SOCKET_HIGH_WATER_BYTES}), so a long list is never serialized in memory at once.
 *
 * @internal
 */
export class ExecuteManyQuery extends QueryBase {
  readonly #sets: readonly (readonly unknown[])[];
  #prepared: unknown[][] = [];
  #next = 0;
  #synced = false;
  #protocol: ProtocolConnection | undefined;
  #rowCount = 0;
  #command = '';
  #stopWaiting: (() => void) | undefined;

  constructor(sql: string, name: string | undefined, sets: readonly (readonly unknown[])[], callback: QueryCallback) {
    super(sql);
    this.name = name;
    this.callback = callback;
    this.#sets = sets;
  }

  /** Called by pg's client when it is this query's turn. */
  submit(connection: unknown): Error | null {
    const protocol = submittedOn(connection);
    try {
      this.#prepared = this.#sets.map((values) => prepareValues(values));
    } catch (error) {
      return error as Error;
    }
    this.#protocol = protocol;
    const name = this.name ?? '';
    const parsed = name !== '' && isStatementParsed(protocol, name);
    if (!parsed) {
      protocol.parse({ text: this.text, name, types: NO_TYPES });
      if (name !== '') markStatementSubmitted(protocol, name, this.text);
    }
    this.#write();
    return null;
  }

  /** Writes parameter sets until the socket's buffer is full, then the Sync after the last. */
  #write(): void {
    const protocol = this.#protocol as ProtocolConnection;
    const stream = protocol.stream;
    const statement = this.name ?? '';
    const messages = new MessageWriter(WRITE_CHUNK_SIZE + 1024);
    while (!this.#synced && this.#next < this.#prepared.length) {
      messages.bindExecute(statement, this.#prepared[this.#next] as unknown[]);
      this.#prepared[this.#next++] = [];
      if (messages.size >= WRITE_CHUNK_SIZE) {
        stream.write(messages.take(WRITE_CHUNK_SIZE + 1024));
        if (stream.writableLength > SOCKET_HIGH_WATER_BYTES) break;
      }
    }
    if (messages.size > 0) stream.write(messages.written());
    if (!this.#synced && this.#next >= this.#prepared.length) this.#sync();
    if (!this.#synced) this.#waitForDrain();
  }

  #waitForDrain(): void {
    // A socket that closes never drains; pg's client fails the query through its own path.
    this.#stopWaiting = whenDrained((this.#protocol as ProtocolConnection).stream, () => {
      this.#stopWaiting = undefined;
      if (!this.#synced) this.#write();
    });
  }

  #sync(): void {
    this.#synced = true;
    this.#prepared = [];
    (this.#protocol as ProtocolConnection).sync();
  }

  handleRowDescription(): void {}

  /** Rows of a statement with RETURNING are not collected: executeMany returns a count. */
  handleDataRow(): void {}

  handleCommandComplete(message: CommandCompleteMessage): void {
    const tag = parseCommandTag(message.text);
    if (tag === undefined) return;
    this.#command = tag.command;
    this.#rowCount += tag.rowCount ?? 0;
  }

  handleEmptyQuery(): void {}

  handleError(error: Error): void {
    // The server skips everything up to the next Sync: send it now instead of the rest.
    this.#stopWaiting?.();
    this.#stopWaiting = undefined;
    if (!this.#synced && this.#protocol !== undefined) this.#sync();
    (this.callback as QueryCallback)(error);
  }

  handleReadyForQuery(): void {
    (this.callback as QueryCallback)(null, {
      command: this.#command,
      rowCount: this.#rowCount,
      oid: 0,
      rows: [],
      fields: [],
    } as pg.QueryResult);
  }
}

/**
 * Validates `executeMany`'s arguments before anything is sent.
 *
 * @throws TypeError for a non-string statement or a list that is not an array of arrays;
 *   ProgrammingError when the sets differ in length.
 * @internal
 */
export function checkParameterSets(sql: unknown, sets: unknown): asserts sets is readonly (readonly unknown[])[] {
  if (typeof sql !== 'string') {
    throw new TypeError('executeMany takes a SQL string with $1, $2 … placeholders');
  }
  if (!Array.isArray(sets)) {
    throw new TypeError('executeMany takes an array of parameter arrays');
  }
  const width = Array.isArray(sets[0]) ? (sets[0] as unknown[]).length : 0;
  for (let i = 0; i < sets.length; i++) {
    const set: unknown = sets[i];
    if (!Array.isArray(set)) {
      throw new TypeError(`executeMany: parameter set ${i} is not an array`);
    }
    if (set.length !== width) {
      throw new ProgrammingError(
        `executeMany: parameter set ${i} has ${set.length} values, set 0 has ${width}`,
      );
    }
  }
}
