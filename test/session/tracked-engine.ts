import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import type { Database } from '../../schema/database.js';
import { createEngine, type EchoEvent, type Engine, type EngineOptions } from '../../src/index.js';
import { observe, type TestDatabase } from '../support/test-database.js';

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

/** Options of {@link useTrackedEngine}. */
export interface TrackedEngineFixture {
  /** Create `parents`/`children` with a deferred foreign key (a COMMIT that fails). */
  readonly deferredChildren?: boolean;
}

/**
 * Registers the hooks a session test file needs: a tracked engine opened before the file,
 * tables emptied and the statement log cleared before each test, and after the file a check
 * that no connection leaked (`size == freeSize`) before the engine is closed.
 */
export function useTrackedEngine(db: TestDatabase, fixture: TrackedEngineFixture = {}): TrackedEngine {
  let current: TrackedEngine | undefined;
  const opened = (): TrackedEngine => {
    if (current === undefined) throw new Error('the tracked engine is opened in beforeAll');
    return current;
  };
  beforeAll(async () => {
    if (fixture.deferredChildren) {
      await observe(
        db.url,
        `create table parents (id int primary key);
         create table children (id serial primary key,
           parent_id int not null references parents (id) deferrable initially deferred)`,
      );
    }
    current = await trackedEngine(db.url);
  });
  beforeEach(async () => {
    const tables = fixture.deferredChildren ? 'users, emails, children' : 'users, emails';
    await observe(db.url, `truncate ${tables} restart identity cascade`);
    opened().statements.length = 0;
  });
  afterAll(async () => {
    const { engine } = opened();
    expect(engine.size).toBe(engine.freeSize);
    await engine.close();
    await engine.waitClosed();
  });
  return {
    get engine() {
      return opened().engine;
    },
    get statements() {
      return opened().statements;
    },
    acquires: () => opened().acquires(),
  };
}
