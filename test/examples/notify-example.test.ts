import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../support/test-database.js';

const db = useTestDatabase();
const ROOT = resolve(import.meta.dirname, '../..');

describe('examples/notify.ts', () => {
  it('runs against DATABASE_URL: the listener receives the five messages, the finish ends it', async () => {
    const { stdout } = await promisify(execFile)(resolve(ROOT, 'node_modules/.bin/tsx'), ['examples/notify.ts'], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: db.url },
      timeout: 20_000,
    });
    const lines = stdout.trimEnd().split('\n');
    expect(lines.filter((line) => line.startsWith('Send ->'))).toEqual(
      [0, 1, 2, 3, 4].map((i) => `Send -> message ${i}`),
    );
    expect(lines.filter((line) => line.startsWith('Receive <- message'))).toEqual(
      [0, 1, 2, 3, 4].map((i) => `Receive <- message ${i}`),
    );
    expect(lines.filter((line) => line.startsWith('Receive <- order')).map((line) => line.replace(/\d+\)$/, 'N)'))).toEqual([
      'Receive <- order 1 (from backend N)',
      'Receive <- order 2 (from backend N)',
    ]);
    expect(lines.at(-1)).toBe('ALL DONE');
  }, 30_000);
});
