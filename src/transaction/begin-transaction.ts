import { randomUUID } from 'node:crypto';
import type { ConnectionOf } from './transaction-host.js';
import { InterfaceError } from '../errors/pgsa-error.js';
import { NestedTransaction } from './nested-transaction.js';
import { Transaction } from './transaction.js';
import { quoteXid } from '../sql/quote.js';
import {
  beginSql,
  savepointSql,
  type TransactionOptions,
  validateTransactionOptions,
} from '../sql/transaction-sql.js';
import { TwoPhaseTransaction } from './two-phase-transaction.js';
import type { SendControl } from './control-channel.js';
import { publishTransaction } from '../diagnostics/channels.js';

/**
 * `conn.begin(options)`: begins with `BEGIN …` (deferred to the first statement unless its
 * control statements are routed through `send`) and returns the outermost transaction, or, when a
 * transaction is active, an inner transaction joined to the innermost one (nothing is sent).
 *
 * @internal
 */
export async function beginTransaction<DB>(
  conn: ConnectionOf<DB>,
  options: TransactionOptions | undefined,
  send?: SendControl,
): Promise<Transaction<DB>> {
  const { tx, sql } = startTransaction(conn, options, send);
  if (sql !== undefined) await open(conn, tx, sql, 'begin');
  return tx;
}

/**
 * `beginTransaction` without control routing, synchronously: its BEGIN is deferred to the first
 * statement, so nothing waits (a session's first statement takes no promise for it).
 *
 * @throws as `conn.begin()`.
 * @internal
 */
export function beginDeferredTransaction<DB>(
  conn: ConnectionOf<DB>,
  options: TransactionOptions | undefined,
): Transaction<DB> {
  return startTransaction(conn, options, undefined).tx;
}

/**
 * The transaction `begin()` returns, with the `BEGIN` still to be sent through `send` (`sql`),
 * or `sql` undefined: joined (nothing to send) or deferred (handed to the connection).
 */
function startTransaction<DB>(
  conn: ConnectionOf<DB>,
  options: TransactionOptions | undefined,
  send: SendControl | undefined,
): { tx: Transaction<DB>; sql: string | undefined } {
  const validated = validateTransactionOptions(options);
  conn.guardOpen('begin');
  const frames = conn.frames;
  const top = frames.top() as Transaction<DB> | undefined;
  if (top !== undefined) {
    if (!conn.inTransaction) {
      // Joining would silently autocommit every statement of the "inner" transaction.
      throw new InterfaceError(
        'cannot begin: the transaction pgsa opened on this connection was ended by a COMMIT or ' +
          'ROLLBACK sent as SQL; close() its transaction object first',
      );
    }
    if (Object.keys(validated).length > 0) {
      throw new InterfaceError(
        'cannot begin with isolationLevel, readOnly or deferrable: a transaction is already ' +
          'active on this connection and the inner one joins it',
      );
    }
    return { tx: new Transaction(conn, frames, top, true), sql: undefined };
  }
  if (conn.inTransaction) throw openedOutside('begin');
  const tx = new Transaction(conn, frames).routeControl(send);
  // Registered before BEGIN is sent so that a concurrent begin() joins it instead of sending a
  // second BEGIN.
  if (send !== undefined) return { tx, sql: beginSql(validated) };
  openDeferred(conn, tx, beginSql(validated));
  return { tx, sql: undefined };
}

/**
 * `conn.beginNested()`: a savepoint inside the active transaction, or a plain `BEGIN` when none
 * is open (as aiopg).
 *
 * @param send where its control statements go (default: the connection's execution path).
 * @param savepoint the savepoint's name (Kysely's `trx.savepoint(name)`); default: a name
 *   unique on the connection.
 * @internal
 */
export async function beginNestedTransaction<DB>(
  conn: ConnectionOf<DB>,
  send?: SendControl,
  savepoint?: string,
): Promise<NestedTransaction<DB>> {
  conn.guardOpen('beginNested');
  const frames = conn.frames;
  const top = frames.top() as Transaction<DB> | undefined;
  if (top === undefined && !conn.inTransaction) {
    const tx = new NestedTransaction(conn, frames, undefined, undefined).routeControl(send);
    if (send === undefined) openDeferred(conn, tx, 'BEGIN');
    else await open(conn, tx, 'BEGIN', 'begin');
    return tx;
  }
  // Inside a transaction begun with SQL (no frame) the savepoint has no enclosing object.
  const name = savepoint ?? frames.nextSavepointName();
  const tx = new NestedTransaction(conn, frames, top, name).routeControl(send);
  const sql = savepointSql(name);
  if (send === undefined && !conn.transactionFailed) {
    // Deferred to the next statement (issue 18). In a failed transaction it is sent now, so
    // that beginNested() itself raises the server's refusal.
    const command = conn.deferSavepointCommand(sql, (error) => {
      if (error === undefined) {
        publishTransaction(() => ({ event: 'savepoint', sql, backendPid: conn.backendPid, savepoint: name }));
      }
    });
    frames.push(tx);
    tx.deferredSavepoint(command);
    return tx;
  }
  await open(conn, tx, sql, 'savepoint', { savepoint: name });
  return tx;
}

/**
 * `conn.beginTwophase(xid?)`: `BEGIN` of a transaction to be prepared under `xid` (random when
 * omitted). The xid is validated before anything is sent.
 *
 * @internal
 */
export async function beginTwoPhaseTransaction<DB>(
  conn: ConnectionOf<DB>,
  xid: string | undefined,
): Promise<TwoPhaseTransaction<DB>> {
  const id = xid === undefined ? `pgsa-${randomUUID()}` : xid;
  quoteXid(id); // throws TypeError for an unusable xid before BEGIN is sent
  conn.guardOpen('beginTwophase');
  const frames = conn.frames;
  if (frames.depth > 0 || conn.inTransaction) {
    throw new InterfaceError(
      'cannot begin a two-phase transaction: a transaction is already in progress on this ' +
        'connection',
    );
  }
  const tx = new TwoPhaseTransaction(conn, frames, id);
  await open(conn, tx, 'BEGIN', 'begin', { xid: id });
  return tx;
}

/**
 * Opens `tx` (a BEGIN whose control statements take the connection's path) without a round
 * trip: the BEGIN is handed to the connection to go out with the transaction's first statement
 * (issue 18). A deferred BEGIN that the server refuses fails the statement that carried it,
 * with BEGIN's error, and the transaction.
 */
function openDeferred<DB>(conn: ConnectionOf<DB>, tx: Transaction<DB>, sql: string): void {
  conn.deferBegin(sql, (error) => {
    if (error === undefined) publishTransaction(() => ({ event: 'begin', sql, backendPid: conn.backendPid }));
  });
  conn.frames.push(tx);
  tx.deferredBegin();
}

/** Opens `tx`: pushes its frame and sends `sql` (popping the frame again when that fails). */
async function open<DB>(
  conn: ConnectionOf<DB>,
  tx: Transaction<DB>,
  sql: string,
  event: 'begin' | 'savepoint',
  details?: { savepoint?: string; xid?: string },
): Promise<void> {
  const frames = conn.frames;
  frames.push(tx);
  try {
    await tx.sendControl(sql);
  } catch (error) {
    frames.pop(tx);
    throw error;
  }
  publishTransaction(() => ({ event, sql, backendPid: conn.backendPid, ...details }));
}

function openedOutside(operation: string): InterfaceError {
  return new InterfaceError(
    `cannot ${operation}: a transaction begun with SQL (not through pgsa) is in progress on ` +
      'this connection; end it first, or use beginNested() / transaction() for a savepoint',
  );
}
