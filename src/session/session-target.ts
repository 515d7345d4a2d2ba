import type pg from 'pg';
import type { KyselyHost } from '../dialect/kysely-host.js';
import { UnitTarget } from '../dialect/unit-target.js';
import type { RowMode } from '../protocol/protocol-query.js';
import type { CursorBatch } from '../protocol/stream-cursor.js';
import type { UnitSource } from '../transaction/kysely-transactions.js';

/**
 * What `session.db` needs from a session (a `Session` implements it): its lazy execution path
 * (connection, then `BEGIN`, then the connection's queue) and its units of work.
 *
 * Not part of the public API: kept in the declarations because public ones refer to it.
 */
export interface SessionHost<DB> extends UnitSource<DB> {
  /** Runs a statement inside the session's transaction (connecting and beginning it first). */
  query(sql: string, parameters: readonly unknown[], rowMode: RowMode): Promise<pg.QueryResult>;
  /** A cursor's batches inside the session's transaction, holding the session while read. */
  cursorBatches(
    sql: string,
    parameters: readonly unknown[],
    rowMode: RowMode,
    batchSize: number,
  ): AsyncGenerator<CursorBatch, void, undefined>;
}

/**
 * A session as pgsa's Kysely driver sees it, one per Kysely connection scope (a query or a
 * Kysely transaction), so concurrent Kysely transactions on one session each keep their own
 * unit of work: a Kysely transaction is the session's transaction when none is open (begun
 * with Kysely's isolation level and access mode) and a savepoint inside an open one.
 *
 * @internal
 */
export class SessionTarget<DB> extends UnitTarget<DB> {
  constructor(session: SessionHost<DB>) {
    super(session, () => session);
  }
}

/**
 * The host of `session.db`: a target per scope (one shared by single statements); releasing
 * does nothing, because the session's owner releases its connection.
 *
 * @internal
 */
export function sessionKyselyHost<DB>(session: SessionHost<DB>): KyselyHost<SessionTarget<DB>> {
  let shared: SessionTarget<DB> | undefined;
  return {
    acquire: async () => new SessionTarget(session),
    release: async () => {},
    queryTarget: () => (shared ??= new SessionTarget(session)),
  };
}
