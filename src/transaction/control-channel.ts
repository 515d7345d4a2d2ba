import type pg from 'pg';

/**
 * Sends one transaction-control statement (`BEGIN …`, `COMMIT`, `ROLLBACK`, `SAVEPOINT`,
 * `RELEASE`, `PREPARE TRANSACTION` …) and resolves with node-postgres' result. Every control
 * statement of a transaction object goes through one of these: by default the connection's
 * execution path (queue, echo, error translation); for a transaction Kysely began, the Kysely
 * connection's `executeQuery`, which Kysely's `log` wraps and which ends on that same path — so
 * Kysely's log and pgsa's echo show the same statements.
 *
 * Not part of the public API.
 */
export type SendControl = (sql: string) => Promise<pg.QueryResult>;
