import { observe, withClient } from './test-database.js';

// What a test learns about the database from outside pgsa: each helper opens its own connection.

/** Names in `users` as an independent connection sees them (committed data only), by id. */
export async function committedUsers(url: string): Promise<string[]> {
  const rows = await observe<{ name: string }>(url, 'select name from users order by id');
  return rows.map((row) => row.name);
}

/** Number of rows in `table`, counted by an independent connection. */
export async function countRows(url: string, table: string): Promise<number> {
  const [row] = await observe<{ n: number }>(url, `select count(*)::int as n from ${table}`);
  return row?.n ?? -1;
}

/** Resolves once `pid` is running a statement containing `marker` (seen from outside). */
export async function waitUntilRunning(url: string, pid: number, marker: string): Promise<void> {
  await withClient(url, async (client) => {
    for (let attempt = 0; attempt < 200; attempt++) {
      const { rows } = await client.query(
        `select 1 from pg_stat_activity where pid = $1 and state = 'active' and position($2 in query) > 0`,
        [pid, marker],
      );
      if (rows.length > 0) return;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`backend ${pid} never ran ${marker}`);
  });
}

/** Kills a backend from outside and waits until the server no longer lists it. */
export async function killBackend(url: string, pid: number): Promise<void> {
  await withClient(url, async (client) => {
    await client.query('select pg_terminate_backend($1)', [pid]);
    for (let i = 0; i < 200; i++) {
      const { rows } = await client.query('select 1 from pg_stat_activity where pid = $1', [pid]);
      if (rows.length === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`backend ${pid} did not exit`);
  });
}
