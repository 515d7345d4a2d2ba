/**
 * The PgBouncer pass: the files in test/pgbouncer/ run existing test files again, through the
 * suite's PgBouncer in transaction mode with `pgbouncer: true` (see engine-fixture.ts). A test
 * that cannot work there says so with `it.skipIf(notThroughPgBouncer('why'))`.
 */
import { inject } from 'vitest';

let active = false;

/** Starts the pass in this test file: engines made by `useEngines` from now on go through PgBouncer. */
export function enterPgBouncerPass(): void {
  if (inject('pgBouncerUrl') === '') throw new Error(inject('pgBouncerNote'));
  active = true;
}

/** True while this file runs through PgBouncer. */
export function throughPgBouncer(): boolean {
  return active;
}

/**
 * For `it.skipIf(…)` in a shared test file: true (skip) in the PgBouncer pass. `reason` says why
 * the test cannot work behind PgBouncer in transaction mode (the refusal itself is tested in
 * test/engine/pgbouncer-mode.test.ts).
 */
export function notThroughPgBouncer(reason: string): boolean {
  return active && reason !== '';
}

/** `url` (a URL of the suite's server, any database) through the suite's PgBouncer. */
export function viaPgBouncer(url: string): string {
  const bouncer = new URL(inject('pgBouncerUrl'));
  const redirected = new URL(url);
  redirected.hostname = bouncer.hostname;
  redirected.port = bouncer.port;
  return redirected.toString();
}

/** Why a test that kills or watches its server process by `conn.backendPid` is skipped in the pass. */
export const BY_BACKEND_PID =
  "finds the server process by conn.backendPid, which behind PgBouncer is PgBouncer's own id";

/** Why a test of the statement cache is skipped in the pass. */
export const STATEMENT_CACHE =
  'the statement cache (named statements) is off with pgbouncer: true';

/** Why a test of the engine option `statementTimeoutMs` is skipped in the pass. */
export const ENGINE_STATEMENT_TIMEOUT =
  'the engine option statementTimeoutMs is refused with pgbouncer: true (a startup parameter PgBouncer rejects)';
