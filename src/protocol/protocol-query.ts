/**
 * What pgsa's own protocol-level queries (`PreparedQuery`, `ExecuteManyQuery`, the COPY
 * queries) share beyond pg's internals (those are in `pg-internals.ts`): parameter conversion,
 * the CommandComplete tag parser, waiting for the socket to drain.
 *
 * @internal
 */
import { type ProtocolSocket, prepareValue } from './pg-internals.js';

/** How a statement's rows are built: arrays of values, or objects keyed by column name. */
export type RowMode = 'array' | 'object';

/** Parse without parameter types: the server infers them. */
export const NO_TYPES: readonly number[] = [];

/** Parameters converted for sending: throws (a TypeError, usually) for a value pg cannot send. */
export function prepareValues(values: readonly unknown[]): unknown[] {
  const prepared = new Array<unknown>(values.length);
  for (let i = 0; i < values.length; i++) prepared[i] = prepareValue(values[i]);
  return prepared;
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
