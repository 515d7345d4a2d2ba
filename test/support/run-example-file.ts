import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

const ROOT = resolve(import.meta.dirname, '../..');

/**
 * Runs `examples/<file>` as `npm run demo*` would, against `databaseUrl`: with tsx and the
 * `pgsa-source` export condition, so its `import … from 'pgsa'` resolves to this repository's
 * src/ exactly as an application's resolves to the installed package. Resolves with its stdout
 * lines; rejects when it exits non-zero or runs longer than `timeoutMs`.
 */
export async function runExampleFile(file: string, databaseUrl: string, timeoutMs = 60_000): Promise<string[]> {
  const { stdout } = await promisify(execFile)(
    resolve(ROOT, 'node_modules/.bin/tsx'),
    ['--conditions=pgsa-source', `examples/${file}`],
    { cwd: ROOT, env: { ...process.env, DATABASE_URL: databaseUrl }, timeout: timeoutMs },
  );
  return stdout.trimEnd().split('\n');
}
