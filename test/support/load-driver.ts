import { sql } from 'kysely';
import { expect } from 'vitest';
import { type Engine, InterfaceError, PgsaError, PoolTimeoutError } from '../../src/index.js';
import { observe } from './test-database.js';

// A load driver for fault tests: writers run numbered units of work against an engine while the
// test breaks things, every unit's outcome is recorded as the caller saw it, and `verify` checks
// the database against those records from outside.

/**
 * `setup` SQL for the ledger the driver writes: two rows (parts 0 and 1) per unit, and a deferred
 * trigger that makes COMMIT itself slow when the transaction set `pgsa.slow_commit` (so a test
 * can break things while COMMIT runs).
 */
export const LEDGER_TABLE = `create table ledger (
    unit int not null, part int not null, writer int not null, primary key (unit, part));
  create function ledger_slow_commit() returns trigger language plpgsql as $$
    begin
      if current_setting('pgsa.slow_commit', true) = 'on' then perform pg_sleep(30); end if;
      return null;
    end $$;
  create constraint trigger ledger_slow_commit after insert on ledger
    deferrable initially deferred for each row execute function ledger_slow_commit()`;

/** `reset` SQL: the ledger emptied. */
export const EMPTY_LEDGER = 'truncate ledger';

/** The ledger as a Kysely table. */
export interface LedgerDB {
  ledger: { unit: number; part: number; writer: number };
}

/**
 * How a unit's two rows are written:
 * - `transaction`: `engine.transaction` with one INSERT per part (COMMIT after the callback);
 * - `pipelined`: one two-row INSERT through `engine.db` (the pipelined autocommit path);
 * - `executeMany`: `engine.executeMany` with one parameter set per part;
 * - `copy`: `engine.copyFrom('ledger', rows)`.
 */
export type WriteMode = 'transaction' | 'pipelined' | 'executeMany' | 'copy';

/**
 * Where a unit stops so that the test can break something at a known moment:
 * - `statement`: a statement that sleeps 30 s, its SQL containing `marker` (transaction mode: between
 *   the two INSERTs; pipelined and executeMany: the insert itself; copy: the data source waits for
 *   `until` after the first row, while `COPY` runs);
 * - `commit`: transaction mode only, COMMIT sleeps 30 s (see {@link LEDGER_TABLE});
 * - `idle`: transaction mode only, idle in transaction after the first INSERT until `until`;
 * - `before-commit`: transaction mode only, after both INSERTs, waits for `until` and then commits.
 */
export interface Stall {
  readonly at: 'statement' | 'commit' | 'idle' | 'before-commit';
  readonly marker: string;
  readonly until?: Promise<void> | undefined;
}

/**
 * What the caller can know of a unit: it `committed` (the call resolved), it `failed` before
 * anything could commit (rejected before COMMIT was sent, or never sent), or its fate is
 * `unknown` (the connection was lost while the commit was in flight).
 */
export type Outcome = 'committed' | 'failed' | 'unknown';

export interface UnitRecord {
  readonly unit: number;
  readonly writer: number;
  outcome?: Outcome | undefined;
  error?: unknown | undefined;
  /** How long the call took, ms. */
  ms?: number | undefined;
}

export interface LoadOptions {
  readonly writers: number;
  readonly mode: WriteMode | readonly WriteMode[];
  /** Stop starting units after this long (ms)… */
  readonly durationMs?: number | undefined;
  /** …or after this many units in all. */
  readonly units?: number | undefined;
  /** Pause between one writer's units (ms); default 0. */
  readonly pauseMs?: number | undefined;
}

/** What `verify` found, unit numbers listed. */
export interface LedgerCheck {
  readonly committed: number;
  readonly failed: number;
  readonly unknown: number;
  /** Committed units whose rows are missing. */
  readonly lostCommits: number[];
  /** Failed units whose rows are there, or rows of units never run. */
  readonly phantomRows: number[];
  /** Units with one part only (a torn write). */
  readonly torn: number[];
  /** Unknown units whose rows are there (they did commit). */
  readonly unknownLanded: number;
  /** Error class names and how often each was seen. */
  readonly errors: Record<string, number>;
  /** Errors that are not a PgsaError (each should be typed). */
  readonly untyped: unknown[];
  /** Longest single call, ms. */
  readonly slowestMs: number;
}

/** Runs units against `engine` until the duration or unit count is reached. */
export class LoadDriver {
  readonly records: UnitRecord[] = [];
  #next = 1;
  readonly #engine: Engine<LedgerDB>;

  constructor(engine: Engine<LedgerDB>) {
    this.#engine = engine;
  }

  /** Runs `options.writers` concurrent writers; resolves when every started unit has ended. */
  async run(options: LoadOptions): Promise<void> {
    const modes = typeof options.mode === 'string' ? [options.mode] : options.mode;
    const deadline = Date.now() + (options.durationMs ?? Infinity);
    const limit = options.units ?? Infinity;
    if (!Number.isFinite(deadline) && !Number.isFinite(limit)) {
      throw new TypeError('LoadDriver.run needs durationMs or units (loops must be bounded)');
    }
    const writer = async (id: number): Promise<void> => {
      for (let i = 0; Date.now() < deadline && this.#next <= limit; i++) {
        const mode = modes[(id + i) % modes.length] ?? 'transaction';
        await this.runUnit(id, mode);
        if (options.pauseMs) await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
      }
    };
    await Promise.all(Array.from({ length: options.writers }, (_, id) => writer(id)));
  }

  /** Runs one unit and records its outcome; never throws. */
  async runUnit(writer: number, mode: WriteMode, stall?: Stall): Promise<UnitRecord> {
    const record: UnitRecord = { unit: this.#next++, writer };
    this.records.push(record);
    const rows = [0, 1].map((part) => ({ unit: record.unit, part, writer }));
    const started = Date.now();
    // Set once nothing more can fail without the commit being in doubt.
    let commitSent = false;
    try {
      const engine = this.#engine;
      const sleep = stall?.at === 'statement' ? 30 : 0;
      const marker = stall ? `/* ${stall.marker} */` : '';
      if (mode === 'transaction') {
        await engine.transaction(async (conn) => {
          if (stall?.at === 'commit') await conn.execute("set local pgsa.slow_commit = 'on'");
          for (const row of rows) {
            await conn.execute(conn.db.insertInto('ledger').values(row));
            if (row.part > 0) continue;
            if (sleep) await conn.execute(`select pg_sleep(${sleep}) ${marker}`);
            if (stall?.at === 'idle') await stall.until;
          }
          if (stall?.at === 'before-commit') await stall.until;
          commitSent = true;
        });
      } else if (mode === 'pipelined') {
        commitSent = true;
        if (sleep) {
          await sql`insert into ledger (unit, part, writer)
            select ${record.unit}::int, p, ${writer}::int
            from generate_series(0, 1) p, pg_sleep(${sleep}) ${sql.raw(marker)}`.execute(engine.db);
        } else {
          await engine.db.insertInto('ledger').values(rows).execute();
        }
      } else if (mode === 'executeMany') {
        await engine.executeMany(
          `insert into ledger (unit, part, writer) select $1, $2, $3 from pg_sleep($4) ${marker}`,
          rows.map((row) => [row.unit, row.part, row.writer, row.part * sleep]),
        );
      } else {
        const until = stall?.until;
        async function* source(): AsyncGenerator<unknown[]> {
          for (const row of rows) {
            yield [row.unit, row.part, row.writer];
            if (until) await until;
          }
        }
        await engine.copyFrom('ledger', source(), { columns: ['unit', 'part', 'writer'] });
      }
      record.outcome = 'committed';
    } catch (error) {
      record.error = error;
      // Never sent: a pool timeout or misuse. Otherwise only a transaction whose callback had
      // not finished is known not to have committed.
      const neverSent = error instanceof PoolTimeoutError || error instanceof InterfaceError;
      record.outcome = neverSent || (mode === 'transaction' && !commitSent) ? 'failed' : 'unknown';
    } finally {
      record.ms = Date.now() - started;
    }
    return record;
  }

  /** Reads the ledger through an independent connection and compares it with the records. */
  async verify(url: string): Promise<LedgerCheck> {
    const rows = await observe<{ unit: number; parts: number }>(
      url,
      'select unit, count(*)::int as parts from ledger group by unit',
    );
    const found = new Map(rows.map((row) => [row.unit, row.parts]));
    const byUnit = new Map(this.records.map((record) => [record.unit, record]));
    const check = {
      committed: 0,
      failed: 0,
      unknown: 0,
      lostCommits: [] as number[],
      phantomRows: [] as number[],
      torn: [] as number[],
      unknownLanded: 0,
      errors: {} as Record<string, number>,
      untyped: [] as unknown[],
      slowestMs: 0,
    };
    for (const record of this.records) {
      const parts = found.get(record.unit) ?? 0;
      check.slowestMs = Math.max(check.slowestMs, record.ms ?? 0);
      if (parts === 1) check.torn.push(record.unit);
      if (record.outcome === 'committed') {
        check.committed++;
        if (parts !== 2) check.lostCommits.push(record.unit);
      } else if (record.outcome === 'failed') {
        check.failed++;
        if (parts > 0) check.phantomRows.push(record.unit);
      } else {
        check.unknown++;
        if (parts === 2) check.unknownLanded++;
      }
      if (record.error !== undefined) {
        const name = record.error instanceof Error ? record.error.constructor.name : typeof record.error;
        check.errors[name] = (check.errors[name] ?? 0) + 1;
        if (!(record.error instanceof PgsaError)) check.untyped.push(record.error);
      }
    }
    for (const unit of found.keys()) if (!byUnit.has(unit)) check.phantomRows.push(unit);
    return check;
  }
}

/**
 * The assertions every fault scenario makes on its ledger: no committed unit lost, no row that
 * should not be there, no torn unit, every error a typed PgsaError, every call bounded.
 */
export function expectLedgerIntact(check: LedgerCheck, options: { maxCallMs: number }): void {
  expect(check.lostCommits, 'committed units missing from the database').toEqual([]);
  expect(check.phantomRows, 'rows of failed or never-run units').toEqual([]);
  expect(check.torn, 'units with one of their two rows').toEqual([]);
  expect(check.untyped, 'errors that are not PgsaError').toEqual([]);
  expect(check.slowestMs, 'longest call (ms)').toBeLessThanOrEqual(options.maxCallMs);
}
