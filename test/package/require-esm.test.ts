import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../support/test-database.js';
import { REPO_ROOT } from './readme-code.js';

const db = useTestDatabase();
const run = promisify(execFile);

const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
// Node unflagged require(esm) in 20.19 and 22.12; 21.x and 22.0-22.11 still need a flag.
const requireEsm =
  (major === 20 && minor >= 19) || (major === 22 && minor >= 12) || major >= 23;

describe('CommonJS consumers', () => {
  it.skipIf(!requireEsm)(
    `require('pgsa') loads the ESM build through require(esm) (skipped below Node 20.19 / 22.12: no require(esm) there; running on ${process.versions.node})`,
    async () => {
      // A CommonJS script inside the package resolves 'pgsa' to the built package itself
      // (package self-reference through `exports`), as an installed dependency would.
      const script = `
        const pgsa = require('pgsa');
        const subpaths = ['pgsa/fastify', 'pgsa/express', 'pgsa/hono', 'pgsa/testing']
          .map((name) => [name, Object.keys(require(name)).sort()]);
        (async () => {
          const esm = await import('pgsa');
          const engine = await pgsa.createEngine(process.env.URL);
          const conn = await engine.acquire();
          const value = await conn.scalar('select 6 * 7');
          await conn.close();
          await engine.close();
          await engine.waitClosed();
          console.log(JSON.stringify({
            names: Object.keys(pgsa).sort(),
            subpaths,
            value,
            sameModule: esm.PgsaError === pgsa.PgsaError,
          }));
        })().catch((error) => { console.error(error); process.exitCode = 1; });
      `;
      const { stdout } = await run(process.execPath, ['-e', script], {
        cwd: REPO_ROOT,
        env: { ...process.env, URL: db.url },
        encoding: 'utf8',
        timeout: 20_000,
      });
      const result = JSON.parse(stdout) as {
        names: string[];
        subpaths: [string, string[]][];
        value: number;
        sameModule: boolean;
      };
      expect(result.names).toEqual(
        expect.arrayContaining(['createEngine', 'Engine', 'SAConnection', 'PgsaError', 'dbSession']),
      );
      expect(Object.fromEntries(result.subpaths)).toEqual({
        'pgsa/fastify': expect.arrayContaining(['dbSessionPlugin']),
        'pgsa/express': expect.any(Array),
        'pgsa/hono': expect.any(Array),
        'pgsa/testing': expect.arrayContaining(['beginTestTransaction', 'withTestTransaction']),
      });
      for (const [name, exports] of result.subpaths) expect(exports.length, name).toBeGreaterThan(0);
      expect(result.value).toBe(42);
      // One module instance for require and import: errors keep one class identity.
      expect(result.sameModule).toBe(true);
    },
    30_000,
  );
});
