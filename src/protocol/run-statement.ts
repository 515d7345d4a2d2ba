import pg from 'pg';
import type { DatabaseError } from '../errors/database-error.js';
import { StaleStatementError, staleStatementReason } from '../errors/stale-statement-error.js';
import { translateError } from '../errors/translate-error.js';
import { ExecuteManyQuery } from './execute-many-query.js';
import type { QueryCallback } from './pg-internals.js';
import { PreparedQuery } from './prepared-query.js';
import { type RowMode, sendableValues } from './protocol-query.js';
import { afterError, runQuery } from './run-query.js';
import { BeginPrefixedQuery } from './begin-prefixed-query.js';
import type { StatementCache } from './statement-cache.js';

/**
 * Where a statement's name comes from when it is not the automatic cache's: an explicitly
 * prepared statement (`conn.prepare`) keeps its own, and gets a fresh one when the server
 * dropped it. Not part of the public API: kept in the declarations because public ones refer to it.
 */
export interface Naming {
  /** The name to run the statement under now. */
  name(): string;
  /** The server rejected `name` as stale (`reason`): use another one from now on. */
  invalidate(name: string, reason: string): void;
}

/**
 * Deferred control statements — a transaction's `BEGIN …`, savepoint commands — sent ahead of
 * the statement they are handed with (in the same write when the statement runs in the
 * extended protocol). Not part of the public API.
 */
export interface PendingPrefix {
  /** The statements, in order (e.g. `BEGIN`, `SAVEPOINT "pgsa_savepoint_1"`). */
  readonly statements: readonly string[];
  /**
   * Called once, when the server answered them: `undefined` when all succeeded, else the error
   * (untranslated) and the index of the statement that failed — the ones after it and the
   * statement carrying them did not run, and the statement rejects with the same error.
   */
  settle(error: Error | undefined, failedAt: number): void;
}

/**
 * Sends `prefix` in exchanges of its own, one statement each (ahead of something that cannot
 * carry it), and settles it. Resolves with the last statement's result; rejects with the error
 * of the statement that failed.
 *
 * @internal
 */
export function sendPrefix(client: pg.ClientBase, prefix: PendingPrefix): Promise<pg.QueryResult> {
  const { statements } = prefix;
  const next = (index: number): Promise<pg.QueryResult> =>
    runQuery(client, statements[index] as string).then(
      (result) => {
        if (index + 1 < statements.length) return next(index + 1);
        prefix.settle(undefined, statements.length);
        return result;
      },
      (error: Error) => {
        prefix.settle(error, index);
        throw error;
      },
    );
  return next(0);
}

/** Makes the query object that runs a statement under `name` (`undefined`: unnamed). */
type MakeQuery = (name: string | undefined, done: QueryCallback) => pg.Submittable;

/**
 * Sends one statement on `client` through its prepared-statement cache (when there is one):
 * parameterized SQL runs as a named server-side statement, prepared on first use.
 *
 * When the server rejects a cached statement (schema change: 0A000 "cached plan must not change
 * result type"; dropped statement: 26000; see `staleStatementReason`), the statement is
 * forgotten and, if the connection is outside a transaction, prepared again and retried once
 * — nothing was committed or aborted. Inside a transaction the server has already aborted it,
 * so a {@link StaleStatementError} is thrown instead. Other errors are rethrown untranslated (the caller translates them).
 *
 * Shared by `SAConnection.query` and the engine's pipelined autocommit path.
 *
 * @internal
 */
export function runStatement(
  client: pg.ClientBase,
  cache: StatementCache | undefined,
  sql: string,
  parameters: readonly unknown[],
  rowMode: RowMode,
  secret: string | undefined,
  begin?: PendingPrefix,
): Promise<pg.QueryResult> {
  if (begin !== undefined) return runAfterBegin(client, cache, sql, parameters, rowMode, secret, begin);
  if (cache === undefined) {
    let query: pg.Query;
    try {
      query = plainQuery(sql, parameters, rowMode, undefined);
    } catch (error) {
      // A parameter that cannot be sent: nothing was written.
      return Promise.reject(error as Error);
    }
    return runQuery(client, query);
  }
  const make: MakeQuery = (name, done) =>
    name === undefined
      ? plainQuery(sql, parameters, rowMode, done)
      : new PreparedQuery(cache, sql, name, parameters, rowMode, done);
  return run(client, cache, sql, parameters.length, secret, make, true);
}

/**
 * {@link runStatement} behind deferred control statements (`BEGIN`, savepoint commands): in the
 * same write and exchange when the statement can run in the extended protocol (it has
 * parameters, or is a single statement without `;`) and its values can be sent; otherwise the
 * prefix first, in round trips of its own, and the statement only when it succeeded. Either way
 * a failed prefix statement rejects with its own error and the statement does not run.
 */
function runAfterBegin(
  client: pg.ClientBase,
  cache: StatementCache | undefined,
  sql: string,
  parameters: readonly unknown[],
  rowMode: RowMode,
  secret: string | undefined,
  begin: PendingPrefix,
): Promise<pg.QueryResult> {
  let combinable = parameters.length > 0 || !sql.includes(';');
  if (combinable) {
    try {
      // Checked before BEGIN is written: a value that cannot be sent must fail the statement
      // alone, with BEGIN done, as when BEGIN went first.
      sendableValues(parameters);
    } catch {
      combinable = false;
    }
  }
  if (!combinable) {
    return sendPrefix(client, begin).then(() => runStatement(client, cache, sql, parameters, rowMode, secret));
  }
  const make: MakeQuery = (name, done) =>
    name === undefined || cache === undefined
      ? plainQuery(sql, parameters, rowMode, done, true)
      : new PreparedQuery(cache, sql, name, parameters, rowMode, done);
  return run(client, cache, sql, parameters.length, secret, make, true, undefined, begin);
}

/**
 * Runs `sql` once per parameter set in one exchange ({@link ExecuteManyQuery}), as a cached
 * statement when there is a cache, with the same stale-statement handling as
 * {@link runStatement}: outside a transaction nothing was applied, so it is retried.
 *
 * @internal
 */
export function runMany(
  client: pg.ClientBase,
  cache: StatementCache | undefined,
  sql: string,
  sets: readonly (readonly unknown[])[],
  secret: string | undefined,
): Promise<pg.QueryResult> {
  const make: MakeQuery = (name, done) => new ExecuteManyQuery(sql, name, sets, done);
  return run(client, cache, sql, sets[0]?.length ?? 0, secret, make, true);
}

/**
 * Prepares `sql` as the named statement `name` without running it (Parse + Describe + Sync),
 * recording its result columns and parameter types in `cache`. @internal
 */
export function describeStatement(
  client: pg.ClientBase,
  cache: StatementCache,
  sql: string,
  name: string,
): Promise<pg.QueryResult> {
  return runQuery(
    client,
    // No callback of its own: runQuery gives it one.
    new PreparedQuery(cache, sql, name, [], 'array', undefined as unknown as QueryCallback, 'describe') as unknown as pg.Query,
  );
}

/**
 * Runs an explicitly prepared statement (see {@link Naming}) once, or once per parameter set
 * (`sets`), with the same stale-statement handling as {@link runStatement}: outside a
 * transaction a dropped statement is prepared again under a fresh name and retried once.
 *
 * @internal
 */
export function runNamed(
  client: pg.ClientBase,
  cache: StatementCache,
  naming: Naming,
  sql: string,
  parameters: readonly unknown[] | { readonly sets: readonly (readonly unknown[])[] },
  rowMode: RowMode,
  secret: string | undefined,
): Promise<pg.QueryResult> {
  const make: MakeQuery = Array.isArray(parameters)
    ? (name, done) => new PreparedQuery(cache, sql, name as string, parameters, rowMode, done)
    : (name, done) =>
        new ExecuteManyQuery(sql, name, (parameters as { sets: readonly (readonly unknown[])[] }).sets, done);
  return run(client, cache, sql, 0, secret, make, true, naming);
}

// Written with pg's callback API and no async frames: this runs once per statement.
function run(
  client: pg.ClientBase,
  cache: StatementCache | undefined,
  sql: string,
  parameterCount: number,
  secret: string | undefined,
  make: MakeQuery,
  mayRetry: boolean,
  naming: Naming | undefined = undefined,
  begin: PendingPrefix | undefined = undefined,
): Promise<pg.QueryResult> {
  // Evicted statements are dropped ahead of this one, in one round trip; their failure
  // (already gone) must not fail the user's statement.
  const deallocations = cache?.takeDeallocations() ?? [];
  if (deallocations.length > 0) {
    const next = () => run(client, cache, sql, parameterCount, secret, make, mayRetry, naming, begin);
    return runQuery(client, deallocations.join('; ')).then(next, next);
  }
  const name = naming === undefined ? cache?.nameFor(sql, parameterCount) : naming.name();
  return new Promise((resolve, reject) => {
    let prefixed: BeginPrefixedQuery | undefined;
    const done: QueryCallback = (error, result) => {
      if (!error) {
        begin?.settle(undefined, begin.statements.length);
        resolve(result as pg.QueryResult);
        return;
      }
      // The transaction status read below is only current after ReadyForQuery.
      afterError(client, error, () => {
        if (begin !== undefined) {
          const failedAt = prefixed?.prefixFailedAt;
          if (failedAt !== undefined) {
            // A prefix statement's own error: the statement never ran.
            begin.settle(error, failedAt);
            reject(error);
            return;
          }
          begin.settle(undefined, begin.statements.length);
        }
        const reason = name === undefined ? undefined : staleStatementReason(error);
        if (reason === undefined || cache === undefined || name === undefined) {
          reject(error);
          return;
        }
        if (naming === undefined) cache.invalidate(sql, name);
        else naming.invalidate(name, reason);
        const idle = client.getTransactionStatus?.() === 'I';
        if (idle && mayRetry) {
          resolve(run(client, cache, sql, parameterCount, secret, make, false, naming));
        } else if (idle) {
          reject(error);
        } else {
          reject(staleInTransaction(error, reason, secret));
        }
      });
    };
    const query = make(name, done);
    if (begin === undefined) {
      client.query(query);
    } else {
      prefixed = new BeginPrefixedQuery(begin.statements, query);
      client.query(prefixed as unknown as pg.Submittable);
    }
  });
}

function staleInTransaction(error: Error, reason: string, secret: string | undefined): Error {
  const translated = translateError(error, secret) as DatabaseError;
  return new StaleStatementError(
    `cached prepared statement is no longer valid (${reason}: ${translated.message}); ` +
      'the transaction is aborted: roll it back and run it again ' +
      '(the statement will be prepared afresh)',
    translated,
    { cause: translated },
  );
}

/**
 * A pg `Query` for a statement outside the cache, in the cheapest form pg accepts: pg copies
 * a config object through its property descriptors on every query (≈ 1.5 µs for four keys,
 * more than the rest of the statement's client work), while SQL text with its values is
 * taken as is. Only array-mode rows need a config.
 */
function plainQuery(
  text: string,
  parameters: readonly unknown[],
  rowMode: RowMode,
  callback: QueryCallback | undefined,
  extended = false,
): pg.Query {
  // Refuses (ProgrammingError) what pg would send wrongly or fail on untyped; allocates nothing
  // for plain values.
  const values = sendableValues(parameters);
  if (extended && values.length === 0) {
    // Behind a deferred BEGIN: the extended protocol, so one Sync ends both (see runAfterBegin).
    const config: pg.QueryConfig & { queryMode: 'extended'; rowMode?: 'array' } =
      rowMode === 'array' ? { text, queryMode: 'extended', rowMode: 'array' } : { text, queryMode: 'extended' };
    return new pg.Query(config, undefined, callback);
  }
  if (rowMode !== 'array') {
    return new pg.Query(text, values.length > 0 ? (values as unknown[]) : undefined, callback);
  }
  const config: pg.QueryArrayConfig =
    values.length > 0 ? { text, values: values as unknown[], rowMode: 'array' } : { text, rowMode: 'array' };
  return new pg.Query(config, undefined, callback);
}
