import type { ConnectionOf } from './transaction-host.js';
import { commitPreparedSql, RECOVER_TWOPHASE_SQL, rollbackPreparedSql } from '../sql/transaction-sql.js';

/** `conn.recoverTwophase()`: xids prepared in the current database, oldest first. @internal */
export async function recoverTwophase<DB>(conn: ConnectionOf<DB>): Promise<string[]> {
  const result = await conn.query(RECOVER_TWOPHASE_SQL, [], 'array');
  return (result.rows as unknown as [string][]).map((row) => row[0]);
}

/** `conn.commitPrepared(xid)` @internal */
export async function commitPrepared<DB>(conn: ConnectionOf<DB>, xid: string): Promise<void> {
  await conn.query(commitPreparedSql(xid), [], 'object');
}

/** `conn.rollbackPrepared(xid)` @internal */
export async function rollbackPrepared<DB>(conn: ConnectionOf<DB>, xid: string): Promise<void> {
  await conn.query(rollbackPreparedSql(xid), [], 'object');
}
