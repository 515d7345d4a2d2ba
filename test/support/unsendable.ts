/** A parameter value node-postgres cannot send: its `toPostgres()` throws a TypeError. */
export const UNSENDABLE = {
  toPostgres(): never {
    throw new TypeError('this value refuses to be sent');
  },
};
