/** `String.prototype.isWellFormed` (ES2024; in Node 20) while the project's lib is ES2023. */
interface WellFormedString {
  isWellFormed(): boolean;
}

/**
 * True when `text` has a UTF-8 form: it holds no unpaired UTF-16 surrogate. Node writes such a
 * surrogate as U+FFFD, so a string that fails this would reach the server silently changed;
 * pgsa refuses it instead (parameters, identifiers, xids, channel names).
 */
export function isWellFormed(text: string): boolean {
  return (text as string & WellFormedString).isWellFormed();
}
