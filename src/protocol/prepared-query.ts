import type pg from 'pg';
import {
  type CommandCompleteMessage,
  type DataRowMessage,
  isStatementParsed,
  type ProtocolConnection,
  sendMessages,
  markStatementSubmitted,
  onParameterDescription,
  parsesRowsRaw,
  QueryBase,
  type QueryCallback,
  type RowDescriptionMessage,
  submittedOn,
} from './pg-internals.js';
import { parseCommandTag, prepareValues, type RowMode } from './protocol-query.js';
import type { StatementCache, StatementDescription } from './statement-cache.js';
import { MessageWriter } from './message-writer.js';
import { objectRowMaker } from './object-row.js';
import { decodeRow, type RawDecoder } from '../codecs/raw-decoders.js';

/**
 * One execution of a cached named statement, written for the hot path (see
 * `runStatement`). Compared with pg's own `Query` for a named statement, it:
 *
 * - describes the statement's result columns once per connection (Parse + Describe statement
 *   on first use), so later executions send only Bind/Execute/Sync and the server sends no
 *   RowDescription back; the column type parsers are resolved once, not per result;
 * - builds rows straight from the DataRow messages' bytes, without pg's strings and `Result`
 *   (object rows through a builder made once per statement, see `objectRowMaker`);
 * - once described, asks for the columns whose type has a binary twin of its parser (ints,
 *   bool, timestamptz: see `binaryTwin`) in binary format, read without making text of them.
 *
 * In `'describe'` mode (`conn.prepare`) it only prepares: Parse (unless parsed) + Describe
 * statement + Sync, recording the parameter types too, and returns no rows.
 *
 * It extends pg's `Query` so pg's client (including its pipelined mode) accepts it as one of
 * its own queries; every protocol message it receives goes through the handlers below.
 *
 * @internal
 */
export class PreparedQuery extends QueryBase {
  readonly #cache: StatementCache;
  readonly #asArrays: boolean;
  readonly #values: readonly unknown[];
  #description: StatementDescription | undefined;
  /** How this execution's fields are decoded from the DataRow bytes (the formats it bound). */
  #decoders: readonly RawDecoder[] | undefined;
  /** The values of an object row, reused from row to row; `undefined` for array rows (each its own). */
  readonly #scratch: unknown[] | undefined;
  #describing = false;
  #rows: unknown[] = [];
  #command: string | null = null;
  #rowCount: number | null = null;
  #oid: number | null = null;
  #rowError: Error | undefined;
  readonly #describeOnly: boolean;
  #parameterTypes: readonly number[] | undefined;
  #stopListening: (() => void) | undefined;

  constructor(
    cache: StatementCache,
    sql: string,
    name: string,
    values: readonly unknown[],
    rowMode: RowMode,
    callback: QueryCallback,
    mode: 'execute' | 'describe' = 'execute',
  ) {
    // A string config is the cheap case of pg's constructor (no copy of a config object).
    super(sql);
    this.name = name;
    this.callback = callback;
    this.#cache = cache;
    this.#values = values;
    this.#asArrays = rowMode === 'array';
    this.#scratch = this.#asArrays ? undefined : [];
    this.#describeOnly = mode === 'describe';
  }

  /** Called by pg's client when it is this query's turn: writes the whole exchange at once. */
  submit(connection: unknown): Error | null {
    const protocol = submittedOn(connection);
    const messages = new MessageWriter();
    const error = this.writeMessages(protocol, messages);
    if (error) return error;
    sendMessages(protocol, messages.sync().written());
    return null;
  }

  /**
   * Appends this execution's messages but the Sync to `messages` (Parse unless parsed,
   * Describe unless described, Bind + Execute), recording the statement as submitted; an
   * `Error` (nothing appended) when a value cannot be sent. @internal
   */
  writeMessages(protocol: ProtocolConnection, messages: MessageWriter): Error | null {
    const name = this.name as string;
    let values: unknown[];
    try {
      // Converted before anything is written: a value that cannot be sent fails this query
      // alone and leaves the protocol stream untouched.
      values = prepareValues(this.#values);
    } catch (error) {
      return error as Error;
    }
    this.#description = this.#describeOnly ? undefined : this.#cache.description(name);
    if (this.#describeOnly) {
      // Only this query is in flight on the connection `prepare` uses (never the pipeline), so
      // the next ParameterDescription is the answer to its Describe.
      this.#stopListening = onParameterDescription(protocol, (message) => {
        this.#parameterTypes = message.dataTypeIDs;
      });
    }
    if (!isStatementParsed(protocol, name)) {
      messages.parse(name, this.text);
      markStatementSubmitted(protocol, name, this.text);
    }
    const description = this.#description;
    if (description === undefined) {
      messages.describeStatement(name);
      this.#describing = true;
    }
    if (this.#describeOnly) return null;
    // Binary columns only where the rows are read from their bytes (pgsa's clients).
    const binary = description?.binary;
    if (binary !== undefined && parsesRowsRaw(protocol)) {
      messages.bindExecute(name, values, binary.formats);
      this.#decoders = binary.decoders;
    } else {
      messages.bindExecute(name, values);
      this.#decoders = description?.textDecoders;
    }
    return null;
  }

  handleRowDescription(message: RowDescriptionMessage): void {
    // Only the Describe sent in `submit` is answered with a RowDescription.
    if (this.#describing) {
      this.#description = this.#cache.describe(this.name as string, message.fields, this.#parameterTypes);
      // This execution was bound before the description came: its results are text.
      this.#decoders = this.#description.textDecoders;
    }
  }

  handleDataRow(message: DataRowMessage): void {
    if (this.#rowError !== undefined) return;
    const description = this.#description as StatementDescription;
    try {
      const bytes = message.bytes;
      let values: unknown[];
      if (bytes === undefined) {
        // pg-protocol's parser made the message (a client pgsa did not create): text fields.
        const raw = message.fields;
        const parsers = description.parsers;
        values = this.#scratch ?? new Array<unknown>(raw.length);
        for (let i = 0; i < raw.length; i++) {
          const value = raw[i] as string | null;
          values[i] = value === null ? null : (parsers[i] as (text: string) => unknown)(value);
        }
      } else {
        values = decodeRow(bytes, message.start as number, this.#decoders as readonly RawDecoder[], this.#scratch);
      }
      this.#rows.push(this.#asArrays ? values : (description.objectRow ??= objectRowMaker(description.fields))(values));
    } catch (error) {
      // As pg: the failure is reported once the server is done with the statement.
      this.#rowError = error as Error;
    }
  }

  handleCommandComplete(message: CommandCompleteMessage): void {
    if (this.#describing && this.#description === undefined) {
      // Described, and no RowDescription came: the statement returns no rows (NoData).
      this.#description = this.#cache.describe(this.name as string, []);
    }
    const tag = parseCommandTag(message.text);
    if (tag === undefined) return;
    this.#command = tag.command;
    this.#rowCount = tag.rowCount;
    this.#oid = tag.oid;
  }

  handleEmptyQuery(): void {}

  handleError(error: Error): void {
    this.#stopListening?.();
    const reported = this.#rowError ?? error;
    this.#rowError = undefined;
    (this.callback as QueryCallback)(reported);
  }

  handleReadyForQuery(): void {
    this.#stopListening?.();
    if (this.#describing && this.#description === undefined && this.#rowError === undefined) {
      // Described, and no RowDescription came (NoData): the statement returns no rows.
      this.#description = this.#cache.describe(this.name as string, [], this.#parameterTypes);
    }
    const callback = this.callback as QueryCallback;
    if (this.#rowError !== undefined) {
      callback(this.#rowError);
      return;
    }
    callback(null, {
      command: this.#command as string,
      rowCount: this.#rowCount,
      oid: this.#oid as number,
      rows: this.#rows,
      fields: this.#description?.fields ?? [],
    } as pg.QueryResult);
  }
}
