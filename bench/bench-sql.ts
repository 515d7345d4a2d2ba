import type { Generated } from 'kysely';

/**
 * The SQL every client runs, so all of them do exactly the same work on the server. The rows
 * are realistic (issue 18): `bench_users (id int pk, name text, email text, created_at
 * timestamptz, balance numeric(12,2))`, every column selected and touched by every client.
 */

/** Rows in `bench_users` (W1 and W2 pick ids in 1..ITEMS). */
export const ITEMS = 100_000;

/** The five columns, in order. */
export const COLUMNS = ['id', 'name', 'email', 'created_at', 'balance'] as const;

export const W1_SQL = 'select id, name, email, created_at, balance from bench_users where id = $1';
export const W2_SQL = 'select id, name, email, created_at, balance from bench_users where id >= $1 and id < $2';
export const W3_SQL = 'insert into bench_log (user_id, name, email, created_at, amount) values ($1, $2, $3, $4, $5)';
export const W5_SQL = 'insert into bench_bulk (n, payload) values ($1, $2)';
export const W4_SQL = "select i as id, 'row ' || i as name from generate_series(1, $1::int) as i";

/** Schema and data, created once per bench run (idempotent). */
export const SEED_SQL = `
  drop table if exists bench_users;
  drop table if exists bench_log;
  create table bench_users (
    id         int primary key,
    name       text not null,
    email      text not null,
    created_at timestamptz not null,
    balance    numeric(12,2) not null
  );
  insert into bench_users
    select i, 'user ' || i, 'user' || i || '@example.com',
           timestamptz '2024-01-01' + i * interval '1 minute', (i % 100000) / 100.0
    from generate_series(1, ${ITEMS}) as i;
  create table bench_log (
    id         bigserial primary key,
    user_id    int not null,
    name       text not null,
    email      text not null,
    created_at timestamptz not null,
    amount     numeric(12,2) not null
  );
  drop table if exists bench_bulk;
  create table bench_bulk (n int not null, payload text not null);
`;

/** The row of `bench_users` as every client reads it (numeric arrives as text). */
export interface UserRow {
  id: number;
  name: string;
  email: string;
  created_at: Date;
  balance: string;
}

/** Kysely types of the bench tables. */
export interface BenchDatabase {
  bench_users: UserRow;
  bench_log: {
    id: Generated<string>;
    user_id: number;
    name: string;
    email: string;
    created_at: Date;
    amount: string;
  };
  bench_bulk: { n: number; payload: string };
}

/** A random id such that a 100-row range starting there stays inside the table. */
export function randomId(span = 1): number {
  return 1 + Math.floor(Math.random() * (ITEMS - span + 1));
}

/** Reads all five columns of each row (what an application does with them), as a number. */
export function touchRows(rows: readonly UserRow[]): number {
  let total = 0;
  for (const row of rows) {
    total += row.id + row.name.length + row.email.length + (row.created_at.getTime() % 7) + row.balance.length;
  }
  return total;
}

/** The five values of W3's insert, as an application would pass them. */
export function logValues(): [number, string, string, Date, string] {
  const id = randomId();
  return [id, `user ${id}`, `user${id}@example.com`, new Date(), '12.34'];
}
