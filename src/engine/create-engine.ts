import type { NoSchema } from '../sql/no-schema.js';
import { Engine } from './engine.js';
import { type EngineOptions, resolveEngineOptions } from './engine-options.js';

/**
 * Creates an {@link Engine}: validates the options, opens the pool and its `minSize`
 * connections up front (so a wrong address or password fails here, not on first use). With
 * `replicas`, it also waits for each replica's first lag check (bounded by
 * `connectTimeoutMs`); a replica that cannot be reached is skipped, never fatal.
 *
 * @param dsnOrOptions a `postgres://` URL, or {@link EngineOptions}.
 * @throws TypeError naming the option for invalid options (unknown keys, a port outside
 *   1-65535, negative sizes or timeouts, `minSize > maxSize`, an unparsable connection string),
 *   before anything connects;
 *   OperationalError naming host, port and database (never the password) when the server
 *   cannot be reached or rejects the login.
 * @example
 * ```ts
 * interface Database { users: { id: Generated<number>; name: string | null } }
 * const engine = await createEngine<Database>({
 *   connectionString: 'postgres://app:secret@localhost/app',
 *   minSize: 1,
 *   maxSize: 10,
 *   echo: true, // log every statement with its duration
 * });
 * ```
 */
export async function createEngine<DB = NoSchema>(
  dsnOrOptions: string | EngineOptions<DB>,
): Promise<Engine<DB>> {
  const { options, connection, replicas } = resolveEngineOptions(dsnOrOptions);
  const engine = new Engine<DB>(options, connection, replicas);
  await engine.open();
  return engine;
}
