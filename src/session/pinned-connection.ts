import type { SAConnection } from '../connection/sa-connection.js';

/**
 * A connection the test kit has pinned for an engine: while it is pinned, every session of
 * that engine runs on it, and its transactions are savepoints (`conn.beginNested()`) inside
 * the test's outer transaction.
 *
 * Not part of the public API: kept in the declarations because public ones refer to it.
 */
export interface PinnedConnection {
  readonly connection: SAConnection<unknown>;
}

// Keyed by engine object; a WeakMap so a forgotten pin never keeps an engine alive.
const pins = new WeakMap<object, PinnedConnection>();

/** The connection pinned for `engine`, if any. @internal */
export function pinnedConnection(engine: object): PinnedConnection | undefined {
  return pins.get(engine);
}

/**
 * Pins `connection` for `engine`.
 *
 * @returns false when another connection is already pinned for it.
 * @internal
 */
export function pinConnection(engine: object, pin: PinnedConnection): boolean {
  if (pins.has(engine)) return false;
  pins.set(engine, pin);
  return true;
}

/** Removes `pin` (only if it is still the one pinned). @internal */
export function unpinConnection(engine: object, pin: PinnedConnection): void {
  if (pins.get(engine) === pin) pins.delete(engine);
}
