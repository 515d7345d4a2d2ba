import { expect } from 'vitest';

/** A class of errors `rejection` may expect: any constructor, abstract or not. */
export type ErrorClass<E> = abstract new (...args: never[]) => E;

/**
 * The error `promise` rejects with, typed as `expected`. Fails the test when the promise
 * resolves, or rejects with something that is not an instance of `expected`; the caller then
 * asserts the message, `sqlstate`, `cause` … on the returned error.
 *
 * The one way tests assert an asynchronous failure; a synchronous throw stays
 * `expect(() => fn()).toThrow(…)`. Start it before the awaited work when the rejection comes
 * later (`const failed = rejection(running, OperationalError)`): the handler is attached at once,
 * so the promise never counts as unhandled.
 *
 * @example
 * ```ts
 * const error = await rejection(conn.execute('select 1 / 0'), DataError);
 * expect(error.message).toBe('division by zero');
 * expect(error.sqlstate).toBe('22012');
 * ```
 */
export async function rejection<E>(promise: PromiseLike<unknown>, expected: ErrorClass<E>): Promise<E> {
  let value: unknown;
  try {
    value = await promise;
  } catch (error) {
    expect(error, `rejected with ${describe(error)}`).toBeInstanceOf(expected);
    return error as E;
  }
  return expect.fail(`expected a rejection with ${expected.name}, but it resolved with ${describe(value)}`);
}

function describe(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
