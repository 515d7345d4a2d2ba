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
 * Deferred control statements — a transaction's `BEGIN …`, savepoint commands — written in the
 * same socket write as the statement they go out with, in one extended-protocol exchange:
 * Parse/Bind/Execute of each (the unnamed statement, no Sync), then the statement's own
 * messages and its Sync. The server runs them first; when one fails it skips everything up to
 * the Sync, so the statement never runs and the error reported is that control statement's
 * (see {@link prefixFailedAt}).
 *
 * It wraps the statement's query object (pgsa's `PreparedQuery` or pg's extended-protocol
 * `Query`): the prefix's answers (ParseComplete, BindComplete, CommandComplete) are taken
 * here, everything after them goes to the statement. While they arrive the wrapper shows pg's
 * client no statement name, so their ParseComplete is not taken for the named statement's.
 *
 * Only statements that run in the extended protocol may be wrapped: a simple-protocol Query
 * message after an unsynced BEGIN would be skipped with it on error and never answered.
 *
 * @internal
 */
export class BeginPrefixedQuery {
  readonly #prefix: readonly string[];
  readonly #inner: InnerQuery;
  /** Prefix statements whose CommandComplete has arrived. */
  #completed = 0;
  #prefixFailedAt: number | undefined;
  /** A statement that could not be written after the prefix was (reported at ReadyForQuery). */
  #submitError: Error | undefined;
  /** pg's client sets the result's type parsers through this (pg's own queries have one). */
  readonly _result: unknown;

  constructor(prefix: readonly string[], inner: pg.Submittable) {
    this.#prefix = prefix;
    this.#inner = inner as unknown as InnerQuery;
    this._result = this.#inner._result;
  }

  /** True while the prefix's answers arrive. */
  get #inPrefix(): boolean {
    return this.#completed < this.#prefix.length;
  }

  /**
   * The index of the prefix statement whose error was reported (the statement did not run);
   * `undefined` when the prefix succeeded.
   */
  get prefixFailedAt(): number | undefined {
    return this.#prefixFailedAt;
  }

  get text(): string {
    return this.#inner.text;
  }

  /** No name while the prefix's answers arrive (pg records ParseComplete under this name). */
  get name(): string | undefined {
    return this.#inPrefix ? undefined : this.#inner.name;
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
      // The common case: the prefix and the statement serialized into one buffer, one write.
      const messages = new MessageWriter();
      for (const statement of this.#prefix) messages.parse('', statement).bindExecute('', []);
      // A statement that cannot be written: the prefix still goes, and its refusal is reported
      // once the server answered (the transaction is then open).
      const error = inner.writeMessages(protocol, messages);
      if (error) this.#submitError = error;
      sendMessages(protocol, messages.sync().written());
      return null;
    }
    protocol.stream.cork();
    try {
      for (const statement of this.#prefix) {
        protocol.parse({ text: statement, name: '', types: NO_TYPES });
        protocol.bind({ statement: '', values: [] });
        protocol.execute();
      }
      const error = this.#inner.submit(connection);
      if (error) {
        // The prefix is on its way without a Sync: end the exchange so the server answers, and
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
    if (!this.#inPrefix) this.#inner.handleRowDescription(message);
  }

  handleDataRow(message: DataRowMessage): void {
    if (!this.#inPrefix) this.#inner.handleDataRow(message);
  }

  handleCommandComplete(message: CommandCompleteMessage, connection: unknown): void {
    if (this.#inPrefix) {
      this.#completed += 1;
      return;
    }
    this.#inner.handleCommandComplete(message, connection);
  }

  handleEmptyQuery(connection: unknown): void {
    if (!this.#inPrefix) this.#inner.handleEmptyQuery(connection);
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
    if (this.#inPrefix) {
      // The server skipped the statement's Parse: pg must not believe it submitted.
      this.#prefixFailedAt = this.#completed;
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
