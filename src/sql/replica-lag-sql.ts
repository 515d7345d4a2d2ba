/**
 * The replay lag of a hot standby in milliseconds, measured on the standby itself (the query
 * monitoring commonly uses, e.g. Prometheus's postgres_exporter): 0 when it has replayed all the WAL it
 * received — an idle primary sends nothing, so an idle standby is not "behind" —, else the age
 * of the last transaction it replayed (`now() - pg_last_xact_replay_timestamp()`). On a server
 * not in recovery (a promoted standby, or a primary listed as a replica) it is 0; when nothing
 * was replayed yet while WAL waits, it is `null` (unknown, treated as lagging).
 *
 * Known limits: a standby cut off from its primary receives nothing new, so it reads 0 until
 * it reconnects; the age is taken against the standby's clock (clock skew adds to it); and
 * just after a write that follows a long idle spell the age is that of the previous
 * transaction, so a standby may be skipped for one check interval while it replays.
 */
export const REPLICA_LAG_SQL =
  'select pg_is_in_recovery() as in_recovery, case ' +
  'when not pg_is_in_recovery() then 0 ' +
  'when pg_last_wal_receive_lsn() is null or pg_last_wal_receive_lsn() <= pg_last_wal_replay_lsn() then 0 ' +
  'else greatest(0, extract(epoch from now() - pg_last_xact_replay_timestamp()) * 1000)::float8 ' +
  'end as lag_ms';
