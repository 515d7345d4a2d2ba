import { afterEach } from 'vitest';
import type { Database } from '../../schema/database.js';
import { createEngine, type EchoEvent, type Engine, type EngineOptions } from '../../src/index.js';
import { observe, type TestDatabase, withClient } from '../support/test-database.js';

/** What an engine logged: every statement (echo) and every warning. */
export interface Captured {
  readonly sql: string[];
  readonly events: EchoEvent[];
  readonly warnings: string[];
}

/** Engines made by one test file, terminated after each test. */
export function useEngines(db: TestDatabase) {
  const engines: Engine<Database>[] = [];
  afterEach(async () => {
    await Promise.all(engines.splice(0).map((e) => e.terminate()));
  });
  return async function engine(
    options: Omit<EngineOptions, 'connectionString'> = {},
  ): Promise<Engine<Database> & { captured: Captured }> {
    const captured: Captured = { sql: [], events: [], warnings: [] };
    const logger = {
      query: (event: EchoEvent) => {
        captured.events.push(event);
        captured.sql.push(event.sql);
      },
      warn: (message: string) => captured.warnings.push(message),
    };
    const created = await createEngine<Database>({
      connectionString: db.url,
      minSize: 1,
      maxSize: 4,
      echo: logger,
      logger,
      ...options,
    });
    engines.push(created);
    return Object.assign(created, { captured });
  };
}

/** Names in `users` as an independent connection sees them (committed data only). */
export async function committedNames(url: string): Promise<string[]> {
  const rows = await observe<{ name: string }>(url, 'select name from users order by id');
  return rows.map((row) => row.name);
}

/** Resets the sample table to one committed row, `first` (aiopg's fixture). */
export async function resetUsers(url: string): Promise<void> {
  await withClient(url, async (client) => {
    await client.query('delete from emails; delete from users');
    await client.query("insert into users (name) values ('first')");
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

/** A rendezvous for `parties` concurrent tasks, failing instead of hanging after `timeoutMs`. */
export function barrier(parties: number, timeoutMs = 5_000): () => Promise<void> {
  let arrived = 0;
  let release!: () => void;
  const all = new Promise<void>((resolve) => {
    release = resolve;
  });
  return async () => {
    arrived += 1;
    if (arrived === parties) release();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('barrier timed out')), timeoutMs);
    });
    try {
      await Promise.race([all, timeout]);
    } finally {
      clearTimeout(timer);
    }
  };
}
