import { isWellFormed } from './well-formed.js';
/**
 * Quoting of what pgsa splices into SQL text: identifiers (savepoints, COPY tables and columns)
 * and two-phase transaction ids. Escaping lives here and nowhere else.
 */

/** PostgreSQL's identifier length limit (NAMEDATALEN - 1 bytes). */
const MAX_IDENTIFIER_BYTES = 63;

/**
 * Double-quotes an identifier (a savepoint name): embedded quotes are doubled.
 *
 * @throws TypeError for an empty name, a NUL character or more than 63 bytes (the server would
 *   silently truncate it, so two names could collide).
 */
export function quoteIdentifier(name: string): string {
  if (typeof name !== 'string' || name.length === 0) {
    throw new TypeError('an identifier must be a non-empty string');
  }
  if (name.includes('\0')) throw new TypeError('an identifier must not contain NUL characters');
  if (!isWellFormed(name)) {
    throw new TypeError('an identifier must be valid Unicode text: it has an unpaired UTF-16 surrogate');
  }
  if (Buffer.byteLength(name, 'utf8') > MAX_IDENTIFIER_BYTES) {
    throw new TypeError(`identifier is longer than ${MAX_IDENTIFIER_BYTES} bytes`);
  }
  return `"${name.replaceAll('"', '""')}"`;
}

/** The server rejects a transaction identifier of 200 bytes or more (GIDSIZE). */
export const MAX_XID_BYTES = 199;

/**
 * Quotes a two-phase transaction id as a SQL string literal: single quotes doubled, and an
 * `E'…'` literal with doubled backslashes when it contains one, so the result means the same
 * whatever `standard_conforming_strings` is.
 *
 * @throws TypeError for a non-string or empty xid, a NUL character, or an xid of 200 bytes or
 *   more (PostgreSQL's limit), before anything is sent.
 * @example
 * ```ts
 * quoteXid("it's")   // "'it''s'"
 * quoteXid('a\\b')   // "E'a\\\\b'"
 * ```
 */
export function quoteXid(xid: string): string {
  if (typeof xid !== 'string' || xid.length === 0) {
    throw new TypeError('a two-phase transaction id (xid) must be a non-empty string');
  }
  if (xid.includes('\0')) {
    throw new TypeError('a two-phase transaction id (xid) must not contain NUL characters');
  }
  if (!isWellFormed(xid)) {
    throw new TypeError(
      'a two-phase transaction id (xid) must be valid Unicode text: it has an unpaired UTF-16 surrogate',
    );
  }
  const bytes = Buffer.byteLength(xid, 'utf8');
  if (bytes > MAX_XID_BYTES) {
    throw new TypeError(
      `two-phase transaction id (xid) is ${bytes} bytes long; PostgreSQL accepts at most ` +
        `${MAX_XID_BYTES}`,
    );
  }
  const body = xid.replaceAll("'", "''");
  return xid.includes('\\') ? `E'${body.replaceAll('\\', '\\\\')}'` : `'${body}'`;
}
