import {
  type CommandCompleteMessage,
  type ProtocolConnection,
  QueryBase,
  submittedOn,
} from './pg-internals.js';
import { NO_TYPES, parseCommandTag } from './protocol-query.js';

/**
 * What both directions of COPY share as queries of pg's client: the statement goes out through
 * the extended protocol (Parse, Bind, Execute, Sync), result rows are not expected, and the
 * CommandComplete tag (`COPY n`) gives the row count.
 *
 * The extended protocol because the server parses one statement there and refuses several
 * ("cannot insert multiple commands into a prepared statement", 42601) before running any:
 * `copyFrom('COPY t FROM STDIN; DROP TABLE x', …)` runs nothing. (A simple Query message would
 * run every statement in the string.) The Sync after Execute is ignored by the server during
 * COPY FROM STDIN (by design, for clients like this one), so `CopyInQuery` sends another after
 * CopyDone or CopyFail; for COPY TO STDOUT it ends the exchange as usual.
 *
 * @internal
 */
export abstract class CopyQuery extends QueryBase {
  #protocol: ProtocolConnection | undefined;
  #rowCount = 0;

  /** Rows the server reported copied (known at the end). */
  get rowCount(): number {
    return this.#rowCount;
  }

  /** The connection the statement was sent on (set by `submit`). */
  protected get protocol(): ProtocolConnection {
    return this.#protocol as ProtocolConnection;
  }

  submit(connection: unknown): Error | null {
    const protocol = submittedOn(connection);
    this.#protocol = protocol;
    protocol.stream.cork();
    try {
      protocol.parse({ text: this.text, name: '', types: NO_TYPES });
      protocol.bind({ statement: '', values: NO_TYPES });
      protocol.execute();
      protocol.sync();
    } finally {
      protocol.stream.uncork();
    }
    return null;
  }

  handleRowDescription(): void {}

  handleDataRow(): void {}

  handleCommandComplete(message: CommandCompleteMessage): void {
    this.#rowCount = parseCommandTag(message.text)?.rowCount ?? 0;
  }

  handleEmptyQuery(): void {}
}
