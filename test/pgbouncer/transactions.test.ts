/**
 * The transaction tests again, through the suite's PgBouncer in transaction mode with
 * `pgbouncer: true` (see test/support/pgbouncer-pass.ts). Skipped, saying how to install
 * PgBouncer, where it is missing; CI (PGSA_REQUIRE_PGBOUNCER=1) fails instead.
 */
import { describe, inject, it } from 'vitest';
import { enterPgBouncerPass } from '../support/pgbouncer-pass.js';

if (inject('pgBouncerUrl') === '') {
  it('runs the transaction tests through PgBouncer in transaction mode', (context) => {
    // Skipped only on a machine without PgBouncer; CI (PGSA_REQUIRE_PGBOUNCER=1) fails instead.
    context.skip(`no PgBouncer to run through: ${inject('pgBouncerNote')}`);
  });
} else {
  enterPgBouncerPass();
  describe('through PgBouncer: transaction.test.ts', async () => {
    await import('../transaction/transaction.test.js');
  });
  describe('through PgBouncer: nested-transaction.test.ts', async () => {
    await import('../transaction/nested-transaction.test.js');
  });
  describe('through PgBouncer: two-phase-transaction.test.ts', async () => {
    await import('../transaction/two-phase-transaction.test.js');
  });
  describe('through PgBouncer: run-in-transaction.test.ts', async () => {
    await import('../transaction/run-in-transaction.test.js');
  });
  describe('through PgBouncer: transaction-disposal.test.ts', async () => {
    await import('../transaction/transaction-disposal.test.js');
  });
  describe('through PgBouncer: kysely-transactions.test.ts', async () => {
    await import('../dialect/kysely-transactions.test.js');
  });
  describe('through PgBouncer: retry.test.ts', async () => {
    await import('../transaction/retry.test.js');
  });
  describe('through PgBouncer: session-transactions.test.ts', async () => {
    await import('../session/session-transactions.test.js');
  });
}
