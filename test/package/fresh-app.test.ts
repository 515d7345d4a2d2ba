import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, realpathSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/fault-server.js';
import { observe, useTestDatabase } from '../support/test-database.js';
import { NPM } from './packed-files.js';
import { readmeCodeBlock, REPO_ROOT } from './readme-code.js';

const db = useTestDatabase();
const run = promisify(execFile);

/**
 * What the app installs besides pgsa: its dependencies, its peers (kysely; fastify for the
 * middleware example) and the types an app has. Linked from the repository's node_modules
 * (installed by `npm ci`), so the test needs no network; Node follows the links to their real
 * paths, where each finds its own dependencies.
 */
const LINKED = [
  'kysely',
  'pg',
  'pg-connection-string',
  'pg-cursor',
  'fastify',
  '@types/node',
  '@types/pg',
  '@types/pg-cursor',
];

/**
 * The app's tsconfig: the README's "Use it in your app" block as written (strict,
 * `exactOptionalPropertyTypes`, `skipLibCheck: false`), plus where the files are.
 */
const README_TSCONFIG = JSON.parse(readmeCodeBlock('Use it in your app', 'json')) as {
  compilerOptions: Record<string, unknown>;
};
const TSCONFIG = {
  compilerOptions: { ...README_TSCONFIG.compilerOptions, rootDir: 'src', outDir: 'out' },
  include: ['src'],
};

const app = mkdtempSync(join(tmpdir(), 'pgsa-app-'));
afterAll(() => rmSync(app, { recursive: true, force: true }));

beforeAll(async () => {
  // --ignore-scripts: the suite runs after `npm run build`; prepack's rebuild would delete
  // dist/ under the other test files running in parallel.
  const { stdout } = await run(
    NPM,
    ['pack', '--json', '--ignore-scripts', '--pack-destination', app],
    { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 },
  );
  const [{ filename }] = JSON.parse(stdout) as [{ filename: string }];
  const modules = join(app, 'node_modules');
  mkdirSync(modules);
  await run('tar', ['-xzf', join(app, filename), '-C', modules], { timeout: 30_000 });
  renameSync(join(modules, 'package'), join(modules, 'pgsa'));
  for (const name of LINKED) {
    const target = join(modules, name);
    mkdirSync(dirname(target), { recursive: true });
    symlinkSync(realpathSync(join(REPO_ROOT, 'node_modules', name)), target, 'dir');
  }
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name: 'app', private: true, type: 'module' }, null, 2),
  );
  writeFileSync(join(app, 'tsconfig.json'), JSON.stringify(TSCONFIG, null, 2));
  mkdirSync(join(app, 'src'));
}, 60_000);

describe('the packed package in a fresh strict TypeScript app', () => {
  it('installs only what npm pack ships (no source of this repository reachable)', () => {
    expect(readdirSync(join(app, 'node_modules/pgsa')).sort()).toEqual([
      'CHANGELOG.md',
      'LICENSE',
      'README.md',
      'dist',
      'package.json',
      'src',
    ]);
  });

  it('uses the README tsconfig, strict included', () => {
    expect(TSCONFIG.compilerOptions).toMatchObject({
      strict: true,
      exactOptionalPropertyTypes: true,
      skipLibCheck: false,
      target: 'es2022',
      module: 'nodenext',
    });
  });

  it(
    'compiles the README Quickstart and first query as written with tsc and runs them with node',
    async () => {
      writeFileSync(join(app, 'src/quickstart.ts'), readmeCodeBlock('Quickstart'));
      writeFileSync(join(app, 'src/first-query.ts'), readmeCodeBlock('Use it in your app'));
      const tsc = join(REPO_ROOT, 'node_modules/typescript/bin/tsc');
      const compiled = await run(process.execPath, [tsc, '-p', app], {
        cwd: app,
        encoding: 'utf8',
        timeout: 40_000,
      }).catch((error: { stdout?: string }) => {
        throw new Error(`tsc failed:\n${error.stdout ?? String(error)}`);
      });
      expect(compiled.stdout).toBe('');

      const started = Date.now();
      const options = {
        cwd: app,
        env: { ...process.env, DATABASE_URL: db.url },
        encoding: 'utf8' as const,
        timeout: 20_000,
        killSignal: 'SIGKILL' as const,
      };
      const quickstart = await run(process.execPath, [join(app, 'out/quickstart.js')], options);
      expect(quickstart.stdout).toMatch(/^\d+ Ada$/m);
      expect(await observe(db.url, "select count(*)::int as n from users where name = 'Ada'")).toEqual([
        { n: 1 },
      ]);
      const firstQuery = await run(process.execPath, [join(app, 'out/first-query.js')], options);
      expect(firstQuery.stdout).toMatch(/name: 'Ada'/);
      expect(Date.now() - started).toBeLessThan(20_000);
    },
    60_000,
  );

  it('compiles the README Fastify service as written with tsc and serves requests with it', async () => {
    writeFileSync(
      join(app, 'src/fastify-service.ts'),
      readmeCodeBlock('Contextual sessions and middleware', 'ts', "from 'pgsa/fastify'"),
    );
    const tsc = join(REPO_ROOT, 'node_modules/typescript/bin/tsc');
    const compiled = await run(process.execPath, [tsc, '-p', app], {
      cwd: app,
      encoding: 'utf8',
      timeout: 40_000,
    }).catch((error: { stdout?: string }) => {
      throw new Error(`tsc failed:\n${error.stdout ?? String(error)}`);
    });
    expect(compiled.stdout).toBe('');

    const port = await freePort();
    const service = spawn(process.execPath, [join(app, 'out/fastify-service.js')], {
      cwd: app,
      env: { ...process.env, DATABASE_URL: db.url, PORT: String(port) },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    service.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    try {
      const base = `http://127.0.0.1:${port}`;
      await until(async () => (await fetch(`${base}/users`)).ok, () => `the service did not answer: ${stderr}`);
      const created = await fetch(`${base}/users`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ names: ['fresh-app-1', 'fresh-app-2'] }),
      });
      expect(created.status).toBe(201);
      const { ids } = (await created.json()) as { ids: number[] };
      expect(ids).toHaveLength(2);
      // Committed before the answer, with the beforeCommit hook's audit row.
      expect(
        await observe(db.url, "select name from users where name like 'fresh-app-%' or (name = 'audit' and id > $1) order by id", [
          Math.min(...ids) - 1,
        ]),
      ).toEqual([{ name: 'fresh-app-1' }, { name: 'fresh-app-2' }, { name: 'audit' }]);
      const empty = await fetch(`${base}/users`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ names: [] }),
      });
      expect(empty.status).toBe(422);
      const listed = (await (await fetch(`${base}/users`)).json()) as { name: string }[];
      expect(listed.map((user) => user.name)).toEqual(expect.arrayContaining(['fresh-app-1', 'fresh-app-2']));
    } finally {
      service.kill('SIGKILL');
    }
  }, 60_000);
});

/** Polls `check` every 50 ms until it returns true (errors count as false), at most 15 s. */
async function until(check: () => Promise<boolean>, failure: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(failure());
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
