import type pg from 'pg';
import type { DatabaseError} from '../errors/database-error.js';
import { DataError, ProgrammingError } from '../errors/database-error.js';
import { InterfaceError, ResourceClosedError } from '../errors/pgsa-error.js';
import { describeStatement, type Naming, runNamed } from '../protocol/run-statement.js';
import { encodeParameters } from '../codecs/encode-parameters.js';
import { StatementCache } from '../protocol/statement-cache.js';
import { fetchValue } from '../result/fetch-value.js';
import type { ResultProxy, ScalarOf } from '../result/result-proxy.js';
import type { RowProxy } from '../result/row-shape.js';
import type { RowStream } from '../result/row-stream.js';
import type { ShapeCache } from '../result/shape-cache.js';
import type { Statement } from './compile-statement.js';
import { resultOf } from './result-of.js';
import type { StatementConnection } from './statement-connection.js';
import type { ExecuteOptions, StreamOptions } from './stream-options.js';

/** A result column of a prepared statement, as the server described it. */
export interface PreparedColumn {
  /** The column name, as the server reports it. */
  readonly name: string;
  /** The type's oid (`pg_type.oid`). */
  readonly typeOid: number;
  /** The type's name (`pg_type.typname`: `int4`, `text`, `_int4` for `int4[]` …). */
  readonly typeName: string;
}

/** A parameter of a prepared statement (`$1`, `$2` …), typed as the server inferred it. */
export interface PreparedParameter {
  /** The type's oid (`pg_type.oid`). */
  readonly typeOid: number;
  /** The type's name (`pg_type.typname`). */
  readonly typeName: string;
}

/**
 * What a prepared statement runs through: its connection, or the session that prepared it
 * (then every call runs inside the session's transaction).
 *
 * Not part of the public API: kept in the declarations because public ones refer to it.
 */
export interface PreparedHost {
  run<T>(operation: string, send: (conn: StatementConnection) => Promise<T>): Promise<T>;
  stream<Row>(sql: string, params: readonly unknown[], options: StreamOptions | undefined): RowStream<Row>;
  /** Why the host refuses every call now (a closed session), if it does. */
  closedError?(operation: string): Error | undefined;
}

type Status = 'open' | 'closed';

const TYPE_NAMES_SQL = 'select oid::int8::text as oid, typname from pg_type where oid = any($1::oid[])';

/**
 * A named server-side statement, prepared once on one connection (asyncpg's
 * `PreparedStatement`): each call sends only Bind/Execute with the parameters. Made by
 * `conn.prepare(q)` or `session.prepare(q)`; `close()` (or `await using`) deallocates it.
 *
 * It belongs to its connection: after the connection is released (or the session closed) it is
 * unusable (`InterfaceError`) and deallocated on the server before the connection's next
 * statement. When the server dropped it (`DISCARD ALL`, `DEALLOCATE`) or its result type changed
 * (a schema change), it is prepared again under a fresh name and the call retried — outside a
 * transaction; inside one the server has aborted the transaction and the call fails with
 * `StaleStatementError`, as the statement cache does.
 *
 * `columns` and `parameterTypes` are what the server described at `prepare()`.
 *
 * @example
 * ```ts
 * await using stmt = await conn.prepare<{ id: number; name: string }>('select id, name from users where id > $1');
 * stmt.columns;            // [{ name: 'id', typeOid: 23, typeName: 'int4' }, …]
 * const rows = await stmt.fetch(10);
 * const first = await stmt.fetchRow(10);
 * const n = await stmt.fetchVal(10);
 * ```
 */
export class PreparedStatement<Row> implements AsyncDisposable {
  /** The statement's SQL text. */
  readonly sql: string;
  /** The result columns, in order (`[]` for a statement that returns no rows). */
  readonly columns: readonly PreparedColumn[];
  /** The parameters' types, in order. */
  readonly parameterTypes: readonly PreparedParameter[];
  readonly #conn: StatementConnection;
  readonly #host: PreparedHost;
  readonly #cache: StatementCache;
  readonly #shapes: ShapeCache;
  readonly #statement: Statement;
  readonly #naming: Naming;
  #name: string;
  #status: Status = 'open';

  /** @internal Made by `conn.prepare` / `session.prepare`. */
  constructor(init: {
    conn: StatementConnection;
    host: PreparedHost;
    cache: StatementCache;
    shapes: ShapeCache;
    statement: Statement;
    name: string;
    columns: readonly PreparedColumn[];
    parameterTypes: readonly PreparedParameter[];
  }) {
    this.sql = init.statement.sql;
    this.columns = Object.freeze(init.columns.map((column) => Object.freeze({ ...column })));
    this.parameterTypes = Object.freeze(init.parameterTypes.map((type) => Object.freeze({ ...type })));
    this.#conn = init.conn;
    this.#host = init.host;
    this.#cache = init.cache;
    this.#shapes = init.shapes;
    this.#statement = init.statement;
    this.#name = init.name;
    this.#naming = {
      name: () => this.#name,
      invalidate: (name, reason) => {
        if (name !== this.#name) return;
        // A missing statement has nothing to deallocate; a changed one is dropped later.
        if (reason === 'missing') this.#cache.forget(name);
        else this.#cache.unpin(name);
        this.#name = this.#cache.pin(() => !this.#conn.closed);
      },
    };
  }

  /** True after `close()`, or once its connection was released. */
  get closed(): boolean {
    return this.#status === 'closed' || this.#conn.closed;
  }

  /**
   * Runs the statement with `params` and returns its result (as `conn.execute`).
   *
   * @throws ProgrammingError when the number of parameters is wrong; DataError (and other
   *   server errors) naming the statement's SQL; InterfaceError after `close()` or once its
   *   connection was released.
   * @example
   * ```ts
   * const result = await stmt.execute(10);
   * ```
   */
  execute(...params: unknown[]): Promise<ResultProxy<Row>> {
    return this.#execute('execute', params);
  }

  /** Every row (asyncpg's `fetch`). @throws as {@link PreparedStatement.execute} */
  async fetch(...params: unknown[]): Promise<RowProxy<Row>[]> {
    return (await this.#execute('fetch', params)).fetchAll();
  }

  /** The first row, or `null` (asyncpg's `fetchrow`). @throws as {@link PreparedStatement.execute} */
  async fetchRow(...params: unknown[]): Promise<RowProxy<Row> | null> {
    const result = await this.#execute('fetchRow', params);
    return result.returnsRows ? result.first() : null;
  }

  /**
   * The first column of the first row, or `null` (asyncpg's `fetchval`); use
   * `conn.fetchVal(stmt.sql, params, { column })` for another column.
   *
   * @throws as {@link PreparedStatement.execute}
   */
  async fetchVal(...params: unknown[]): Promise<ScalarOf<Row>> {
    return fetchValue((await this.#execute('fetchVal', params)) as ResultProxy<unknown>, 0) as never;
  }

  /**
   * Runs the statement once per parameter set in one exchange (as `conn.executeMany`: all
   * sets or none); resolves with the rows affected.
   *
   * @throws TypeError when `sets` is not an array of arrays; otherwise as `execute`.
   * @example
   * ```ts
   * await using insert = await conn.prepare('insert into users (name) values ($1)');
   * await insert.executeMany([['ann'], ['bob']]); // 2
   * ```
   */
  async executeMany(sets: readonly (readonly unknown[])[]): Promise<number> {
    if (!Array.isArray(sets) || !sets.every((set) => Array.isArray(set))) {
      throw new TypeError('executeMany expects an array of parameter arrays');
    }
    for (const set of sets) this.#values('executeMany', set);
    if (sets.length === 0) {
      this.#guard('executeMany');
      return 0;
    }
    const result = await this.#run('executeMany', { sets }, sets[0] as readonly unknown[]);
    return result.rowCount ?? 0;
  }

  /**
   * The statement's rows through a server-side cursor, `batchSize` at a time (as
   * `conn.stream`; the cursor runs the statement's SQL).
   *
   * @throws (from the loop) as `conn.stream`; InterfaceError (at once) after `close()`.
   */
  stream(params: readonly unknown[] = [], options?: StreamOptions): RowStream<Row> {
    return this.#host.stream<Row>(this.sql, this.#values('stream', params), options);
  }

  /**
   * Deallocates the statement on the server (`DEALLOCATE`). Harmless when repeated or after
   * its connection was released (the pool deallocates it then). Inside a failed transaction
   * the DEALLOCATE waits until the connection is idle again.
   */
  async close(): Promise<void> {
    if (this.#status === 'closed') return;
    this.#status = 'closed';
    const name = this.#name;
    if (this.#conn.closed) return;
    if (this.#conn.transactionFailed) {
      this.#cache.unpin(name);
      return;
    }
    this.#cache.forget(name);
    await this.#conn.query(`DEALLOCATE ${name}`, [], 'array');
  }

  /** `await using stmt = await conn.prepare(…)` closes it at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #execute(operation: string, params: readonly unknown[]): Promise<ResultProxy<Row>> {
    const values = this.#values(operation, params);
    const result = await this.#run(operation, values, values);
    return resultOf<Row>(result, this.#statement, this.#shapes);
  }

  #guard(operation: string): void {
    const hostClosed = this.#host.closedError?.(operation);
    if (hostClosed !== undefined) throw hostClosed;
    if (this.#status === 'closed') {
      throw new InterfaceError(
        `cannot ${operation}: the prepared statement was closed (prepare it again): ${this.sql}`,
      );
    }
    if (this.#conn.closed) {
      throw new ResourceClosedError(
        `cannot ${operation}: the prepared statement's connection was released; ` +
          `prepare it again on a connection you hold: ${this.sql}`,
      );
    }
  }

  /** The parameters, checked against the statement (a builder's own when none are given). */
  #values(operation: string, params: readonly unknown[]): readonly unknown[] {
    this.#guard(operation);
    const values = params.length === 0 ? this.#statement.parameters : params;
    const expected = this.parameterTypes.length;
    if (values.length !== expected) {
      throw new ProgrammingError(
        `the prepared statement takes ${expected} parameter${expected === 1 ? '' : 's'}, ` +
          `got ${values.length}: ${this.sql}`,
      );
    }
    return values;
  }

  async #run(
    operation: string,
    values: readonly unknown[] | { readonly sets: readonly (readonly unknown[])[] },
    echo: readonly unknown[],
  ): Promise<pg.QueryResult> {
    try {
      return await this.#host.run(operation, (conn) => {
        if (conn !== this.#conn) {
          throw new InterfaceError(`cannot ${operation}: the prepared statement belongs to another connection`);
        }
        this.#guard(operation);
        return conn.exchange(
          this.sql,
          echo,
          (client, _cache, secret) =>
            runNamed(client, this.#cache, this.#naming, this.sql, this.#encoded(client, values), 'array', secret),
          undefined as ExecuteOptions | undefined,
        );
      });
    } catch (error) {
      throw this.#named(error);
    }
  }

  /** The parameters with the type codecs' `encode` applied (the parameter types are known here). */
  #encoded(
    client: pg.ClientBase,
    values: readonly unknown[] | { readonly sets: readonly (readonly unknown[])[] },
  ): readonly unknown[] | { readonly sets: readonly (readonly unknown[])[] } {
    const oids = this.parameterTypes.map((parameter) => parameter.typeOid);
    if (Array.isArray(values)) return encodeParameters(client, oids, values as readonly unknown[]);
    const { sets } = values as { readonly sets: readonly (readonly unknown[])[] };
    return { sets: sets.map((set) => encodeParameters(client, oids, set)) };
  }

  /** A server error about the parameters, with the statement's SQL in its message. */
  #named(error: unknown): unknown {
    if (!(error instanceof DataError || error instanceof ProgrammingError)) return error;
    const Class = error.constructor as typeof DatabaseError;
    return new Class(`${error.message} (in prepared statement: ${this.sql})`, error, { cause: error });
  }
}

/**
 * Prepares `statement` on `conn` (Parse + Describe, through the connection's statement cache
 * machinery) and looks up its type names.
 *
 * @internal
 */
export async function prepareStatement<Row>(
  conn: StatementConnection,
  host: PreparedHost,
  shapes: ShapeCache,
  statement: Statement,
): Promise<PreparedStatement<Row>> {
  if (typeof statement.sql !== 'string' || statement.sql.trim() === '') {
    throw new TypeError('prepare expects a SQL statement');
  }
  let cache: StatementCache | undefined;
  let name = '';
  await conn.exchange(
    statement.sql,
    [],
    (client) => {
      const pinned = StatementCache.forPinned(client);
      cache = pinned;
      name = pinned.pin(() => !conn.closed);
      return describeStatement(client, pinned, statement.sql, name).catch((error: unknown) => {
        pinned.forget(name);
        throw error;
      });
    },
    undefined,
  );
  const pinned = cache as StatementCache;
  const description = pinned.description(name);
  const fields = description?.fields ?? [];
  const parameterOids = description?.parameterTypes ?? [];
  const oids = [...new Set([...fields.map((field) => field.dataTypeID), ...parameterOids])];
  const names = new Map<number, string>();
  if (oids.length > 0) {
    const found = await conn.query(TYPE_NAMES_SQL, [oids], 'array');
    for (const [oid, typname] of found.rows as unknown as [string, string][]) names.set(Number(oid), typname);
  }
  const typeName = (oid: number) => names.get(oid) ?? String(oid);
  return new PreparedStatement<Row>({
    conn,
    host,
    cache: pinned,
    shapes,
    statement,
    name,
    columns: fields.map((field) => ({ name: field.name, typeOid: field.dataTypeID, typeName: typeName(field.dataTypeID) })),
    parameterTypes: parameterOids.map((oid) => ({ typeOid: oid, typeName: typeName(oid) })),
  });
}
