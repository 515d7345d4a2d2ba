import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

// Apps compiled with `exactOptionalPropertyTypes` can only pass `undefined` (e.g.
// `{ connectionString: process.env.DATABASE_URL }`) to an optional property declared
// `?: T | undefined`: every optional property in src/ says so.

const SRC = join(import.meta.dirname, '../../src');
const OPTIONAL_PROPERTY = /^\s*(?:readonly\s+)?[A-Za-z_$][\w$]*\?: (.+);\s*(?:\/\/.*)?$/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

describe('optional properties', () => {
  it('all accept undefined explicitly (`?: T | undefined`)', () => {
    const missing: string[] = [];
    for (const file of sourceFiles(SRC)) {
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, index) => {
          const match = OPTIONAL_PROPERTY.exec(line);
          if (match && !/\bundefined\b/.test(match[1] as string)) {
            missing.push(`src/${relative(SRC, file)}:${index + 1}: ${line.trim()}`);
          }
        });
    }
    expect(missing).toEqual([]);
  });
});
