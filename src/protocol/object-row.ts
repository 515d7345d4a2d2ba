import type pg from 'pg';

/** Builds one object row (Kysely's row format) from a row's decoded values, in column order. */
export type ObjectRowMaker = (values: readonly unknown[]) => Record<string, unknown>;

/**
 * The object-row builder of one statement's columns: the object pg builds (a copy of an object
 * holding every column name, then `row[name] = value` column by column) — same keys in the same
 * order, the last of duplicate names winning, a column named `__proto__` an own property like
 * any other. pg's keyed stores see every column name (about 100 ns a row of five columns); a
 * function made for the column names, returning an object literal of the values, builds the
 * same object in about 15 ns.
 *
 * Made with `new Function` from the names as JSON string literals (no name can reach the code
 * as anything but a string). Where code generation is not allowed (Node's
 * `--disallow-code-generation-from-strings`), pg's way is used.
 *
 * @internal
 */
export function objectRowMaker(fields: readonly pg.FieldDef[]): ObjectRowMaker {
  const names = fields.map((field) => field.name);
  try {
    return generated(names);
  } catch {
    // Code generation from strings is disallowed: pg's way.
  }
  const template: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const name of names) template[name] = null;
  return (values) => {
    const row: Record<string, unknown> = { ...template };
    for (let i = 0; i < values.length; i++) row[names[i] as string] = values[i];
    return row;
  };
}

function generated(names: readonly string[]): ObjectRowMaker {
  const properties = names
    .map((name, i) => {
      // A literal `"__proto__": v` would set the prototype; a computed key defines a property.
      const key = name === '__proto__' ? `[${JSON.stringify(name)}]` : JSON.stringify(name);
      return `${key}: values[${i}]`;
    })
    .join(',\n');
  return new Function(`'use strict';\nreturn (values) => ({\n${properties}\n});`)() as ObjectRowMaker;
}
