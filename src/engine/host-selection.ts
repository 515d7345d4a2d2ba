import { mask } from '../errors/translate-error.js';
import { type HostAttempt, NoSuitableHostError } from '../errors/no-suitable-host-error.js';
import type { MultiHostTargets, ServerAddress } from './dsn.js';
import { formatHost, type TargetSessionAttrs } from './multi-host.js';

/** What a connection must find on its server: `prefer-standby` becomes `standby` or `any`. */
export type Requirement = Exclude<TargetSessionAttrs, 'prefer-standby'>;

/**
 * What the server said about itself: `in_hot_standby` and `default_transaction_read_only`
 * (reported by servers from 14 on at login and on every change), or for older servers
 * `pg_is_in_recovery()` and `transaction_read_only`.
 */
export interface SessionStatus {
  readonly inHotStandby: boolean;
  readonly readOnly: boolean;
}

/**
 * Why a session with `status` does not satisfy `requirement`, in libpq's words, or `undefined`
 * when it does. libpq's read-write also refuses a hot standby (its sessions are read-only).
 */
export function mismatch(requirement: Requirement, status: SessionStatus): string | undefined {
  const readOnly = status.readOnly || status.inHotStandby;
  switch (requirement) {
    case 'any':
      return undefined;
    case 'read-write':
      return readOnly ? 'session is read-only' : undefined;
    case 'read-only':
      return readOnly ? undefined : 'session is not read-only';
    case 'primary':
      return status.inHotStandby ? 'server is in hot standby mode' : undefined;
    case 'standby':
      return status.inHotStandby ? undefined : 'server is not in hot standby mode';
  }
}

/**
 * How long what a host did (refused, matched) counts when ordering hosts; after that it is tried
 * as if unknown (pgJDBC's `hostRecheckSeconds`, 10 s by default).
 */
const RECHECK_MS = 10_000;

interface HostState {
  readonly address: ServerAddress;
  /** Bumped when the server stops matching or a connection to it is lost: older clients are stale. */
  epoch: number;
  /** `up`: it accepted a connection (with `status`); `down`: it refused one. */
  known: 'unknown' | 'down' | 'up';
  status: SessionStatus | undefined;
  reason: string | undefined;
  at: number;
}

/** A host refused a connection (or did not match); the search moves on. Not part of the public API. */
export class HostRefusal extends Error {
  /** Read by connect-retries: a host that does not match now may after a failover. */
  readonly transientConnect: boolean;

  constructor(
    readonly selector: HostSelector,
    readonly index: number,
    readonly address: ServerAddress,
    readonly reason: string,
    readonly requirement: Requirement,
    cause: unknown,
  ) {
    super(`${formatHost(address.host, address.port)}: ${reason}`, cause === undefined ? {} : { cause });
    this.transientConnect = cause === undefined;
  }
}

/** A connected client's server, and the host epoch it was verified in. */
interface ClientRecord {
  readonly index: number;
  epoch: number;
}

/**
 * Chooses the server of each new connection of a multi-host engine, as libpq does for
 * `target_session_attrs` and `load_balance_hosts`, and remembers what each host did (as pgJDBC's
 * host status tracker) so that the pool does not knock at a dead server first on every connect:
 * hosts known to match come first, then unknown ones in the order given (or shuffled), then those
 * that refused, least recently refused first.
 *
 * It also marks connections stale: when a host stops matching (a primary turned read-only or in
 * recovery, a standby promoted) or a connection to it is lost, the host's epoch moves on and
 * every older connection to it is discarded instead of being handed out again.
 *
 * Not part of the public API.
 */
export class HostSelector {
  readonly targetSessionAttrs: TargetSessionAttrs;
  readonly #targets: MultiHostTargets;
  readonly #states: HostState[];
  readonly #clients = new WeakMap<object, ClientRecord>();
  readonly #secret: string | undefined;
  readonly #random: () => number;

  constructor(targets: MultiHostTargets, secret: string | undefined, random: () => number = Math.random) {
    this.#targets = targets;
    this.targetSessionAttrs = targets.targetSessionAttrs;
    this.#secret = secret;
    this.#random = random;
    this.#states = targets.hosts.map((address) => ({
      address,
      epoch: 0,
      known: 'unknown',
      status: undefined,
      reason: undefined,
      at: 0,
    }));
  }

  /** The server a new connection should try now, and what it must find there. */
  pick(): {
    readonly index: number;
    readonly address: ServerAddress;
    readonly requirement: Requirement;
    /** The host's epoch now: a connection that completes after it moved on is stale at once. */
    readonly epoch: number;
  } {
    const requirement = this.requirement();
    const now = performance.now();
    const order = this.#states.map((_, i) => i);
    if (this.#targets.loadBalanceHosts === 'random') {
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(this.#random() * (i + 1));
        [order[i], order[j]] = [order[j] as number, order[i] as number];
      }
    }
    // With `random` a host known to match is not preferred either: the load is spread.
    const sticky = this.#targets.loadBalanceHosts === 'random' ? 1 : 0;
    const score = (state: HostState): number => {
      if (state.known === 'unknown' || now - state.at >= RECHECK_MS) return 1;
      if (state.known === 'up' && state.status !== undefined && mismatch(requirement, state.status) === undefined) return sticky;
      return 2;
    };
    const ranked = order
      .map((index, position) => ({ index, position, state: this.#states[index] as HostState }))
      .map((entry) => ({ ...entry, score: score(entry.state) }))
      .sort((a, b) => a.score - b.score || (a.score === 2 ? a.state.at - b.state.at : 0) || a.position - b.position);
    const index = (ranked[0] as { index: number }).index;
    const state = this.#states[index] as HostState;
    return { index, address: state.address, requirement, epoch: state.epoch };
  }

  /**
   * What connections must find now: the engine's `targetSessionAttrs`, except that
   * `prefer-standby` asks for a standby until every host is known not to be one (down, or up
   * and not in hot standby), and then for any server, as libpq's second pass does.
   */
  requirement(): Requirement {
    const attrs = this.targetSessionAttrs;
    if (attrs !== 'prefer-standby') return attrs;
    const now = performance.now();
    const standbyPossible = this.#states.some(
      (state) =>
        state.known === 'unknown' ||
        now - state.at >= RECHECK_MS ||
        (state.known === 'up' && state.status?.inHotStandby !== false),
    );
    return standbyPossible ? 'standby' : 'any';
  }

  /** Records a refusal and returns the error that says so. */
  refuse(
    index: number,
    requirement: Requirement,
    reason: string,
    cause: unknown,
    status?: SessionStatus,
  ): HostRefusal {
    const state = this.#states[index] as HostState;
    state.known = status === undefined ? 'down' : 'up';
    state.status = status;
    state.reason = mask(reason, this.#secret);
    state.at = performance.now();
    return new HostRefusal(this, index, state.address, state.reason, requirement, cause);
  }

  /**
   * A client connected to host `index` and matched. It belongs to `epoch`, the host's epoch when
   * it started connecting: when the host was invalidated meanwhile (its login raced a demotion),
   * the client is stale at once and what it saw at login is not recorded.
   */
  connected(client: object, index: number, status: SessionStatus, epoch: number): void {
    const state = this.#states[index] as HostState;
    if (epoch === state.epoch) {
      state.known = 'up';
      state.status = status;
      state.reason = undefined;
      state.at = performance.now();
    }
    this.#clients.set(client, { index, epoch });
  }

  /**
   * A client's server no longer matches (`status` given) or the client's connection was lost:
   * when the client was current, every connection to that host made so far is stale.
   */
  invalidate(client: object, reason: string, status?: SessionStatus): void {
    const record = this.#clients.get(client);
    if (record === undefined) return;
    const state = this.#states[record.index] as HostState;
    if (record.epoch === state.epoch) {
      state.epoch++;
      state.known = status === undefined ? 'unknown' : 'up';
      state.status = status;
      state.reason = mask(reason, this.#secret);
      state.at = performance.now();
    }
    record.epoch = -1;
  }

  /** Discard this one client when it is released (its server may have turned read-only). */
  doom(client: object): void {
    const record = this.#clients.get(client);
    if (record !== undefined) record.epoch = -1;
  }

  /** True when `client` must not be used again: its host changed or was lost since it connected. */
  isStale(client: object): boolean {
    const record = this.#clients.get(client);
    return record !== undefined && record.epoch !== (this.#states[record.index] as HostState).epoch;
  }

  /**
   * A client from `connect` (the pool, or a fresh connection) that is not stale, trying host
   * after host: every {@link HostRefusal} moves on to the host {@link pick} chooses next, until
   * each host was refused under the current requirement; then a {@link NoSuitableHostError}
   * lists every host with its reason. Stale clients from the pool are `discard`ed on the way.
   */
  async connect<T extends object>(connect: () => Promise<T>, discard: (client: T) => void = () => {}): Promise<T> {
    const tried = new Map<number, HostRefusal>();
    const limit = 2 * this.#states.length + 1;
    for (let attempts = 0, stale = 0; ; ) {
      let client: T;
      try {
        client = await connect();
      } catch (error) {
        const refusal = refusalIn(error, this);
        if (refusal === undefined) throw error;
        attempts++;
        tried.delete(refusal.index);
        tried.set(refusal.index, refusal);
        const requirement = this.requirement();
        const complete =
          tried.size >= this.#states.length && [...tried.values()].every((one) => one.requirement === requirement);
        if (complete || attempts >= limit) throw this.#noSuitableHost([...tried.values()]);
        continue;
      }
      if (!this.isStale(client)) return client;
      discard(client);
      // Each stale client leaves the pool for good; the bound only guards against a host that
      // flaps faster than connections can be opened.
      if (++stale > 1_000) throw new Error('pgsa: host selection found only stale connections');
    }
  }

  #noSuitableHost(refusals: readonly HostRefusal[]): NoSuitableHostError {
    const hosts: HostAttempt[] = refusals.map((one) => ({
      host: one.address.host,
      port: one.address.port,
      reason: one.reason,
    }));
    const list = refusals.map((one) => one.message).join('; ');
    const database = this.#targets.hosts[0]?.database ?? '';
    const attrs = this.targetSessionAttrs === 'any' ? '' : `, target_session_attrs=${this.targetSessionAttrs}`;
    const count = this.#states.length;
    return new NoSuitableHostError(
      `could not connect to PostgreSQL (database ${database}${attrs}): ` +
        `no suitable server among ${count} host${count === 1 ? '' : 's'}: ${list}`,
      hosts,
      // No `cause`: connect-retries would judge by the last host alone; `errors` holds them all.
      refusals,
    );
  }
}

/** The {@link HostRefusal} of `selector` in `error`'s cause chain. */
function refusalIn(error: unknown, selector: HostSelector): HostRefusal | undefined {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 5; depth++) {
    if (current instanceof HostRefusal && current.selector === selector) return current;
    current = current.cause;
  }
  return undefined;
}

/** `error` with `note` (the connect-retries note) added to its message. */
export function withNote(error: NoSuitableHostError, note: string): NoSuitableHostError {
  if (note === '') return error;
  return new NoSuitableHostError(error.message + note, error.hosts, error.errors);
}
