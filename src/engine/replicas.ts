import type pg from 'pg';
import type { SAConnection } from '../connection/sa-connection.js';
import type { LatencySummary } from '../connection/query-metrics.js';
import { REPLICA_LAG_SQL } from '../sql/replica-lag-sql.js';
import { ReplicaUnavailableError } from '../errors/replica-errors.js';
import type { ResolvedReplicaSettings } from './replica-options.js';

/**
 * What the read routing needs of an engine: the primary and each replica's own internal
 * engine implement it. Not part of the public API: kept in the declarations because public
 * ones refer to it.
 */
export interface ReadTarget<DB> {
  /** The connection string, password masked. */
  readonly dsn: string;
  /** True once the engine was closed. */
  readonly closed: boolean;
  /** Open connections, used and free. */
  readonly size: number;
  /** Open connections nobody holds. */
  readonly freeSize: number;
  /** Takes a pooled connection. */
  acquire(): Promise<SAConnection<DB>>;
  /** Runs one statement on the pipelined path, or `undefined` when it cannot. */
  queryAutocommit(
    sql: string,
    parameters: readonly unknown[],
    rowMode: 'array' | 'object',
  ): Promise<pg.QueryResult> | undefined;
  /** Live pool figures. */
  stats(): ReplicaPoolStats;
  /** Stops new acquires. */
  close(): Promise<void>;
  /** Resolves once every connection is closed. */
  waitClosed(): Promise<void>;
  /** Closes every connection now. */
  terminate(): Promise<void>;
}

/**
 * Live figures of one pool: an engine's own (`EngineStats` extends these) or a replica's (its
 * `minSize` is always 0: a replica's connections are opened on demand).
 */
export interface ReplicaPoolStats {
  /** Open connections, used and free (including ones being opened). */
  readonly size: number;
  /** Open connections nobody holds. */
  readonly free: number;
  /** Connections currently acquired. */
  readonly inUse: number;
  /** `acquire()` calls waiting for a connection. */
  readonly waiting: number;
  /** Connections the pool keeps open (the `minSize` option; 0 for a replica). */
  readonly minSize: number;
  /** Most connections open at once (the `maxSize` option, per replica for a replica). */
  readonly maxSize: number;
  /** `acquire()` calls since the pool was created. */
  readonly acquires: number;
  /** `acquire()` calls that ended in `PoolTimeoutError`. */
  readonly timeouts: number;
  /** Statements run since the pool was created (pooled and pipelined, failed ones and a replica's lag checks included). */
  readonly queries: number;
  /** Statements that failed. */
  readonly errors: number;
  /** Their latencies: count, sum, max and a cumulative histogram. */
  readonly latency: LatencySummary;
}

/**
 * Where a replica stands: `'unchecked'` before its first lag check, `'ready'` when it serves
 * reads, `'lagging'` when its replay lag exceeds `maxLagMs` (or cannot be told), `'down'`
 * when it could not be reached (retried after a growing back-off).
 */
export type ReplicaStatus = 'unchecked' | 'ready' | 'lagging' | 'down';

/** One replica in {@link EngineStats.replicas}. */
export interface ReplicaStats {
  /** The replica's connection string, password masked. */
  readonly dsn: string;
  /** Whether reads go there now, and if not why. */
  readonly status: ReplicaStatus;
  /** Replay lag in ms at the last check (0: all received WAL replayed); `null` when unknown. */
  readonly lagMs: number | null;
  /** When the last lag check succeeded (ms since the epoch), or `null`. */
  readonly checkedAt: number | null;
  /** Why the replica is down (password masked), or `null`. */
  readonly lastError: string | null;
  /** Reads of `engine.readonly` this replica served (statements and acquires). */
  readonly reads: number;
  /** Its own pool's figures. */
  readonly pool: ReplicaPoolStats;
}

/** First back-off before a replica that could not be reached is tried again; it doubles. */
const FIRST_BACKOFF_MS = 500;
/** Longest back-off before a replica that could not be reached is tried again. */
const MAX_BACKOFF_MS = 30_000;

/** One replica, its last measurement and its back-off. @internal */
export class Replica<DB> {
  readonly target: ReadTarget<DB>;
  status: ReplicaStatus = 'unchecked';
  lagMs: number | null = null;
  checkedAt: number | null = null;
  lastError: string | null = null;
  /** Failures in a row, for the back-off. */
  failures = 0;
  /** When it is checked next (ms since the epoch): the check interval, or a down one's back-off. */
  nextCheckAt = 0;
  reads = 0;

  constructor(target: ReadTarget<DB>) {
    this.target = target;
  }

  /** Reads in flight on it: connections in use or being opened. */
  get busy(): number {
    return this.target.size - this.target.freeSize;
  }
}

/**
 * An engine's read replicas: measures each one's replay lag every `checkIntervalMs` (one
 * unref'd timer, stopped by `close()`, each check bounded by a timeout), and picks the least
 * busy usable one per read (round-robin among equals). A replica that cannot be reached is
 * skipped and checked again after a back-off from 0.5 s doubling up to 30 s. The list is given whole at construction, so it can
 * come from the `replicas` option or from standbys found elsewhere.
 *
 * @internal
 */
export class Replicas<DB> {
  readonly #replicas: readonly Replica<DB>[];
  readonly #settings: ResolvedReplicaSettings;
  readonly #checkTimeoutMs: number;
  readonly #warn: (message: string) => void;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** When the pending timer fires (ms since the epoch). */
  #timerAt = Infinity;
  #checking: Promise<void> | undefined;
  #closing: Promise<void> | undefined;
  #cursor = 0;
  #fallbacks = 0;

  /**
   * @param checkTimeoutMs a lag check that takes longer marks its replica down.
   * @param warn where state changes are reported (already masked by the caller's secret).
   */
  constructor(
    targets: readonly ReadTarget<DB>[],
    settings: ResolvedReplicaSettings,
    checkTimeoutMs: number,
    warn: (message: string) => void,
  ) {
    this.#replicas = targets.map((target) => new Replica(target));
    this.#settings = settings;
    this.#checkTimeoutMs = checkTimeoutMs;
    this.#warn = warn;
  }

  /** What to do when none is usable. */
  get fallback(): ResolvedReplicaSettings['fallback'] {
    return this.#settings.fallback;
  }

  /** Reads of `engine.readonly` the primary served because no replica was usable. */
  get fallbacks(): number {
    return this.#fallbacks;
  }

  /** The replicas' masked connection strings. */
  get dsns(): readonly string[] {
    return this.#replicas.map((replica) => replica.target.dsn);
  }

  /** Runs the first check of every replica (failures only mark them down), then the timer. */
  async start(): Promise<void> {
    if (this.#replicas.length === 0) return;
    await this.check();
    this.#schedule();
  }

  /** Measures every replica whose back-off has passed; concurrent calls share one round. */
  check(): Promise<void> {
    this.#checking ??= Promise.all(
      this.#replicas.filter((replica) => replica.nextCheckAt <= Date.now()).map((replica) => this.#measure(replica)),
    ).then(() => {
      this.#checking = undefined;
    });
    return this.#checking;
  }

  /**
   * The least busy usable replica not in `tried`, or `undefined`. Usable: its last check
   * succeeded and its lag is within `maxLagMs`.
   */
  pick(tried?: ReadonlySet<Replica<DB>>): Replica<DB> | undefined {
    let best: Replica<DB> | undefined;
    const count = this.#replicas.length;
    // Starting at a moving position makes equal candidates take turns.
    const start = this.#cursor++ % Math.max(count, 1);
    for (let i = 0; i < count; i++) {
      const replica = this.#replicas[(start + i) % count] as Replica<DB>;
      if (replica.status !== 'ready' || replica.target.closed || tried?.has(replica)) continue;
      if (best === undefined || replica.busy < best.busy) best = replica;
    }
    return best;
  }

  /** Counts a read `replica` served. */
  served(replica: Replica<DB>): void {
    replica.reads++;
  }

  /** Counts a read the primary served instead. */
  fellBack(): void {
    this.#fallbacks++;
  }

  /**
   * `replica` could not be reached on the read path: skip it until its back-off passes. Reads
   * that failed together count once (the back-off grows with failed checks, not with traffic).
   */
  markDown(replica: Replica<DB>, error: unknown): void {
    if (replica.status === 'down') return;
    this.#down(replica, messageOf(error));
    // Its back-off may end before the pending timer fires (a check round reschedules anyway).
    if (this.#timer !== undefined && replica.nextCheckAt < this.#timerAt) {
      clearTimeout(this.#timer);
      this.#schedule();
    }
  }

  /** The error for a read when no replica is usable and falling back is off. */
  unavailable(): ReplicaUnavailableError {
    const reasons = this.#replicas.map((replica) => `${replica.target.dsn}: ${this.#reason(replica)}`);
    return new ReplicaUnavailableError(
      reasons.length === 0
        ? 'no replica is configured and replicaFallback is "fail"'
        : `no usable replica (replicaFallback is "fail"): ${reasons.join('; ')}`,
    );
  }

  /** Per-replica figures. */
  stats(): ReplicaStats[] {
    return this.#replicas.map((replica) => ({
      dsn: replica.target.dsn,
      status: replica.status,
      lagMs: replica.lagMs,
      checkedAt: replica.checkedAt,
      lastError: replica.lastError,
      reads: replica.reads,
      pool: poolFigures(replica.target.stats()),
    }));
  }

  /** Stops the checks and closes every replica's pool; resolves once all are closed. */
  close(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#closing ??= Promise.all(
      this.#replicas.map(async ({ target }) => {
        await target.close();
        await target.waitClosed();
      }),
    ).then(() => {});
    return this.#closing;
  }

  /** Closes every replica connection now, those in use included. */
  async terminate(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await Promise.all(this.#replicas.map(({ target }) => target.terminate()));
    await this.close();
  }

  /** Sleeps until the next replica is due (a check interval, or a down one's back-off). */
  #schedule(): void {
    if (this.#closing !== undefined) return;
    const next = Math.min(...this.#replicas.map((replica) => replica.nextCheckAt));
    this.#timerAt = Math.max(next, Date.now() + 10);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.check().then(() => this.#schedule());
    }, Math.max(next - Date.now(), 10));
    // Checking replicas never keeps the process alive.
    this.#timer.unref();
  }

  async #measure(replica: Replica<DB>): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`lag check timed out after ${this.#checkTimeoutMs} ms`)),
        this.#checkTimeoutMs,
      );
      timer.unref();
    });
    try {
      const row = await Promise.race([lagOf(replica.target), timeout]);
      if (this.#closing !== undefined) return;
      replica.failures = 0;
      replica.lastError = null;
      replica.checkedAt = Date.now();
      replica.nextCheckAt = replica.checkedAt + this.#settings.checkIntervalMs;
      replica.lagMs = row.lagMs;
      const maxLagMs = this.#settings.maxLagMs;
      const lagging = maxLagMs !== undefined && (row.lagMs === null || row.lagMs > maxLagMs);
      this.#transition(replica, lagging ? 'lagging' : 'ready');
    } catch (error) {
      if (this.#closing !== undefined || replica.target.closed) return;
      this.#down(replica, messageOf(error));
    } finally {
      clearTimeout(timer);
    }
  }

  #down(replica: Replica<DB>, message: string): void {
    replica.failures++;
    replica.lastError = message;
    const backoffMs = Math.min(FIRST_BACKOFF_MS * 2 ** (replica.failures - 1), MAX_BACKOFF_MS);
    replica.nextCheckAt = Date.now() + backoffMs;
    this.#transition(replica, 'down', ` (${message}; retrying in ${backoffMs} ms)`);
  }

  #transition(replica: Replica<DB>, status: ReplicaStatus, detail = ''): void {
    const previous = replica.status;
    replica.status = status;
    if (previous === status) return;
    if (status === 'ready' && previous === 'unchecked') return;
    this.#warn(`replica ${replica.target.dsn} is ${status}: ${this.#reason(replica)}${status === 'down' ? detail : ''}`);
  }

  #reason(replica: Replica<DB>): string {
    switch (replica.status) {
      case 'ready':
        return `ready, lag ${replica.lagMs ?? 0} ms`;
      case 'lagging':
        return replica.lagMs === null
          ? 'lag unknown (nothing replayed yet)'
          : `lagging ${Math.round(replica.lagMs)} ms behind (maxLagMs ${this.#settings.maxLagMs})`;
      case 'down':
        return `down (${replica.lastError ?? 'unreachable'})`;
      default:
        return 'not checked yet';
    }
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The figures of a replica's internal engine, without what only a primary has. */
function poolFigures(stats: ReplicaPoolStats): ReplicaPoolStats {
  const { size, free, inUse, waiting, minSize, maxSize, acquires, timeouts, queries, errors, latency } = stats;
  return { size, free, inUse, waiting, minSize, maxSize, acquires, timeouts, queries, errors, latency };
}

/** Runs {@link REPLICA_LAG_SQL} on the pipelined path if it can, else on a pooled connection. */
async function lagOf<DB>(target: ReadTarget<DB>): Promise<{ lagMs: number | null }> {
  const piped = target.queryAutocommit(REPLICA_LAG_SQL, [], 'object');
  let row: Record<string, unknown> | undefined;
  if (piped !== undefined) {
    row = (await piped).rows[0] as Record<string, unknown> | undefined;
  } else {
    const conn = await target.acquire();
    try {
      row = (await conn.execute(REPLICA_LAG_SQL)).fetchOne() as Record<string, unknown> | null ?? undefined;
    } finally {
      await conn.close();
    }
  }
  const lag = row?.lag_ms;
  return { lagMs: typeof lag === 'number' ? lag : null };
}

/**
 * A replica's internal engine's settings: the primary's, except that its connections are
 * opened on demand (a replica that is down must not hold up `createEngine` or log refills) and
 * a failed connection attempt is not retried (the read goes to another replica instead).
 *
 * @internal
 */
export function replicaEngineOptions<O extends { readonly minSize: number; readonly connectRetries: object }>(
  options: O,
): O {
  return Object.freeze({
    ...options,
    minSize: 0,
    connectRetries: Object.freeze({ attempts: 1, baseMs: 0, maxMs: 0 }),
  });
}
