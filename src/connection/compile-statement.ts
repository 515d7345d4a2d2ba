import type { QueryId } from 'kysely';
import { InterfaceError } from '../errors/pgsa-error.js';

/** A statement ready to send: SQL, parameters, and the id Kysely gave a compiled builder. */
export interface Statement {
  readonly sql: string;
  readonly parameters: readonly unknown[];
  readonly queryId?: QueryId | undefined;
}

/** What a builder or `sql` template is: something that compiles (Kysely's `Compilable`). */
interface Compiles {
  compile(executorProvider: unknown): Statement;
}

/**
 * The statement of what `execute` accepts — a SQL string with `params`, a `CompiledQuery`, a
 * builder or a `sql` template — compiled at the call (by connections and sessions alike).
 *
 * @param executorProvider what a `sql` template compiles with (builders ignore it): a Kysely
 *   of the same dialect.
 * @throws InterfaceError when `params` come with anything but a SQL string.
 * @internal
 */
export function compileStatement(
  query: object | string,
  params: readonly unknown[] | undefined,
  executorProvider: unknown,
): Statement {
  if (typeof query === 'string') return { sql: query, parameters: params ?? [] };
  if (params !== undefined) throw new InterfaceError('params are only accepted with a SQL string');
  if ('sql' in query && 'parameters' in query) return query as Statement;
  return (query as Compiles).compile(executorProvider);
}
