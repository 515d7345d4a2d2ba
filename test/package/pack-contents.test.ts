import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, normalize } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { NPM, packedFiles } from './packed-files.js';
import { REPO_ROOT } from './readme-code.js';

interface PackageJson {
  exports: Record<string, string | Record<string, string>>;
  devDependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  dependencies: Record<string, string>;
}

const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as PackageJson;
let files: string[];
let shipped: Set<string>;

beforeAll(() => {
  files = packedFiles();
  shipped = new Set(files);
}, 60_000);

describe('npm pack', () => {
  it('ships every file the exports map names, JavaScript and declarations', () => {
    const targets = Object.values(pkg.exports).flatMap((entry) =>
      typeof entry === 'string' ? [entry] : Object.values(entry),
    );
    expect(targets).toContain('./dist/index.d.ts');
    for (const target of targets) expect(shipped, target).toContain(normalize(target));
  });

  it('ships LICENSE, README, CHANGELOG and package.json', () => {
    expect(files).toEqual(
      expect.arrayContaining(['LICENSE', 'README.md', 'CHANGELOG.md', 'package.json']),
    );
  });

  it('ships no tests, benchmarks, examples, sample schema or local files', () => {
    const unexpected = files.filter(
      (path) => !/^(dist|src)\//.test(path) && !['LICENSE', 'README.md', 'CHANGELOG.md', 'package.json'].includes(path),
    );
    expect(unexpected).toEqual([]);
    expect(files.filter((path) => /^(test|bench|examples|schema|node_modules|\.)/.test(path))).toEqual([]);
  });

  it('ships a declaration next to every JavaScript file of dist', () => {
    const js = files.filter((path) => path.startsWith('dist/') && path.endsWith('.js'));
    expect(js.length).toBeGreaterThan(50);
    const missing = js.filter((path) => !shipped.has(path.replace(/\.js$/, '.d.ts')));
    expect(missing).toEqual([]);
  });

  it('resolves every sourceMappingURL, and every source a map names, to a shipped file', () => {
    const mapped = files.filter((path) => /\.(js|d\.ts)$/.test(path) && path.startsWith('dist/'));
    const broken: string[] = [];
    let maps = 0;
    for (const path of mapped) {
      const text = readFileSync(join(REPO_ROOT, path), 'utf8');
      const url = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(text)?.[1];
      if (url === undefined) continue;
      const map = normalize(join(dirname(path), url));
      if (!shipped.has(map)) {
        broken.push(`${path} -> ${map}`);
        continue;
      }
      maps++;
      const { sources, sourceRoot } = JSON.parse(readFileSync(join(REPO_ROOT, map), 'utf8')) as {
        sources: string[];
        sourceRoot?: string;
      };
      for (const source of sources) {
        const resolved = normalize(join(dirname(map), sourceRoot ?? '', source));
        if (!shipped.has(resolved)) broken.push(`${map} -> ${resolved}`);
      }
    }
    expect(maps).toBeGreaterThan(100);
    expect(broken).toEqual([]);
  });
});

describe('npm pack from a clean checkout', () => {
  it('builds dist/ first (prepack), so the tarball holds the built package', () => {
    // A copy without dist/ (as a fresh clone), so the build does not touch the dist/ the
    // other test files are importing.
    const clone = mkdtempSync(join(tmpdir(), 'pgsa-clone-'));
    try {
      for (const entry of ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'src', 'README.md', 'LICENSE', 'CHANGELOG.md']) {
        cpSync(join(REPO_ROOT, entry), join(clone, entry), { recursive: true });
      }
      symlinkSync(realpathSync(join(REPO_ROOT, 'node_modules')), join(clone, 'node_modules'), 'dir');
      const output = execFileSync(NPM, ['pack', '--dry-run', '--json'], {
        cwd: clone,
        encoding: 'utf8',
        timeout: 60_000,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const [report] = JSON.parse(output) as [{ files: { path: string }[] }];
      const packed = report.files.map((file) => file.path).sort();
      expect(packed).toEqual(expect.arrayContaining(['dist/index.js', 'dist/index.d.ts']));
      expect(packed.filter((path) => path.startsWith('dist/'))).toEqual(
        files.filter((path) => path.startsWith('dist/')),
      );
    } finally {
      rmSync(clone, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('the kysely peer dependency', () => {
  it('is a peer, not a dependency, with the range the suite installs and runs against', () => {
    expect(pkg.dependencies).not.toHaveProperty('kysely');
    expect(pkg.peerDependencies.kysely).toBe(pkg.devDependencies.kysely);
    // A caret range on a 0.x version: same minor, at least that patch.
    const range = /^\^0\.(\d+)\.(\d+)$/.exec(pkg.peerDependencies.kysely ?? '');
    expect(range, 'kysely peer range of the form ^0.minor.patch').not.toBeNull();
    const manifest = join(REPO_ROOT, 'node_modules/kysely/package.json');
    const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
    const [major, minor, patch] = version.split('.').map(Number);
    expect(major).toBe(0);
    expect(minor).toBe(Number(range?.[1]));
    expect(patch).toBeGreaterThanOrEqual(Number(range?.[2]));
  });
});
