import type pg from 'pg';
import type { StatementCache } from '../protocol/statement-cache.js';
import type { ExecuteOptions } from './stream-options.js';

/** A result read in several round trips (a cursor, `COPY … TO STDOUT`), for {@link ExchangeHost.hold}. Not part of the public API: kept in the declarations because public ones refer to it. */
export interface HeldSource<T> {
  /** The items, read as the consumer asks for them. */
  items(): AsyncGenerator<T, void, undefined>;
  /** Rows read so far (for the echo). */
  rowCount(): number;
  /** Ends the read early and waits until the connection is ready for the next statement. */
  close(): Promise<void>;
}

/**
 * What the bulk helpers (executeMany, COPY in and out) need from a connection: its execution
 * path for one protocol exchange, and its hold for a result read in several round trips.
 * `SAConnection` implements it; the helpers never import the connection class.
 *
 * Not part of the public API: kept in the declarations because public ones refer to it.
 */
export interface ExchangeHost {
  /** Throws `ResourceClosedError` naming `operation` when the connection is closed. */
  guardOpen(operation: string): void;
  /**
   * One protocol exchange through the connection's queue, echo and error translation, under
   * `options`' timeout; `run` sends it on the client when its turn comes, `abort` stops an
   * exchange that waits on the client (a COPY reading its source).
   */
  exchange(
    sql: string,
    echoParameters: readonly unknown[],
    run: (client: pg.ClientBase, cache: StatementCache | undefined, secret: string | undefined) => Promise<pg.QueryResult>,
    options: ExecuteOptions | undefined,
    abort?: () => void,
  ): Promise<pg.QueryResult>;
  /** Holds the connection while `open`'s source is read (see `SAConnection.hold`). */
  hold<T>(
    sql: string,
    parameters: readonly unknown[],
    operation: string,
    open: (client: pg.ClientBase, translate: (error: unknown) => unknown, check: () => void) => HeldSource<T>,
  ): AsyncGenerator<T, void, undefined>;
}
