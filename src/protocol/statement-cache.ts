import type pg from 'pg';
import { ConnectionTypes } from '../codecs/connection-types.js';
import { binaryTwin, type RawDecoder, rawTextDecoder } from '../codecs/raw-decoders.js';
import type { ObjectRowMaker } from './object-row.js';
import { forgetParsedStatement } from './pg-internals.js';

const caches = new WeakMap<pg.ClientBase, StatementCache>();

/**
 * A prepared statement's result columns as the server described them, with their decoders,
 * resolved once. `fields` is frozen and shared by every result of the statement.
 *
 * Not part of the public API: kept in the declarations because public ones refer to it.
 */
export interface StatementDescription {
  readonly fields: readonly pg.FieldDef[];
  /** Each column's text-format parser (what pg's client would use). */
  readonly parsers: readonly ((text: string) => unknown)[];
  /** Each column's parser applied to the field's bytes in a DataRow (text format). */
  readonly textDecoders: readonly RawDecoder[];
  /**
   * The result formats to bind once the statement is described, when some column has a binary
   * twin of its parser (see `binaryTwin`): a format code per column (1 = binary) and the
   * decoders of the fields in those formats. `undefined`: every column stays text.
   */
  readonly binary: { readonly formats: readonly number[]; readonly decoders: readonly RawDecoder[] } | undefined;
  /** The parameters' type oids, when the statement was described on its own (`prepare`). */
  readonly parameterTypes?: readonly number[] | undefined;
  /** The connection's codec version the parsers were resolved under (see `ConnectionTypes`). */
  readonly typesVersion: number;
  /** Builds the statement's object rows; made by the first result read as objects. */
  objectRow?: ObjectRowMaker | undefined;
}

/**
 * The automatic prepared-statement cache of one physical connection (like asyncpg's and
 * postgres.js'): the SQL text of a parameterized statement becomes a named server-side
 * statement on first use, so later runs skip the server's parse and plan. At most `capacity`
 * statements are kept; the least recently used one is deallocated when a new one needs room.
 *
 * Only statements with parameters are cached: those always take the extended protocol, while a
 * parameterless string may hold several statements (simple protocol), which cannot be prepared.
 *
 * The cache belongs to the pg client (it outlives one `acquire()`), hence the `WeakMap`.
 *
 * Not part of the public API.
 */
export class StatementCache {
  readonly #capacity: number;
  readonly #client: pg.ClientBase;
  readonly #types: ConnectionTypes | undefined;
  /** SQL text → statement name; Map order is recency order (oldest first). */
  readonly #names = new Map<string, string>();
  readonly #descriptions = new Map<string, StatementDescription>();
  /** The names in `#names`, for lookups by name. */
  readonly #live = new Set<string>();
  /** Names evicted or invalidated, deallocated on the server at the next safe moment. */
  #retired: string[] = [];
  #counter = 0;
  #newest: string | undefined;
  /**
   * Statements prepared explicitly (`conn.prepare`): outside the LRU, never evicted; each with
   * whether the connection that prepared it still holds this client (when not, it is retired).
   */
  readonly #pinned = new Map<string, () => boolean>();

  /** The cache of `client`, made on first use; `undefined` when caching is off (capacity 0). */
  static of(client: pg.ClientBase, capacity: number): StatementCache | undefined {
    if (capacity <= 0) return undefined;
    let cache = caches.get(client);
    if (cache === undefined) {
      cache = new StatementCache(client, capacity);
      caches.set(client, cache);
    }
    return cache;
  }

  /**
   * The cache of `client` for explicitly prepared statements: the automatic cache when there
   * is one, else one that caches nothing automatically (capacity 0) but keeps pinned names.
   */
  static forPinned(client: pg.ClientBase): StatementCache {
    let cache = caches.get(client);
    if (cache === undefined) {
      cache = new StatementCache(client, 0);
      caches.set(client, cache);
    }
    return cache;
  }

  private constructor(client: pg.ClientBase, capacity: number) {
    this.#client = client;
    this.#capacity = capacity;
    this.#types = ConnectionTypes.of(client);
  }

  /** Statements currently cached. */
  get size(): number {
    return this.#names.size;
  }

  /** The name `sql` is cached under, without touching recency; `undefined` when not cached. */
  peek(sql: string): string | undefined {
    return this.#names.get(sql);
  }

  /**
   * The statement name to run `sql` under, or `undefined` when it is not cached (no
   * parameters). Marks it as most recently used; may retire the least recently used one.
   */
  nameFor(sql: string, parameterCount: number): string | undefined {
    if (parameterCount === 0) return undefined;
    const names = this.#names;
    let name = names.get(sql);
    if (name !== undefined) {
      // Refresh recency only when it is not already the newest entry: most hot loops repeat
      // one statement, and delete + set costs more than this comparison.
      if (this.#newest !== sql) {
        names.delete(sql);
        names.set(sql, name);
        this.#newest = sql;
      }
      return name;
    }
    if (names.size >= this.#capacity) {
      const [oldestSql, oldestName] = names.entries().next().value as [string, string];
      names.delete(oldestSql);
      if (this.#newest === oldestSql) this.#newest = undefined;
      this.#retire(oldestName);
    }
    name = `pgsa_${++this.#counter}`;
    names.set(sql, name);
    this.#live.add(name);
    this.#newest = sql;
    return name;
  }

  /**
   * The result columns of the statement `name`, once described on this connection, while its
   * parsers are current (a type codec registered since makes the statement be described again).
   */
  description(name: string): StatementDescription | undefined {
    const description = this.#descriptions.get(name);
    if (description === undefined || this.#types === undefined) return description;
    return description.typesVersion === this.#types.version ? description : undefined;
  }

  /** Records what the server described for `name` (its parsers use the client's types). */
  describe(
    name: string,
    fields: readonly pg.FieldDef[],
    parameterTypes?: readonly number[],
  ): StatementDescription {
    const client = this.#client;
    const parsers = fields.map((field) => client.getTypeParser(field.dataTypeID, 'text') as (text: string) => unknown);
    const textDecoders = parsers.map(rawTextDecoder);
    const twins = fields.map((field, i) => binaryTwin(field.dataTypeID, parsers[i] as (text: string) => unknown));
    const description: StatementDescription = {
      fields: Object.freeze([...fields]),
      parsers,
      textDecoders,
      binary: twins.some((twin) => twin !== undefined)
        ? {
            formats: twins.map((twin) => (twin === undefined ? 0 : 1)),
            decoders: twins.map((twin, i) => twin ?? (textDecoders[i] as RawDecoder)),
          }
        : undefined,
      ...(parameterTypes === undefined ? {} : { parameterTypes: Object.freeze([...parameterTypes]) }),
      typesVersion: this.#types?.version ?? 0,
    };
    // Only names still in use are remembered: a retired one is never executed again.
    if (this.#live.has(name)) this.#descriptions.set(name, description);
    return description;
  }

  /**
   * Forgets the statement `name` of `sql` (after the server rejected it: schema change, or someone ran
   * `DEALLOCATE`/`DISCARD ALL`): its next use prepares it again under a fresh name.
   */
  invalidate(sql: string, name: string): void {
    // Concurrent (pipelined) statements that failed under the same name invalidate it once; a
    // fresh name another caller already prepared is left alone.
    if (this.#names.get(sql) !== name) return;
    this.#names.delete(sql);
    if (this.#newest === sql) this.#newest = undefined;
    this.#retire(name);
  }

  /**
   * A fresh name for a statement prepared explicitly, kept until {@link unpin} or until `alive`
   * says its connection let go of this client (then it is deallocated at the next safe moment).
   */
  pin(alive: () => boolean): string {
    const name = `pgsa_p${++this.#counter}`;
    this.#pinned.set(name, alive);
    this.#live.add(name);
    return name;
  }

  /** Stops keeping the pinned `name`: it is deallocated before the next statement, when idle. */
  unpin(name: string): void {
    if (this.#pinned.delete(name)) this.#retire(name);
  }

  /** Forgets the pinned `name` without deallocating it (the server has none, or it was just deallocated). */
  forget(name: string): void {
    this.#pinned.delete(name);
    this.#live.delete(name);
    this.#descriptions.delete(name);
    forgetParsedStatement(this.#client, name);
  }

  /**
   * `DEALLOCATE` statements for retired names, to send before the next statement. Empty while
   * the connection is in a failed transaction: the server would refuse them there, and a
   * failing DEALLOCATE inside a healthy transaction would abort it, so they only go out when
   * the connection is idle (outside any transaction).
   */
  takeDeallocations(): string[] {
    if (this.#pinned.size > 0) {
      for (const [name, alive] of this.#pinned) if (!alive()) this.unpin(name);
    }
    if (this.#retired.length === 0 || this.#client.getTransactionStatus?.() !== 'I') return [];
    const retired = this.#retired;
    this.#retired = [];
    return retired.map((name) => `DEALLOCATE ${name}`);
  }

  #retire(name: string): void {
    forgetParsedStatement(this.#client, name);
    this.#live.delete(name);
    this.#descriptions.delete(name);
    this.#retired.push(name);
  }
}
