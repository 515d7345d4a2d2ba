import { describe, expect, it } from 'vitest';
import { checkJsdocExamples, jsdocExamples } from './jsdoc-examples.js';

// Every ```ts block under an `@example` tag in src/ compiles under the repository's strict
// settings, with the context a reader assumes (an `engine`, a `conn`… on the sample schema):
// the API reference (npm run docs) shows these, so they must not rot as the API changes.
describe('JSDoc examples', () => {
  const examples = jsdocExamples();

  it('are found in src/ (one per @example tag)', () => {
    expect(examples.length).toBeGreaterThan(100);
    expect(examples.filter((example) => example.where.startsWith('src/connection/sa-connection.ts:')).length).toBeGreaterThan(20);
  });

  it('type-check', { timeout: 120_000 }, () => {
    expect(checkJsdocExamples(examples)).toEqual([]);
  });

  it('would report a broken one, naming where it is', { timeout: 120_000 }, () => {
    const broken = [
      { where: 'src/engine/engine.ts:1', code: "const n: string = await engine.fetchVal('select 1');\nawait conn.nope();" },
      { where: 'src/engine/engine.ts:2', code: 'await conn.execute(conn.db.selectFrom("no_such_table").selectAll());' },
    ];
    const messages = checkJsdocExamples(broken);
    expect(messages).toEqual([
      expect.stringMatching(/^src\/engine\/engine\.ts:1 \(example line 1\): Type 'unknown' is not assignable to type 'string'/),
      expect.stringMatching(/^src\/engine\/engine\.ts:1 \(example line 2\): Property 'nope' does not exist/),
      expect.stringMatching(/^src\/engine\/engine\.ts:2 \(example line 1\): .*no_such_table/),
    ]);
  });
});
