import type pg from 'pg';
import { ConnectionTypes } from './connection-types.js';
import { lookUpType } from './type-catalog.js';
import { namedCodec, type TypeCodec } from './type-codec.js';
import type { TypeRegistry } from './type-registry.js';

/**
 * `engine.setTypeCodec`: looks the type up on `client` (one of the engine's connections) and
 * registers the codec for every connection of the engine; each new connection resolves the
 * name to its oid again when it opens.
 *
 * @throws TypeError for invalid arguments; ProgrammingError "unknown type …" when the database
 *   has no such type.
 * @internal
 */
export async function registerTypeCodec<T>(
  registry: TypeRegistry,
  client: pg.ClientBase,
  typeName: string,
  codec: TypeCodec<T>,
): Promise<void> {
  const named = namedCodec(typeName, codec);
  registry.add(named, await lookUpType(client, named));
}

/**
 * `conn.setTypeCodec`: registers the codec on this physical connection only (it stays with the
 * connection, as asyncpg's does, when it goes back to the pool).
 *
 * @throws as {@link registerTypeCodec}.
 * @internal
 */
export async function registerConnectionTypeCodec<T>(
  client: pg.ClientBase,
  typeName: string,
  codec: TypeCodec<T>,
): Promise<void> {
  const named = namedCodec(typeName, codec);
  const types = ConnectionTypes.of(client);
  if (types === undefined) throw new TypeError('setTypeCodec: this connection was not opened by a pgsa engine');
  await types.add(client, named);
}
