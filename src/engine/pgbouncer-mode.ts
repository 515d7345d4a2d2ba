/**
 * Everything `createEngine({ …, pgbouncer: true })` changes, in one place.
 *
 * In transaction mode PgBouncer lends a server connection to a client for one transaction (or
 * one statement outside a transaction) and then to another client. Whatever lives in the server
 * session beyond a transaction is therefore lost, or worse, seen by another client:
 *
 * | What                                   | With `pgbouncer: true`                                     | Why |
 * | -------------------------------------- | ---------------------------------------------------------- | --- |
 * | Statement cache (named statements)     | off: `statementCacheSize` defaults to 0; any other value is a `TypeError` | a statement prepared on one server connection is missing on the next (PgBouncer < 1.21 has no protocol-level prepared statements); unnamed statements are parsed with each execution |
 * | `conn.prepare()` / `session.prepare()` | `NotSupportedError`                                        | a named server-side statement, same reason |
 * | `engine.listen`, `notifications`, `conn.listen` | `NotSupportedError`                               | notifications go to the server session that listened, which serves other clients a moment later (NOTIFY works) |
 * | `resetOnRelease: true`                 | `TypeError`                                                | the session belongs to PgBouncer: its `DISCARD` would run on whichever server connection is lent at that moment; how server connections are reset is PgBouncer's setting (`server_reset_query`, `server_reset_query_always`) |
 * | `statementTimeoutMs` (engine option)   | `TypeError`                                                | it is a startup parameter, which PgBouncer refuses (`unsupported startup parameter`); set it on the role or database, or pass `statementTimeoutMs` per call (a client-side timer and a cancel request, which PgBouncer forwards) |
 * | Pipelined autocommit path              | off: `pipelineConnections` defaults to 0 (an explicit value is honoured) | it keeps many statements in flight on one client connection and relies on PgBouncer keeping one server connection for that client until all are answered, which pgsa cannot check for every PgBouncer version (1.18 did in our tests) |
 * | Session `SET`, advisory locks, temporary tables, `WITH HOLD` cursors outside a transaction | not detectable: documented | they stay on a server connection other clients get next; use `SET LOCAL`, `pg_advisory_xact_lock` and objects that live inside one transaction, or set defaults on the role (`ALTER ROLE … SET …`) |
 * | `onConnect` settings                   | not detectable: documented                                 | the hook runs once per client connection to PgBouncer, not per server connection |
 * | `conn.backendPid`                      | PgBouncer's id, not a server process id                    | cancel requests still work: PgBouncer forwards them to the server connection the client holds |
 *
 * What works unchanged: transactions (all isolation levels, read only, deferrable), savepoints,
 * two-phase commit (`PREPARE TRANSACTION` ends the transaction; `COMMIT PREPARED` may run on any
 * server connection), `executeMany`, COPY in both directions, streams and cursors (a stream
 * outside a transaction holds its server connection until it ends), `notify`, cancel, and
 * sessions.
 *
 * @module
 */

/** Engine options whose meaning `pgbouncer: true` changes. Not part of the public API. */
export interface PgBouncerSensitiveOptions {
  readonly statementCacheSize?: number | undefined;
  readonly pipelineConnections?: number | undefined;
  readonly resetOnRelease?: boolean | undefined;
  readonly statementTimeoutMs?: number | undefined;
}

/** Defaults that differ behind PgBouncer. @internal */
export const PGBOUNCER_DEFAULTS = Object.freeze({
  statementCacheSize: 0,
  pipelineConnections: 0,
});

/**
 * Refuses, before anything connects, the engine options PgBouncer in transaction mode cannot
 * carry (see the table above).
 *
 * @throws TypeError naming the option, why, and what to do instead.
 * @internal
 */
export function checkPgBouncerOptions(options: PgBouncerSensitiveOptions): void {
  if (options.statementCacheSize !== undefined && options.statementCacheSize !== 0) {
    throw new TypeError(
      `statementCacheSize must be 0 with pgbouncer: true, got ${String(options.statementCacheSize)}: ` +
        'in transaction mode PgBouncer gives every transaction another server connection, where ' +
        "the cached (named) statements are missing; leave it out (unnamed statements are used)",
    );
  }
  if (options.resetOnRelease === true) {
    throw new TypeError(
      'resetOnRelease cannot be used with pgbouncer: true: the server session belongs to ' +
        'PgBouncer, which lends it to other clients between transactions; keep session state ' +
        'inside transactions (SET LOCAL, pg_advisory_xact_lock)',
    );
  }
  if (options.statementTimeoutMs !== undefined) {
    throw new TypeError(
      'statementTimeoutMs cannot be used with pgbouncer: true: it is sent as a startup ' +
        'parameter, which PgBouncer refuses; set statement_timeout on the role or database ' +
        "(ALTER ROLE app SET statement_timeout = '5s') or pass statementTimeoutMs per call",
    );
  }
}
