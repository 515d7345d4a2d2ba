import type pg from 'pg';
import {
  type CommandCompleteMessage,
  type DataRowMessage,
  forgetSubmittedStatement,
  type QueryCallback,
  type RowDescriptionMessage,
  sendMessages,
  submittedOn,
} from './pg-internals.js';
import { MessageWriter } from './message-writer.js';
import { PreparedQuery } from './prepared-query.js';
import { NO_TYPES } from './protocol-query.js';

/** What a query object pg's client runs has, as this wrapper forwards it. */
interface InnerQuery {
  text: string;
  name: string | undefined;
  callback: QueryCallback | undefined;
  _result: unknown;
  submit(connection: unknown): Error | null | undefined | void;
  handleRowDescription(message: RowDescriptionMessage): void;
  handleDataRow(message: DataRowMessage): void;
  handleCommandComplete(message: CommandCompleteMessage, connection: unknown): void;
  handleEmptyQuery(connection: unknown): void;
  handleError(error: Error, connection: unknown): void;
  handleReadyForQuery(connection: unknown): void;
  handlePortalSuspended?(connection: unknown): void;
  handleCopyInResponse?(connection: unknown): void;
  handleCopyData?(message: unknown, connection: unknown): void;
}

/**
 * A transaction's deferred `BEGIN …` written in the same socket write as the first statement
 * of the transaction, in one extended-protocol exchange: Parse/Bind/Execute of the BEGIN (the
 * unnamed statement, no Sync), then the statement's own messages and its Sync. The server runs
 * BEGIN first; when BEGIN fails it skips everything up to the Sync, so the statement never runs
 * and the error reported is BEGIN's (see {@link beginFailed}).
 *
 * It wraps the statement's query object (pgsa's `PreparedQuery` or pg's extended-protocol
 * `Query`): BEGIN's answers (ParseComplete, BindComplete, CommandComplete "BEGIN") are taken
 * here, everything after them goes to the statement. While BEGIN's answers arrive the wrapper
 * shows pg's client no statement name, so BEGIN's ParseComplete is not taken for the named
 * statement's.
 *
 * Only statements that run in the extended protocol may be wrapped: a simple-protocol Query
 * message after an unsynced BEGIN would be skipped with it on error and never answered.
 *
 * @internal
 */
export class BeginPrefixedQuery {
  readonly #begin: string;
  readonly #inner: InnerQuery;
  /** True until BEGIN's CommandComplete arrived. */
  #beginPhase = true;
  #beginFailed = false;
  /** A statement that could not be written after BEGIN was (reported at ReadyForQuery). */
  #submitError: Error | undefined;
  /** pg's client sets the result's type parsers through this (pg's own queries have one). */
  readonly _result: unknown;

  constructor(begin: string, inner: pg.Submittable) {
    this.#begin = begin;
    this.#inner = inner as unknown as InnerQuery;
    this._result = this.#inner._result;
  }

  /** True when the error reported was BEGIN's (the statement did not run). */
  get beginFailed(): boolean {
    return this.#beginFailed;
  }

  get text(): string {
    return this.#inner.text;
  }

  /** No name while BEGIN's answers arrive (pg records ParseComplete under this name). */
  get name(): string | undefined {
    return this.#beginPhase ? undefined : this.#inner.name;
  }

  get callback(): QueryCallback | undefined {
    return this.#inner.callback;
  }

  set callback(callback: QueryCallback | undefined) {
    this.#inner.callback = callback;
  }

  submit(connection: unknown): Error | null {
    const protocol = submittedOn(connection);
    const inner = this.#inner;
    if (inner instanceof PreparedQuery) {
      // The common case: BEGIN and the statement serialized into one buffer, one write.
      const messages = new MessageWriter().parse('', this.#begin).bindExecute('', []);
      // A statement that cannot be written: BEGIN still goes, and its refusal is reported
      // once the server answered (the transaction is then open).
      const error = inner.writeMessages(protocol, messages);
      if (error) this.#submitError = error;
      sendMessages(protocol, messages.sync().written());
      return null;
    }
    protocol.stream.cork();
    try {
      protocol.parse({ text: this.#begin, name: '', types: NO_TYPES });
      protocol.bind({ statement: '', values: [] });
      protocol.execute();
      const error = this.#inner.submit(connection);
      if (error) {
        // BEGIN is on its way without a Sync: end the exchange so the server answers, and
        // report the statement's refusal once it has (the transaction is then open).
        this.#submitError = error;
        protocol.sync();
      }
    } finally {
      protocol.stream.uncork();
    }
    return null;
  }

  handleRowDescription(message: RowDescriptionMessage): void {
    if (!this.#beginPhase) this.#inner.handleRowDescription(message);
  }

  handleDataRow(message: DataRowMessage): void {
    if (!this.#beginPhase) this.#inner.handleDataRow(message);
  }

  handleCommandComplete(message: CommandCompleteMessage, connection: unknown): void {
    if (this.#beginPhase) {
      this.#beginPhase = false;
      return;
    }
    this.#inner.handleCommandComplete(message, connection);
  }

  handleEmptyQuery(connection: unknown): void {
    if (!this.#beginPhase) this.#inner.handleEmptyQuery(connection);
  }

  handlePortalSuspended(connection: unknown): void {
    this.#inner.handlePortalSuspended?.(connection);
  }

  handleCopyInResponse(connection: unknown): void {
    this.#inner.handleCopyInResponse?.(connection);
  }

  handleCopyData(message: unknown, connection: unknown): void {
    this.#inner.handleCopyData?.(message, connection);
  }

  handleError(error: Error, connection: unknown): void {
    if (this.#beginPhase) {
      // The server skipped the statement's Parse: pg must not believe it submitted.
      this.#beginFailed = true;
      const name = this.#inner.name;
      if (name !== undefined) forgetSubmittedStatement(submittedOn(connection), name);
    }
    this.#inner.handleError(error, connection);
  }

  handleReadyForQuery(connection: unknown): void {
    const submitError = this.#submitError;
    if (submitError !== undefined) {
      this.#submitError = undefined;
      this.#inner.callback?.(submitError);
      return;
    }
    this.#inner.handleReadyForQuery(connection);
  }
}
