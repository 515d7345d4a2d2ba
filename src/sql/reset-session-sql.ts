/**
 * What `resetOnRelease` sends when a connection goes back to the pool: `DISCARD ALL` minus
 * `DEALLOCATE ALL` (node-postgres remembers which named statements it prepared on a client, so
 * dropping them behind its back would break it) and minus its refusal to run in a pipeline.
 * One round trip, simple protocol.
 */
export const RESET_SESSION_SQL =
  'CLOSE ALL; SET SESSION AUTHORIZATION DEFAULT; RESET ALL; UNLISTEN *; ' +
  'SELECT pg_advisory_unlock_all(); DISCARD PLANS; DISCARD TEMP; DISCARD SEQUENCES';
