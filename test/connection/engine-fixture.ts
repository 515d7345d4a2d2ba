import { afterAll, afterEach, beforeAll } from 'vitest';
import type { Database } from '../../schema/database.js';
import { createEngine, type Engine, type EngineOptions } from '../../src/index.js';
import { observe, type TestDatabase, withClient } from '../support/test-database.js';

/**
 * One engine for a test file, on that file's database, terminated after the file. Call at top
 * level; the returned function gives the engine inside tests.
 */
export function useEngine(
  db: TestDatabase,
  options: Omit<EngineOptions, 'connectionString'> = {},
): () => Engine<Database> {
  let engine: Engine<Database> | undefined;
  beforeAll(async () => {
    engine = await createEngine<Database>({ connectionString: db.url, ...options });
  });
  afterAll(async () => {
    await engine?.terminate();
  });
  return () => {
    if (engine === undefined) throw new Error('the engine is made in beforeAll');
    return engine;
  };
}

/**
 * For tests that need a fresh engine each (e.g. with their own options): `make(options)`
 * creates one on `db` from `defaults` + `options`; every engine made is terminated after each
 * test.
 */
export function useEngineFactory<DB = Database>(
  db: TestDatabase,
  defaults: Omit<EngineOptions, 'connectionString'> = {},
): (options?: Omit<EngineOptions, 'connectionString'>) => Promise<Engine<DB>> {
  const made: Engine<DB>[] = [];
  afterEach(async () => {
    await Promise.all(made.splice(0).map((engine) => engine.terminate()));
  });
  return async (options = {}) => {
    const engine = await createEngine<DB>({ connectionString: db.url, ...defaults, ...options });
    made.push(engine);
    return engine;
  };
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

/** Number of rows in `table`, counted by an independent connection. */
export async function countRows(url: string, table: string): Promise<number> {
  const [row] = await observe<{ n: number }>(url, `select count(*)::int as n from ${table}`);
  return row?.n ?? -1;
}

/** The error `promise` rejects with; fails the test when it resolves instead. */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the promise to reject');
}

/** A parameter value node-postgres cannot send: its `toPostgres()` throws a TypeError. */
export const UNSENDABLE = {
  toPostgres(): never {
    throw new TypeError('this value refuses to be sent');
  },
};
