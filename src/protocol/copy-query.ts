import {
  type CommandCompleteMessage,
  type ProtocolConnection,
  QueryBase,
  submittedOn,
} from './pg-internals.js';
import { parseCommandTag } from './protocol-query.js';

/**
 * What both directions of COPY share as queries of pg's client: the statement goes out as a
 * simple Query message, result rows are not expected, and the CommandComplete tag (`COPY n`)
 * gives the row count.
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
    protocol.query(this.text);
    return null;
  }

  handleRowDescription(): void {}

  handleDataRow(): void {}

  handleCommandComplete(message: CommandCompleteMessage): void {
    this.#rowCount = parseCommandTag(message.text)?.rowCount ?? 0;
  }

  handleEmptyQuery(): void {}
}
