import { execFileSync } from 'node:child_process';
import { REPO_ROOT } from './readme-code.js';

/** `npm` next to the running Node (so the test uses the same installation as CI). */
export const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/**
 * The paths `npm pack` would put into the tarball, from `npm pack --dry-run --json` (lifecycle
 * scripts skipped: the suite runs after `npm run build`, so `dist` is the one just built).
 */
export function packedFiles(): string[] {
  const output = execFileSync(NPM, ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  });
  const [report] = JSON.parse(output) as [{ files: { path: string }[] }];
  return report.files.map((file) => file.path).sort();
}
