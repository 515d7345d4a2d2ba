import { OperationalError } from '../errors/database-error.js';
import type { ProtocolSocket } from '../protocol/pg-internals.js';
import { CANCEL_GRACE_MS } from './statement-timeout.js';

/**
 * Bounds every round trip on one connection when the engine has a `statementTimeoutMs`: the
 * server ends any statement after that long (its `statement_timeout`), so a connection that has
 * a request outstanding and has not received a byte for `statementTimeoutMs` plus a grace of
 * 2 s is talking to a server that can no longer answer (a network partition, a hung host). Its
 * socket is then destroyed with an `OperationalError`, which every call waiting on it receives.
 *
 * Uses the socket's own idle timer, armed only while a request is outstanding (an idle pooled
 * connection or a stream whose consumer is busy is silent by right), so a connection costs no
 * timer of its own.
 *
 * @internal
 */
export class ResponseWatchdog {
  readonly #socket: ProtocolSocket;
  readonly #limitMs: number;
  #outstanding = 0;

  /** A watchdog for `socket`, or `undefined` when the engine sets no `statementTimeoutMs`. */
  static of(socket: ProtocolSocket, statementTimeoutMs: number | undefined): ResponseWatchdog | undefined {
    return statementTimeoutMs ? new ResponseWatchdog(socket, statementTimeoutMs) : undefined;
  }

  private constructor(socket: ProtocolSocket, statementTimeoutMs: number) {
    this.#socket = socket;
    this.#limitMs = statementTimeoutMs + CANCEL_GRACE_MS;
    socket.on('timeout', () => {
      if (this.#outstanding === 0) return;
      socket.destroy(
        new OperationalError(
          `no answer from the server for ${this.#limitMs} ms (statementTimeoutMs of ` +
            `${statementTimeoutMs} ms plus ${CANCEL_GRACE_MS} ms): the connection was closed and ` +
            "the statement's outcome is unknown",
        ),
      );
    });
  }

  /** A request was sent: the server must answer within the limit. */
  begin(): void {
    if (this.#outstanding++ === 0) this.#socket.setTimeout(this.#limitMs);
  }

  /** Its answer arrived (or it failed). */
  end(): void {
    if (--this.#outstanding === 0) this.#socket.setTimeout(0);
  }
}
