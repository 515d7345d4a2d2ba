/**
 * What pgsa's own protocol-level queries (`PreparedQuery`, `ExecuteManyQuery`, the COPY
 * queries) share beyond pg's internals (those are in `pg-internals.ts`): parameter conversion,
 * the CommandComplete tag parser, waiting for the socket to drain.
 *
 * Not part of the public API.
 */
import { DatabaseError, DataError, ProgrammingError } from '../errors/database-error.js';
import { isWellFormed } from '../sql/well-formed.js';
import { type ProtocolSocket, prepareValue } from './pg-internals.js';

/** How a statement's rows are built: arrays of values, or objects keyed by column name. */
export type RowMode = 'array' | 'object';

/** Parse without parameter types: the server infers them. */
export const NO_TYPES: readonly number[] = [];

/**
 * Parameters converted for sending, as node-postgres converts them (see {@link prepareParameter}).
 *
 * @throws ProgrammingError ("cannot send a parameter: … (parameter $n)") for a value that
 *   cannot be sent; DataError for a string with an unpaired UTF-16 surrogate (it has no UTF-8
 *   form). Both name the parameter's position.
 */
export function prepareValues(values: readonly unknown[]): unknown[] {
  const prepared = new Array<unknown>(values.length);
  for (let i = 0; i < values.length; i++) {
    try {
      prepared[i] = prepareParameter(values[i]);
    } catch (error) {
      throw atPosition(error, i + 1);
    }
  }
  return prepared;
}

/** `error` (pgsa's own refusal of a value) with the parameter's position in its message. */
function atPosition(error: unknown, position: number): unknown {
  if (!(error instanceof ProgrammingError || error instanceof DataError) || error.sqlstate !== undefined) return error;
  const Class = error instanceof DataError ? DataError : ProgrammingError;
  return new Class(`${error.message} (parameter $${position})`, {}, error.cause === undefined ? undefined : { cause: error.cause });
}

/**
 * `values` as node-postgres may be given them: the same array when every value is a
 * well-formed string, a number other than -0, a boolean, a bigint or null (pg only calls `toString()` on those: the hot path
 * allocates nothing), else the values converted by {@link prepareValues}, so that a value pg
 * would send wrongly (a Symbol, a function) or fail on with an untyped error (a circular
 * `toPostgres`) is refused with a `ProgrammingError` before anything is written.
 *
 * @throws ProgrammingError ("cannot send a parameter: …") for a value that cannot be sent;
 *   DataError for a string with an unpaired UTF-16 surrogate (it has no UTF-8 form).
 */
export function sendableValues(values: readonly unknown[]): readonly unknown[] {
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (typeof value === 'string') {
      if (!isWellFormed(value)) return prepareValues(values);
    } else if (value === 0) {
      if (Object.is(value, -0)) return prepareValues(values);
    } else if (value !== null && value !== undefined && (typeof value === 'object' || typeof value === 'symbol' || typeof value === 'function')) {
      return prepareValues(values);
    }
  }
  return values;
}

/**
 * One value converted as node-postgres converts a parameter (text, a Buffer, or null), with
 * what pg gets wrong refused first: a Symbol or a function (pg would send its `toString()`
 * text, i.e. store `Symbol(x)` or a function's source) anywhere in the value, also inside an
 * array or returned by `toPostgres()`; a `toPostgres()` that returns its own object or loops
 * (pg throws a plain `Error`); an array that contains itself (pg overflows the stack); an
 * object JSON cannot serialize (a cycle, a bigint). Array elements are converted here too, so
 * that pg only quotes the text this function returned (the result is what pg would produce).
 *
 * @throws ProgrammingError ("cannot send a parameter: …") for a value that cannot be sent;
 *   DataError for a string with an unpaired UTF-16 surrogate (it has no UTF-8 form).
 */
export function prepareParameter(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  const kind = typeof value;
  if (kind === 'string') return sendableText(value as string);
  if (kind !== 'object' && kind !== 'symbol' && kind !== 'function') return numberText(value);
  try {
    return prepareNested(value, []);
  } catch (error) {
    if (error instanceof DatabaseError) throw error;
    const reason = error instanceof RangeError ? 'the value nests without end (a cycle)' : describe(error);
    throw new ProgrammingError(`cannot send a parameter: ${reason}`, {}, { cause: error });
  }
}

// `seen` holds the arrays and toPostgres objects being converted: one met again is a cycle.
function prepareNested(value: unknown, seen: unknown[]): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'symbol' || typeof value === 'function') {
    throw new ProgrammingError(
      `cannot send a parameter: a ${typeof value} has no PostgreSQL representation`,
    );
  }
  if (typeof value === 'string') return sendableText(value);
  if (typeof value === 'number') return numberText(value);
  if (typeof value !== 'object') return prepareValue(value);
  if (value instanceof Date || ArrayBuffer.isView(value)) return prepareValue(value);
  if (Array.isArray(value)) return prepareValue(elementsOf(value, seen));
  if (seen.includes(value)) {
    throw new ProgrammingError(
      'cannot send a parameter: toPostgres() returned an object already being converted (a cycle)',
    );
  }
  const toPostgres = (value as { toPostgres?: unknown }).toPostgres;
  if (typeof toPostgres === 'function') {
    seen.push(value);
    const converted: unknown = toPostgres.call(value, prepareValue);
    const result = prepareNested(converted, seen);
    seen.pop();
    return result;
  }
  return prepareValue(value);
}

// An array with its elements converted: null, nested arrays and byte arrays keep their shape
// (pg formats them), every other element becomes the text pg would have made of it.
function elementsOf(array: readonly unknown[], seen: unknown[]): unknown[] {
  if (seen.includes(array)) throw new ProgrammingError('cannot send a parameter: the array contains itself');
  seen.push(array);
  const elements = array.map((element: unknown) =>
    element === null || element === undefined || ArrayBuffer.isView(element)
      ? element
      : Array.isArray(element)
        ? elementsOf(element, seen)
        : prepareNested(element, seen),
  );
  seen.pop();
  return elements;
}

/** A scalar's text as pg makes it, but `-0` keeps its sign (`String(-0)` is `'0'`). */
function numberText(value: unknown): string {
  return Object.is(value, -0) ? '-0' : String(value);
}

/** `text`, unless it has no UTF-8 form (Node would send U+FFFD in place of a lone surrogate). */
function sendableText(text: string): string {
  if (isWellFormed(text)) return text;
  throw new DataError(
    'cannot send a parameter: the string has an unpaired UTF-16 surrogate, which has no UTF-8 ' +
      'form (it would be stored as U+FFFD); fix the text or send it as bytes (a Buffer)',
    {},
  );
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The parts of a CommandComplete tag (`INSERT 0 5`, `UPDATE 3`, `SELECT 10`, `BEGIN`). */
export interface CommandTag {
  readonly command: string;
  readonly rowCount: number | null;
  readonly oid: number | null;
}

const COMMAND = /^([A-Za-z]+)(?: (\d+))?(?: (\d+))?/;

/** Parses a CommandComplete tag; `undefined` for one that names no command. */
export function parseCommandTag(text: string): CommandTag | undefined {
  const match = COMMAND.exec(text);
  if (match === null) return undefined;
  const command = match[1] as string;
  if (match[3] !== undefined) {
    return { command, oid: Number.parseInt(match[2] as string, 10), rowCount: Number.parseInt(match[3], 10) };
  }
  if (match[2] !== undefined) return { command, oid: null, rowCount: Number.parseInt(match[2], 10) };
  return { command, oid: null, rowCount: null };
}

/**
 * Calls `resume` once when `stream` drains, or closes (a closed socket never drains). Returns a
 * function that stops waiting.
 */
export function whenDrained(stream: ProtocolSocket, resume: () => void): () => void {
  const stop = (): void => {
    stream.removeListener('drain', done);
    stream.removeListener('close', done);
  };
  const done = (): void => {
    stop();
    resume();
  };
  stream.once('drain', done);
  stream.once('close', done);
  return stop;
}
