import type { Executable } from '../connection/sa-connection.js';
import { InterfaceError } from '../errors/pgsa-error.js';

/** What a builder or `sql` template compiles to. */
interface Compiles {
  compile(executorProvider: unknown): { readonly sql: string; readonly parameters: readonly unknown[] };
}

/**
 * The SQL and parameters of what `execute` accepts, compiled as `SAConnection` compiles them,
 * for a session stream (compiled at the call, run once the session has its connection).
 *
 * @throws InterfaceError when `params` come with anything but a SQL string.
 * @internal
 */
export function compileStatement(
  query: Executable<unknown> | string,
  params: readonly unknown[] | undefined,
  executorProvider: unknown,
): { readonly sql: string; readonly parameters: readonly unknown[] } {
  if (typeof query === 'string') return { sql: query, parameters: params ?? [] };
  if (params !== undefined) throw new InterfaceError('params are only accepted with a SQL string');
  if ('sql' in query && 'parameters' in query) return query;
  // Builders ignore the argument; a `sql` template needs an executor provider to compile.
  return (query as Compiles).compile(executorProvider);
}
