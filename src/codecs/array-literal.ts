/**
 * PostgreSQL's text form of an array (`{1,2,NULL}`, `{{"a b","c\"d"},{e,f}}`,
 * `[0:1]={x,y}`) parsed into nested JavaScript arrays, each element through `decode`.
 *
 * Not part of the public API. (No internal tag here: a file-level one would strip the
 * declaration below it from the published types, which the decoders' declarations refer to.)
 */

/** Decodes one element's text (never called for a NULL element). */
export type ElementDecoder = (text: string) => unknown;

const OPEN = 123; // {
const CLOSE = 125; // }
const QUOTE = 34; // "
const BACKSLASH = 92; // \
const EQUALS = 61; // =

/**
 * Parses `text`, an array as the server sends it in text format, into nested arrays: NULL
 * elements become `null`, every other element is decoded by `decode`. `delimiter` is the
 * element type's `typdelim` (`,` for all types but `box`, which uses `;`). A lower-bound
 * decoration (`[0:1]=`) is skipped: JavaScript arrays start at 0.
 *
 * @throws TypeError when `text` is not an array literal (a server never sends one).
 * @example
 * ```ts
 * parseArrayLiteral('{{1,2},{NULL,4}}', Number); // [[1, 2], [null, 4]]
 * ```
 */
export function parseArrayLiteral(text: string, decode: ElementDecoder, delimiter = ','): unknown[] {
  let position = 0;
  if (text.charCodeAt(0) === 91 /* [ */) {
    position = text.indexOf('=') + 1;
    if (position === 0 || text.charCodeAt(position - 1) !== EQUALS) malformed(text);
  }
  if (text.charCodeAt(position) !== OPEN) malformed(text);
  const separator = delimiter.charCodeAt(0);
  const stack: unknown[][] = [];
  let current: unknown[] = [];
  let result: unknown[] | undefined;
  position++;
  while (position < text.length) {
    const code = text.charCodeAt(position);
    if (code === OPEN) {
      stack.push(current);
      const inner: unknown[] = [];
      current.push(inner);
      current = inner;
      position++;
    } else if (code === CLOSE) {
      position++;
      const outer = stack.pop();
      if (outer === undefined) {
        result = current;
        break;
      }
      current = outer;
    } else if (code === separator) {
      position++;
    } else if (code === QUOTE) {
      let value = '';
      let start = ++position;
      for (;;) {
        const c = text.charCodeAt(position);
        if (Number.isNaN(c)) malformed(text);
        if (c === BACKSLASH) {
          value += text.slice(start, position);
          start = ++position;
          position++;
        } else if (c === QUOTE) {
          value += text.slice(start, position);
          position++;
          break;
        } else {
          position++;
        }
      }
      current.push(decode(value));
    } else {
      const start = position;
      while (position < text.length) {
        const c = text.charCodeAt(position);
        if (c === separator || c === CLOSE) break;
        position++;
      }
      const token = text.slice(start, position);
      current.push(token.length === 4 && token.toUpperCase() === 'NULL' ? null : decode(token));
    }
  }
  if (result === undefined) malformed(text);
  return result;
}

function malformed(text: string): never {
  const shown = text.length > 60 ? `${text.slice(0, 60)}…` : text;
  throw new TypeError(`not a PostgreSQL array literal: ${JSON.stringify(shown)}`);
}
