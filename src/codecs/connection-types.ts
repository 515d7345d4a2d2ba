import type pg from 'pg';
import { arrayDecoder, builtinDecoder, type Decoder, pgDecoder } from './builtin-decoders.js';
import { type CatalogSnapshot, type CatalogType, lookUpType, readCatalog } from './type-catalog.js';
import type { NamedCodec } from './type-codec.js';
import type { RegisteredCodec, TypeRegistry } from './type-registry.js';
import type { ResolvedTypeOptions } from './type-options.js';

const bound = new WeakMap<pg.ClientBase, ConnectionTypes>();

const EMPTY: CatalogSnapshot = { types: new Map(), names: new Map() };

const identity: Decoder = (text) => text;

/**
 * The type decoders of one physical connection: the engine's choices and codecs
 * ({@link TypeRegistry}), the connection's own (`conn.setTypeCodec`), and what the connection
 * read from the catalog when it opened (enums, domains, extension and composite types, and
 * their arrays). Handed to pg as the client's `types` option, so every query pg runs on the
 * client (pg's own `Query`, pg-cursor) and pgsa's cached statements decode through it, and pg's
 * process-wide `pg.types` is never changed.
 *
 * Decoders are resolved once per type oid and kept until a codec is registered (`version`).
 *
 * @internal
 */
export class ConnectionTypes {
  readonly #registry: TypeRegistry;
  #catalog: CatalogSnapshot = EMPTY;
  /** Array type oid → element type oid, from the catalog. */
  #arrays = new Map<number, number>();
  readonly #local = new Map<string, RegisteredCodec>();
  #localVersion = 0;
  #resolvedAt = -1;
  #decoders = new Map<number, Decoder>();
  /** Codecs by type oid, and by their array type's oid (with the element delimiter). */
  #codecs = new Map<number, NamedCodec>();
  #arrayCodecs = new Map<number, readonly [NamedCodec, string]>();

  constructor(registry: TypeRegistry) {
    this.#registry = registry;
  }

  /** The types bound to `client` (see {@link bind}); `undefined` for a client pgsa did not make. */
  static of(client: pg.ClientBase): ConnectionTypes | undefined {
    return bound.get(client);
  }

  /** Makes {@link ConnectionTypes.of} find these types for `client`. */
  bind(client: pg.ClientBase): this {
    bound.set(client, this);
    return this;
  }

  /** The engine's `types` choices. */
  get options(): ResolvedTypeOptions {
    return this.#registry.options;
  }

  /** Changes whenever a codec is registered on the engine or this connection. */
  get version(): number {
    return this.#registry.version + this.#localVersion;
  }

  /** pg's `types` interface: the parser of `oid`'s values. */
  getTypeParser(oid: number, format: 'text' | 'binary' = 'text'): Decoder {
    if (format !== 'text') return pgDecoder(oid, format);
    if (this.#resolvedAt !== this.version) this.#reset();
    let decoder = this.#decoders.get(oid);
    if (decoder === undefined) {
      decoder = this.#resolve(oid, 0);
      this.#decoders.set(oid, decoder);
    }
    return decoder;
  }

  /**
   * Reads the database's own types and the oids of the registered names on `client` (one
   * round trip; run when the connection opens, before anything else).
   */
  async load(client: pg.ClientBase): Promise<void> {
    const names = [...this.#registry.codecs.keys(), ...this.#local.keys()];
    const catalog = await readCatalog(client, names);
    this.#catalog = catalog;
    const arrays = new Map<number, number>();
    for (const type of catalog.types.values()) if (type.array !== 0) arrays.set(type.array, type.oid);
    this.#arrays = arrays;
    this.#resolvedAt = -1;
  }

  /**
   * Registers `codec` for this connection only, its type looked up on `client`.
   *
   * @throws ProgrammingError "unknown type …" when the database has no such type.
   */
  async add(client: pg.ClientBase, codec: NamedCodec): Promise<void> {
    const type = await lookUpType(client, codec);
    this.#local.set(codec.regtype, Object.freeze({ codec, type }));
    this.#localVersion++;
  }

  /** The codec registered for the type `oid` on this connection or its engine, if any. */
  codecOf(oid: number): NamedCodec | undefined {
    if (this.#resolvedAt !== this.version) this.#reset();
    return this.#codecs.get(oid);
  }

  /** The codec registered for the element type of the array type `oid`, if any. */
  arrayCodecOf(oid: number): NamedCodec | undefined {
    if (this.#resolvedAt !== this.version) this.#reset();
    return this.#arrayCodecs.get(oid)?.[0];
  }

  #reset(): void {
    const codecs = new Map<number, NamedCodec>();
    const arrayCodecs = new Map<number, readonly [NamedCodec, string]>();
    const names = this.#catalog.names;
    // The connection's own codecs win over the engine's.
    for (const { codec, type } of [...this.#registry.codecs.values(), ...this.#local.values()]) {
      const oid = names.get(codec.regtype) ?? type.oid;
      const current: CatalogType = this.#catalog.types.get(oid) ?? type;
      codecs.set(oid, codec);
      if (current.array !== 0) arrayCodecs.set(current.array, [codec, current.delimiter]);
    }
    this.#codecs = codecs;
    this.#arrayCodecs = arrayCodecs;
    this.#decoders = new Map();
    this.#resolvedAt = this.version;
  }

  #resolve(oid: number, depth: number): Decoder {
    const codec = this.#codecs.get(oid);
    if (codec !== undefined) return codec.decode;
    const arrayCodec = this.#arrayCodecs.get(oid);
    if (arrayCodec !== undefined) return arrayDecoder(arrayCodec[0].decode, arrayCodec[1]);
    const builtin = builtinDecoder(oid, this.#registry.options);
    if (builtin !== undefined) return builtin;
    // A domain of a domain of …: bounded, in case a catalog ever loops.
    if (depth > 16) return identity;
    const element = this.#arrays.get(oid);
    if (element !== undefined) {
      const delimiter = this.#catalog.types.get(element)?.delimiter ?? ',';
      return arrayDecoder(this.#resolve(element, depth + 1), delimiter);
    }
    const type = this.#catalog.types.get(oid);
    if (type !== undefined) return type.kind === 'd' ? this.#resolve(type.base, depth + 1) : identity;
    return pgDecoder(oid, 'text');
  }
}
