import { CamelCasePlugin, ParseJSONResultsPlugin, sql } from 'kysely';
import { describe, expectTypeOf, it } from 'vitest';
import {
  type Engine,
  type ResultProxy,
  type RowProxy,
  type RowStream,
  type SAConnection,
  type Session,
} from '../../src/index.js';
import type { CamelDatabase } from '../dialect/plugin-fixtures.js';

declare const engine: Engine<CamelDatabase>;
declare const conn: SAConnection<CamelDatabase>;
declare const session: Session<CamelDatabase>;

type Email = { userId: number | null; email: string };
type Doc = { doc: { a: number } };

// The row types name what the plugins return (camelCase keys, parsed JSON): the runtime tests
// in test/dialect/plugins.test.ts check that every path delivers exactly that.
const camel = new CamelCasePlugin();
const json = new ParseJSONResultsPlugin();

describe('row types of queries built with Kysely plugins', () => {
  it('are the builder row types on conn.execute, conn.scalar and conn.stream', async () => {
    const query = conn.db.withPlugin(camel).selectFrom('emails').select(['userId', 'email']);
    expectTypeOf(await conn.execute(query)).toEqualTypeOf<ResultProxy<Email>>();
    expectTypeOf(conn.stream(query)).toEqualTypeOf<RowStream<Email>>();
    const doc = conn.db.withPlugin(json).selectNoFrom(sql<{ a: number }>`'{"a": 1}'::text`.as('doc'));
    expectTypeOf(await conn.scalar(doc)).toEqualTypeOf<{ a: number } | null>();
    expectTypeOf((await conn.execute(doc)).first()).toEqualTypeOf<RowProxy<Doc> | null>();
  });

  it('are the builder row types for builders of engine.db run on a connection or a session', async () => {
    const query = engine.db.withPlugin(camel).selectFrom('emails').select(['userId', 'email']);
    expectTypeOf(await conn.execute(query)).toEqualTypeOf<ResultProxy<Email>>();
    expectTypeOf(await session.execute(query)).toEqualTypeOf<ResultProxy<Email>>();
    expectTypeOf(await session.execute(query.compile())).toEqualTypeOf<ResultProxy<Email>>();
  });

  it('are the builder row types on Kysely execute() and stream() of engine.db, conn.db and session.db', async () => {
    for (const db of [engine.db, conn.db, session.db]) {
      const query = db.withPlugin(camel).selectFrom('emails').select(['userId', 'email']);
      expectTypeOf(await query.execute()).toEqualTypeOf<Email[]>();
      expectTypeOf(query.stream()).toEqualTypeOf<AsyncIterableIterator<Email>>();
      const doc = db.withPlugin(json).selectNoFrom(sql<{ a: number }>`'{"a": 1}'::text`.as('doc'));
      expectTypeOf(await doc.executeTakeFirstOrThrow()).toEqualTypeOf<Doc>();
    }
  });

  it('are the builder row types inside engine.db.transaction()', async () => {
    const rows = await engine.db
      .withPlugin(camel)
      .transaction()
      .execute((trx) => trx.selectFrom('emails').select(['userId', 'email']).execute());
    expectTypeOf(rows).toEqualTypeOf<Email[]>();
  });
});
