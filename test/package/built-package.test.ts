import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../support/test-database.js';

const db = useTestDatabase();

describe('the built package', () => {
  it('imports from dist/ through the package exports map and opens an engine', () => {
    // A separate Node process resolves `pgsa` exactly as a user's project would.
    const script = `
      import * as pgsa from 'pgsa';
      const names = Object.keys(pgsa).sort();
      const engine = await pgsa.createEngine(process.env.URL);
      const conn = await engine.acquire();
      const value = await conn.scalar('select 6 * 7');
      await conn.close();
      await engine.close();
      await engine.waitClosed();
      console.log(JSON.stringify({ names, value }));
    `;
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, URL: db.url },
      encoding: 'utf8',
    });
    const { names, value } = JSON.parse(output) as { names: string[]; value: number };
    expect(value).toBe(42);
    expect(names).toEqual(
      expect.arrayContaining([
        'createEngine',
        'Engine',
        'SAConnection',
        'ResultProxy',
        'PgsaError',
      ]),
    );
  });
});
