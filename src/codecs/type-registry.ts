import type { CatalogType } from './type-catalog.js';
import type { NamedCodec } from './type-codec.js';
import { type ResolvedTypeOptions, resolveTypeOptions, type TypeOptions } from './type-options.js';

/** A codec registered with its type as the catalog described it at registration. Not part of the public API. */
export interface RegisteredCodec {
  readonly codec: NamedCodec;
  readonly type: CatalogType;
}

/**
 * An engine's type codecs: its `types` choices and the codecs registered with
 * `engine.setTypeCodec`. Every connection of the engine decodes through a `ConnectionTypes`
 * reading this; `version` changes with every registration, so decoders resolved earlier (a
 * cached statement's) are resolved again.
 *
 * Not part of the public API.
 */
export class TypeRegistry {
  readonly options: ResolvedTypeOptions;
  readonly #codecs = new Map<string, RegisteredCodec>();
  #version = 0;

  /** @throws TypeError for invalid `types` options (see `resolveTypeOptions`). */
  constructor(options: TypeOptions | undefined) {
    this.options = resolveTypeOptions(options);
  }

  /** Changes with every registration. */
  get version(): number {
    return this.#version;
  }

  /** The registered codecs, by the text given to `to_regtype`. */
  get codecs(): ReadonlyMap<string, RegisteredCodec> {
    return this.#codecs;
  }

  /** Registers (or replaces) the codec of the type `type`. */
  add(codec: NamedCodec, type: CatalogType): void {
    this.#codecs.set(codec.regtype, Object.freeze({ codec, type }));
    this.#version++;
  }
}
