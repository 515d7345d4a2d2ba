import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../support/test-database.js';

const db = useTestDatabase();

describe('the built middleware and testing subpaths', () => {
  it('import from dist/ through the exports map and share one session context with pgsa', () => {
    // A separate Node process resolves the subpaths exactly as a user's project would.
    const script = `
      import * as pgsa from 'pgsa';
      import { dbSessionPlugin } from 'pgsa/fastify';
      import { dbSessionMiddleware as forExpress, dbSessionErrorHandler } from 'pgsa/express';
      import { dbSessionMiddleware as forHono } from 'pgsa/hono';
      import { withTestTransaction, beginTestTransaction } from 'pgsa/testing';
      const engine = await pgsa.createEngine(process.env.URL);
      // The context opened by pgsa/testing is the one pgsa's dbSession sees.
      const value = await withTestTransaction(engine, async () =>
        (await pgsa.dbSession(engine)).scalar('select 6 * 7'));
      await engine.close();
      await engine.waitClosed();
      console.log(JSON.stringify({
        value,
        kinds: [dbSessionPlugin, forExpress(), dbSessionErrorHandler(), forHono(),
          beginTestTransaction].map((f) => typeof f),
        sessionNames: ['dbSession', 'atomic', 'runInNewContext', 'newSession',
          'newAtomicSession', 'commitDbSession', 'rollbackDbSession', 'closeDbSession',
          'Session'].filter((name) => typeof pgsa[name] === 'function'),
      }));
    `;
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, URL: db.url },
      encoding: 'utf8',
    });
    const { value, kinds, sessionNames } = JSON.parse(output) as {
      value: number;
      kinds: string[];
      sessionNames: string[];
    };
    expect(value).toBe(42);
    expect(kinds).toEqual(['function', 'function', 'function', 'function', 'function']);
    expect(sessionNames).toHaveLength(9);
  });
});
