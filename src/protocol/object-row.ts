import type pg from 'pg';

/** Builds one object row (Kysely's row format) from the text fields of a DataRow message. */
export type ObjectRowMaker = (raw: readonly (string | null)[]) => Record<string, unknown>;

type Parser = (text: string) => unknown;

/**
 * The object-row builder of one statement's columns: the object pg builds (a copy of an object
 * holding every column name, then `row[name] = value` column by column) — same keys in the same
 * order, the last of duplicate names winning, a column named `__proto__` an own property like
 * any other. pg's keyed stores see every column name (about 100 ns a row of five columns); a
 * function made for the column names, returning an object literal with one parser per column,
 * builds the same object in about 15 ns.
 *
 * Made with `new Function` from the names as JSON string literals (no name can reach the code
 * as anything but a string). Where code generation is not allowed (Node's
 * `--disallow-code-generation-from-strings`), pg's way is used.
 *
 * @internal
 */
export function objectRowMaker(fields: readonly pg.FieldDef[], parsers: readonly Parser[]): ObjectRowMaker {
  const names = fields.map((field) => field.name);
  try {
    return generated(names, parsers);
  } catch {
    // Code generation from strings is disallowed: pg's way.
  }
  const template: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const name of names) template[name] = null;
  return (raw) => {
    const row: Record<string, unknown> = { ...template };
    for (let i = 0; i < raw.length; i++) {
      const value = raw[i] as string | null;
      row[names[i] as string] = value === null ? null : (parsers[i] as Parser)(value);
    }
    return row;
  };
}

function generated(names: readonly string[], parsers: readonly Parser[]): ObjectRowMaker {
  const locals = names.map((_, i) => `const p${i} = parsers[${i}];`).join('\n');
  const properties = names
    .map((name, i) => {
      // A literal `"__proto__": v` would set the prototype; a computed key defines a property.
      const key = name === '__proto__' ? `[${JSON.stringify(name)}]` : JSON.stringify(name);
      return `${key}: (v = raw[${i}]) === null ? null : p${i}(v)`;
    })
    .join(',\n');
  const make = new Function('parsers', `'use strict';\n${locals}\nreturn (raw) => {\nlet v;\nreturn {\n${properties}\n};\n};`);
  return make(parsers) as ObjectRowMaker;
}
