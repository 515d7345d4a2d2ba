/**
 * Root of pgsa's DBAPI-style error hierarchy. Catch this to catch everything pgsa raises.
 *
 * @example
 * ```ts
 * try { await conn.execute('select 1/0') } catch (e) { if (e instanceof PgsaError) console.log(e.message) }
 * ```
 */
export class PgsaError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * Misuse of the API: a closed connection or result, an inactive transaction, concurrent use of
 * one connection, a session outside its context. Nothing was sent to the server.
 */
export class InterfaceError extends PgsaError {}

/** A closed (or row-less) `ResultProxy`, connection or engine was used. */
export class ResourceClosedError extends InterfaceError {}

/**
 * A row was read by a column name that two or more columns share (typically a join).
 * Read those columns by position with `row.at(i)` instead.
 */
export class AmbiguousColumnError extends InterfaceError {
  /** The shared column name. */
  readonly column: string;
  constructor(column: string) {
    super(
      `column "${column}" is ambiguous: the row has several columns with that name; ` +
        'read them by position with row.at(i) or alias them in the query',
    );
    this.column = column;
  }
}
