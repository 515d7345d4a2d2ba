import type { Generated } from 'kysely';

/** The SQL every client runs, so all of them do exactly the same work on the server. */

/** Rows in `bench_items` (W1 and W2 pick ids in 1..ITEMS). */
export const ITEMS = 100_000;

export const W1_SQL = 'select id, name, value from bench_items where id = $1';
export const W2_SQL = 'select id, name, value, created from bench_items where id >= $1 and id < $2';
export const W3_SQL = 'insert into bench_log (payload) values ($1)';
export const W5_SQL = 'insert into bench_bulk (n, payload) values ($1, $2)';
export const W4_SQL = "select i as id, 'row ' || i as name from generate_series(1, $1::int) as i";

/** Schema and data, created once per bench run (idempotent). */
export const SEED_SQL = `
  drop table if exists bench_items;
  drop table if exists bench_log;
  create table bench_items (
    id      int primary key,
    name    text not null,
    value   int not null,
    created timestamptz not null
  );
  insert into bench_items
    select i, 'item ' || i, i % 1000, timestamptz '2024-01-01' + i * interval '1 minute'
    from generate_series(1, ${ITEMS}) as i;
  create table bench_log (id bigserial primary key, payload text not null);
  drop table if exists bench_bulk;
  create table bench_bulk (n int not null, payload text not null);

`;

/** Kysely types of the bench tables. */
export interface BenchDatabase {
  bench_items: { id: number; name: string; value: number; created: Date };
  bench_log: { id: Generated<string>; payload: string };
  bench_bulk: { n: number; payload: string };
}

/** A random id such that a 100-row range starting there stays inside the table. */
export function randomId(span = 1): number {
  return 1 + Math.floor(Math.random() * (ITEMS - span + 1));
}
