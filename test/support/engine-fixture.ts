import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import type { Database } from '../../schema/database.js';
import {
  createEngine,
  type EchoEvent,
  type Engine,
  type EngineOptions,
  type PgsaLogger,
} from '../../src/index.js';
import { observe, type TestDatabase } from './test-database.js';
import { throughPgBouncer, viaPgBouncer } from './pgbouncer-pass.js';

/** Engine options; `connectionString` defaults to the file's database. */
export type TestEngineOptions = Omit<EngineOptions, 'connectionString'> & {
  readonly connectionString?: string | undefined;
};

/** What an engine logged: every statement (echo) and every warning. */
export interface Captured {
  /** SQL of every statement sent, in order. */
  readonly sql: string[];
  /** The echo event of every statement, in order. */
  readonly events: EchoEvent[];
  /** Every warning pgsa logged. */
  readonly warnings: string[];
}

/** An engine made by {@link useEngines}: a plain `Engine` plus what it logged. */
export type TestEngine<DB = Database> = Engine<DB> & { readonly captured: Captured };

/** How {@link useEngines} sets up a test file. */
export interface EngineFixtureOptions {
  /** Options of every engine the fixture makes; `make(options)` adds to (and overrides) them. */
  readonly defaults?: TestEngineOptions | undefined;
  /**
   * One engine for the whole file, `engines.shared`, made before the first test (`true`, or its
   * options on top of `defaults`); its `captured` is cleared before each test.
   */
  readonly shared?: boolean | TestEngineOptions | undefined;
  /** SQL run once by an independent connection before the shared engine is made (extra tables). */
  readonly setup?: string | undefined;
  /** SQL run by an independent connection before each test (a table reset; see sample-tables.ts). */
  readonly reset?: string | undefined;
  /**
   * Assert `size == freeSize` (no connection still held) before each engine is closed; default
   * true. An engine the test already closed or terminated passes trivially.
   */
  readonly leakCheck?: boolean | undefined;
}

/** The engines of one test file; see {@link useEngines}. */
export interface EngineFixture<DB = Database> {
  /** The file's engine (requires the `shared` option). */
  readonly shared: TestEngine<DB>;
  /**
   * A new engine on the file's database from `defaults` + `options`. Made inside a test (or a
   * `beforeEach` registered after `useEngines`) it is closed after that test; made in a
   * `beforeAll`, after the file.
   */
  make<D = DB>(options?: TestEngineOptions): Promise<TestEngine<D>>;
}

/**
 * The one engine fixture of the suite. Call it at a test file's top level, after
 * `useTestDatabase()`: it registers the hooks that make, observe and close the file's engines.
 *
 * Every engine records its statements and warnings in `captured` (through `echo` and `logger`;
 * a test that passes its own `echo` or `logger` replaces the recording). Before an engine is
 * closed the fixture checks that no connection leaked (`size == freeSize`, given a moment for a
 * connection being released or reopened to settle), then terminates it.
 *
 * @example
 * ```ts
 * const db = useTestDatabase();
 * const engines = useEngines(db, { defaults: { minSize: 1, maxSize: 4 }, shared: true, reset: EMPTY_USERS });
 *
 * it('commits', async () => {
 *   const insert = "insert into users (name) values ('ann')";
 *   await engines.shared.transaction((conn) => conn.execute(insert));
 *   expect(engines.shared.captured.sql).toEqual(['BEGIN', insert, 'COMMIT']);
 *   const tiny = await engines.make({ maxSize: 1 }); // closed after this test
 *   // …
 * });
 * ```
 */
export function useEngines<DB = Database>(
  db: TestDatabase,
  options: EngineFixtureOptions = {},
): EngineFixture<DB> {
  const leakCheck = options.leakCheck ?? true;
  const fileEngines: TestEngine<unknown>[] = [];
  const testEngines: TestEngine<unknown>[] = [];
  let inTest = false;
  let shared: TestEngine<DB> | undefined;

  async function make<D = DB>(overrides: TestEngineOptions = {}): Promise<TestEngine<D>> {
    const captured: Captured = { sql: [], events: [], warnings: [] };
    const logger: PgsaLogger = {
      query: (event) => {
        captured.events.push(event);
        captured.sql.push(event.sql);
      },
      warn: (message) => void captured.warnings.push(message),
    };
    // The fixture's options are written for the file's DB; an engine made for another `D` gets
    // the same options (an onConnect hook sees a connection of that engine).
    // In the PgBouncer pass (pgbouncer-pass.ts) the file's database is reached through PgBouncer.
    const bouncer = throughPgBouncer();
    const engine = await createEngine<D>({
      connectionString: bouncer ? viaPgBouncer(db.url) : db.url,
      echo: logger,
      logger,
      ...(bouncer ? { pgbouncer: true } : {}),
      ...options.defaults,
      ...overrides,
    } as EngineOptions<D>);
    const made = Object.assign(engine, { captured });
    (inTest ? testEngines : fileEngines).push(made as TestEngine<unknown>);
    return made;
  }

  async function closeAll(engines: TestEngine<unknown>[]): Promise<void> {
    const closing = engines.splice(0);
    try {
      if (leakCheck) {
        for (const engine of closing) await expectNoLeak(engine);
      }
    } finally {
      await Promise.all(closing.map((engine) => engine.terminate()));
    }
  }

  beforeAll(async () => {
    if (options.setup !== undefined) await observe(db.url, options.setup);
    if (options.shared) {
      shared = await make<DB>(options.shared === true ? {} : options.shared);
    }
  });
  beforeEach(async () => {
    inTest = true;
    if (options.reset !== undefined) await observe(db.url, options.reset);
    for (const engine of fileEngines) clear(engine.captured);
  });
  afterEach(async () => {
    inTest = false;
    await closeAll(testEngines);
  });
  afterAll(async () => {
    await closeAll(fileEngines);
  });

  return {
    get shared(): TestEngine<DB> {
      if (shared === undefined) {
        throw new Error(
          options.shared
            ? 'the shared engine is made in beforeAll: use it inside tests and hooks'
            : 'no shared engine: pass useEngines(db, { shared: true })',
        );
      }
      return shared;
    },
    make,
  };
}

/** Fails unless every open connection of `engine` is free, waiting briefly for one in transit. */
async function expectNoLeak(engine: Engine<unknown>): Promise<void> {
  for (let attempt = 0; attempt < 20 && engine.size !== engine.freeSize; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  expect(engine.size, 'connections still held when the fixture closes the engine').toBe(engine.freeSize);
}

function clear(captured: Captured): void {
  captured.sql.length = 0;
  captured.events.length = 0;
  captured.warnings.length = 0;
}
