import type { Database } from '../../schema/database.js';
import { createEngine, type EchoEvent, type Engine, type EngineOptions } from '../../src/index.js';
import { observe } from '../support/test-database.js';

/** An engine whose every statement is recorded (through `echo`), plus observer helpers. */
export interface TrackedEngine {
  readonly engine: Engine<Database>;
  /** SQL of every statement the engine sent, in order. */
  readonly statements: string[];
  /** Acquires since the engine was created. */
  acquires(): number;
}

/** Creates a tracked engine on `url`; close it with `engine.close()` + `waitClosed()`. */
export async function trackedEngine(
  url: string,
  options: Omit<EngineOptions, 'connectionString' | 'echo'> = {},
): Promise<TrackedEngine> {
  const statements: string[] = [];
  const engine = await createEngine<Database>({
    connectionString: url,
    minSize: 1,
    maxSize: 5,
    ...options,
    echo: { query: (event: EchoEvent) => void statements.push(event.sql) },
  });
  return { engine, statements, acquires: () => engine.stats().acquires };
}

/** Names of the users an independent connection sees, in insertion order. */
export async function committedUsers(url: string): Promise<string[]> {
  const rows = await observe<{ name: string }>(url, 'select name from users order by id');
  return rows.map((row) => row.name);
}
