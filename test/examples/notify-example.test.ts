import { describe, expect, it } from 'vitest';
import { runExampleFile } from '../support/run-example-file.js';
import { useTestDatabase } from '../support/test-database.js';

const db = useTestDatabase();

describe('examples/notify.ts', () => {
  it('runs against DATABASE_URL: the listener receives the five messages, the finish ends it', async () => {
    const lines = await runExampleFile('notify.ts', db.url, 20_000);
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
