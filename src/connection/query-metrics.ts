/** Upper bounds (ms) of the latency histogram's buckets; a last bucket catches the rest. */
export const LATENCY_BUCKETS_MS: readonly number[] = Object.freeze([1, 5, 10, 25, 50, 100, 250, 500, 1000, 5000]);

/** Statement latencies since the engine was created, from {@link Engine.stats}. */
export interface LatencySummary {
  /** Statements timed (succeeded and failed). */
  readonly count: number;
  /** Their total duration in ms (mean = `sumMs / count`). */
  readonly sumMs: number;
  /** The longest one, in ms (0 before the first). */
  readonly maxMs: number;
  /**
   * Cumulative histogram, as Prometheus: `buckets[i].count` statements took at most
   * `buckets[i].leMs` ms; the last bucket's `leMs` is `Infinity` and its count is `count`.
   */
  readonly buckets: readonly {
    /** The bucket's upper bound, ms (`Infinity` for the last). */
    readonly leMs: number;
    /** Statements that took at most `leMs`. */
    readonly count: number;
  }[];
}

/**
 * Query counters of one engine: every statement of its connections and of its pipelined path
 * records its duration and outcome here. A few additions and comparisons per statement.
 *
 * @internal
 */
export class QueryMetrics {
  #queries = 0;
  #errors = 0;
  #sumMs = 0;
  #maxMs = 0;
  readonly #buckets = new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0);

  /** One statement finished after `durationMs`; `failed` when it raised. */
  record(durationMs: number, failed: boolean): void {
    this.#queries++;
    if (failed) this.#errors++;
    this.#sumMs += durationMs;
    if (durationMs > this.#maxMs) this.#maxMs = durationMs;
    const bounds = LATENCY_BUCKETS_MS;
    let index = 0;
    while (index < bounds.length && durationMs > (bounds[index] as number)) index++;
    (this.#buckets[index] as number)++;
  }

  /** Statements run (succeeded and failed). */
  get queries(): number {
    return this.#queries;
  }

  /** Statements that failed. */
  get errors(): number {
    return this.#errors;
  }

  /** A snapshot of the latencies. */
  latency(): LatencySummary {
    let cumulative = 0;
    const buckets = this.#buckets.map((count, index) => {
      cumulative += count;
      return { leMs: LATENCY_BUCKETS_MS[index] ?? Number.POSITIVE_INFINITY, count: cumulative };
    });
    return { count: this.#queries, sumMs: this.#sumMs, maxMs: this.#maxMs, buckets };
  }
}
