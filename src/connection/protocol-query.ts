import pg from 'pg';

/**
 * What pgsa's own protocol-level queries (`PreparedQuery`, `ExecuteManyQuery`, `CopyInQuery`)
 * share: the parts of node-postgres' protocol connection they write to, the base class that
 * makes node-postgres' client accept them as its own queries, and small parsers.
 *
 * @internal
 */

/** The parts of pg's protocol connection a submitted query writes to (pg calls `submit` with it). */
export interface ProtocolConnection {
  readonly parsedStatements: Record<string, string | undefined>;
  readonly submittedNamedStatements?: Record<string, string | undefined>;
  readonly stream: {
    cork?(): void;
    uncork?(): void;
    readonly writableLength?: number;
    write(chunk: Uint8Array): boolean;
    once(event: 'drain' | 'close', listener: () => void): unknown;
    removeListener(event: 'drain' | 'close', listener: () => void): unknown;
  };
  parse(message: { text: string; name: string; types: readonly number[] }): void;
  describe(message: { type: 'S'; name: string }): void;
  bind(message: { statement: string; values: readonly unknown[] }): void;
  execute(): void;
  sync(): void;
  sendCopyFromChunk(chunk: Uint8Array): void;
  endCopyFrom(): void;
  sendCopyFail(message: string): void;
}

/** The CommandComplete message pg's client hands a query (`text` is the tag). */
export interface CommandComplete {
  readonly text: string;
}

/** Parse without parameter types: the server infers them. */
export const NO_TYPES: readonly number[] = [];

/** A query's completion callback, as node-postgres calls it. */
export type QueryCallback = (error: Error | null | undefined, result?: pg.QueryResult) => void;

/** What pg's client reads of the queries it runs (`name` and `text` track parsed statements). */
interface QueryFields {
  text: string;
  name: string | undefined;
  callback: QueryCallback | undefined;
}

/**
 * pg's `Query`, typed as pg's client and pgsa's subclasses use it (@types/pg types it for
 * users). Extending it makes pg's client run a subclass as one of its own queries.
 */
export const QueryBase = pg.Query as unknown as new (text: string) => QueryFields;

/** pg's conversion of a JavaScript value to what it sends (text, a Buffer, or null). */
export const prepareValue = (pg as unknown as { utils: { prepareValue(value: unknown): unknown } })
  .utils.prepareValue;

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
export function whenDrained(stream: ProtocolConnection['stream'], resume: () => void): () => void {
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
