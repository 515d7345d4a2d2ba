/**
 * Helpers of the read-replica tests: an engine on a {@link ReplicaSet} with its warnings
 * collected, and which server answered a read.
 */
import { expect } from 'vitest';
import { createEngine, type Engine, type EngineOptions, type PgsaLogger } from '../../src/index.js';
import type { ReplicaSet } from '../support/replication.js';

/** What a read reports about the server that ran it. */
export interface Answer {
  readonly port: number;
  readonly inRecovery: boolean;
}

export const WHERE_SQL = 'select inet_server_port() as port, pg_is_in_recovery() as "inRecovery"';

/** Warnings an engine logged. */
export function collectingLogger(): PgsaLogger & { readonly warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, warn: (message: string) => void warnings.push(message) };
}

/**
 * An engine on `set`'s primary with `set`'s standbys as replicas (unless `options.replicas`
 * says otherwise); pass it to `closeAll` in `afterEach`.
 */
export async function replicaEngine(
  set: ReplicaSet,
  options: EngineOptions = {},
): Promise<Engine & { readonly warnings: string[] }> {
  const logger = collectingLogger();
  const engine = await createEngine({
    connectionString: set.primary.url,
    replicas: set.standbys.map((standby) => standby.url),
    minSize: 1,
    maxSize: 4,
    logger,
    ...options,
  });
  return Object.assign(engine, { warnings: logger.warnings });
}

/** The server that ran `read`'s statement. */
export async function answeredBy(read: Promise<object | null>): Promise<Answer> {
  const row = (await read) as { port?: unknown; inRecovery?: unknown } | null;
  expect(row).not.toBeNull();
  return { port: Number(row?.port), inRecovery: row?.inRecovery === true };
}

/** Polls `check` every 20 ms until it is true, for at most `timeoutMs`. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A `postgres://` URL of `url`'s server without its password (the replica inherits it). */
export function withoutPassword(url: string): string {
  const parsed = new URL(url);
  parsed.password = '';
  return parsed.toString();
}
