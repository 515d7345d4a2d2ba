/**
 * The executeMany, COPY, stream and cursor tests again, through the suite's PgBouncer in
 * transaction mode with `pgbouncer: true` (see test/support/pgbouncer-pass.ts). Skipped, saying
 * how to install PgBouncer, where it is missing; CI (PGSA_REQUIRE_PGBOUNCER=1) fails instead.
 */
import { describe, inject, it } from 'vitest';
import { enterPgBouncerPass } from '../support/pgbouncer-pass.js';

if (inject('pgBouncerUrl') === '') {
  it('runs the executeMany, COPY, stream and cursor tests through PgBouncer in transaction mode', (context) => {
    // Skipped only on a machine without PgBouncer; CI (PGSA_REQUIRE_PGBOUNCER=1) fails instead.
    context.skip(`no PgBouncer to run through: ${inject('pgBouncerNote')}`);
  });
} else {
  enterPgBouncerPass();
  describe('through PgBouncer: execute-many.test.ts', async () => {
    await import('../connection/execute-many.test.js');
  });
  describe('through PgBouncer: copy-from.test.ts', async () => {
    await import('../connection/copy-from.test.js');
  });
  describe('through PgBouncer: copy-to.test.ts', async () => {
    await import('../connection/copy-to.test.js');
  });
  describe('through PgBouncer: stream.test.ts', async () => {
    await import('../connection/stream.test.js');
  });
  describe('through PgBouncer: cursor.test.ts', async () => {
    await import('../conveniences/cursor.test.js');
  });
  describe('through PgBouncer: session-streams.test.ts', async () => {
    await import('../session/session-streams.test.js');
  });
}
