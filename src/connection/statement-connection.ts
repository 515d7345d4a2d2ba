import type pg from 'pg';
import type { RowMode } from '../protocol/protocol-query.js';
import type { TransactionFrames } from '../transaction/transaction-frames.js';
import type { ExchangeHost } from './exchange-host.js';

/**
 * What a prepared statement or a cursor needs of the connection it lives on (an
 * `SAConnection` implements it), so that they do not import the connection class.
 *
 * Not part of the public API: kept in the declarations because public ones refer to it.
 */
export interface StatementConnection extends ExchangeHost {
  readonly closed: boolean;
  readonly inTransaction: boolean;
  readonly transactionFailed: boolean;
  readonly frames: TransactionFrames;
  query(sql: string, parameters: readonly unknown[], rowMode: RowMode, timeoutMs?: number): Promise<pg.QueryResult>;
}
