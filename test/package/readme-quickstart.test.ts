import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { observe, useTestDatabase } from '../support/test-database.js';
import { readmeCodeBlock, REPO_ROOT } from './readme-code.js';

const db = useTestDatabase();
const run = promisify(execFile);

// Inside the repository, so `import … from 'pgsa'` resolves to the built package itself
// (package self-reference through its `exports`), exactly as written in the README.
const dir = mkdtempSync(join(REPO_ROOT, '.pgsa-tmp-quickstart-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the README Quickstart', () => {
  it('runs as written with tsx against DATABASE_URL and exits 0 within 20 s', async () => {
    const code = readmeCodeBlock('Quickstart');
    expect(code).toContain("from 'pgsa'");
    const file = join(dir, 'quickstart.ts');
    writeFileSync(file, code);
    const started = Date.now();
    const { stdout } = await run(join(REPO_ROOT, 'node_modules/.bin/tsx'), [file], {
      cwd: dir,
      env: { ...process.env, DATABASE_URL: db.url },
      timeout: 20_000,
      killSignal: 'SIGKILL',
      encoding: 'utf8',
    });
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(stdout).toMatch(/^\d+ Ada$/m);
    expect(stdout).toMatch(/^1 \{/m); // the count, then engine.stats()
    expect(await observe(db.url, "select name from users where name = 'Ada'")).toEqual([
      { name: 'Ada' },
    ]);
  }, 30_000);
});
