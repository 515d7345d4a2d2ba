/**
 * The two catalog queries behind type codecs: what a new connection learns about the
 * database's own types (one round trip), and the lookup of a type named to `setTypeCodec`.
 *
 * Not part of the public API.
 */
import type pg from 'pg';
import { ProgrammingError } from '../errors/database-error.js';
import type { NamedCodec } from './type-codec.js';

/** One type of the database as the catalog describes it. */
export interface CatalogType {
  readonly oid: number;
  /** `typtype`: b(ase), c(omposite), d(omain), e(num), r(ange), m(ultirange). */
  readonly kind: string;
  /** A domain's underlying type (0 otherwise). */
  readonly base: number;
  /** The oid of the type's array type (0: none). */
  readonly array: number;
  /** The element delimiter in the array's text form (`,`; `;` for `box`). */
  readonly delimiter: string;
}

/** What one connection learned: its user-defined types, and the oids of the registered names. */
export interface CatalogSnapshot {
  readonly types: ReadonlyMap<number, CatalogType>;
  /** `to_regtype` text → oid, for the names asked about. */
  readonly names: ReadonlyMap<string, number>;
}

const COLUMNS = 't.oid::int4, t.typtype::text, t.typbasetype::int4, t.typarray::int4, t.typdelim::text';

// Enums, domains, base types from extensions (citext, hstore), ranges and stand-alone composite
// types (CREATE TYPE … AS, not the row types every table has): the types whose arrays and
// domains pgsa decodes by oid. `oid::int8` keeps the planner off pg_type's oid index: on a
// fresh backend the index scan costs about 1 ms more than the sequential scan.
const OWN_TYPES_SQL = `select ${COLUMNS}, null::int4
from pg_catalog.pg_type t
where t.oid::int8 >= 16384 and t.typcategory <> 'A' and (t.typtype in ('b', 'd', 'e', 'r', 'm') or (t.typtype = 'c'
  and exists (select 1 from pg_catalog.pg_class c where c.oid = t.typrelid and c.relkind = 'c')))`;

// The same, plus the types the registered codecs name (built-in or not), with their index in $1.
const WITH_NAMES_SQL = `${OWN_TYPES_SQL}
union all
select ${COLUMNS}, u.i::int4
from unnest($1::text[]) with ordinality as u(name, i) join pg_catalog.pg_type t on t.oid = to_regtype(u.name)`;

type CatalogRow = [number, string, number, number, string, number | null];

/** Reads the database's own types and the oids of `regtypes` (one round trip). */
export async function readCatalog(client: pg.ClientBase, regtypes: readonly string[]): Promise<CatalogSnapshot> {
  const result = await client.query<CatalogRow>(
    regtypes.length === 0
      ? { text: OWN_TYPES_SQL, rowMode: 'array' }
      : { text: WITH_NAMES_SQL, values: [regtypes], rowMode: 'array' },
  );
  const types = new Map<number, CatalogType>();
  const names = new Map<string, number>();
  for (const [oid, kind, base, array, delimiter, index] of result.rows) {
    types.set(oid, { oid, kind, base, array, delimiter });
    if (index !== null) names.set(regtypes[index - 1] as string, oid);
  }
  return { types, names };
}

const LOOKUP_SQL = `select t.oid::int4, t.typtype::text, t.typbasetype::int4, t.typarray::int4, t.typdelim::text,
  pg_catalog.format_type(t.typbasetype, null)
from pg_catalog.pg_type t where t.oid = to_regtype($1)`;

/**
 * The type `codec` names, on `client`'s database.
 *
 * @throws ProgrammingError "unknown type …" when the database has no such type (or the name is
 *   not a type name), naming it and saying what to check; ProgrammingError for a domain (the
 *   server sends a domain's values as its base type, so a codec on it could only ever apply to
 *   its arrays: asyncpg refuses it too).
 */
export async function lookUpType(client: pg.ClientBase, codec: NamedCodec): Promise<CatalogType> {
  let rows: [number, string, number, number, string, string | null][];
  try {
    rows = (await client.query<[number, string, number, number, string, string | null]>({
      text: LOOKUP_SQL,
      values: [codec.regtype],
      rowMode: 'array',
    })).rows;
  } catch (error) {
    throw unknownType(codec, `${error instanceof Error ? error.message : String(error)}`, error);
  }
  const row = rows[0];
  if (row === undefined) throw unknownType(codec, 'no such type in this database', undefined);
  const [oid, kind, base, array, delimiter, baseName] = row;
  if (kind === 'd') {
    throw new ProgrammingError(
      `cannot set a type codec on "${codec.label}": it is a domain over ${baseName ?? 'another type'}, ` +
        "and PostgreSQL sends a domain's values as its base type; set the codec on the base type " +
        '(values and arrays of the domain then decode with it)',
      {},
    );
  }
  return { oid, kind, base, array, delimiter };
}

function unknownType(codec: NamedCodec, reason: string, cause: unknown): ProgrammingError {
  return new ProgrammingError(
    `cannot set a type codec: unknown type "${codec.label}" (${reason}); check the name and ` +
      'its schema (pass { schema }), or create the type (or its extension) first',
    {},
    cause === undefined ? undefined : { cause },
  );
}
