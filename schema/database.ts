/**
 * Kysely table interfaces for `schema.sql`. `test/schema/schema-matches-catalog.test.ts` reads
 * this file and the live catalog and fails when they disagree on a column's name, type or
 * nullability, so keep the two in step.
 */
import type { ColumnType, Generated } from 'kysely';

/** JSON as node-postgres parses it. */
export type Json = ColumnType<unknown, string, string>;
/** `numeric` and `bigint` arrive as strings (exact); any numeric input is accepted. */
export type Decimal = ColumnType<string, string | number | bigint, string | number | bigint>;

export interface UsersTable {
  id: Generated<number>;
  name: string | null;
  birthday: Date | null;
}

export interface EmailsTable {
  id: Generated<number>;
  user_id: number | null;
  email: string;
  private: boolean;
}

export interface TypedValuesTable {
  id: Generated<number>;
  doc: Json;
  amount: Decimal;
  big: Decimal;
  uid: string;
  at: Date;
  day: Date;
  tags: string[];
  blob: Buffer;
  flag: boolean;
  note: string | null;
}

/** The sample database. */
export interface Database {
  users: UsersTable;
  emails: EmailsTable;
  typed_values: TypedValuesTable;
}
