import { describe, expect, it } from 'vitest';
import { runExampleFile } from '../support/run-example-file.js';
import { observe, useTestDatabase } from '../support/test-database.js';

const db = useTestDatabase();

describe('examples/quickstart.ts', () => {
  it('runs against DATABASE_URL, prints what it did, and drops its schema', async () => {
    const lines = await runExampleFile('quickstart.ts', db.url);
    expect(lines).toEqual(
      expect.arrayContaining([
        'inserted 2 emails with executeMany',
        'copied 2 users with copyFrom',
        'users: 5',
      ]),
    );
    expect(lines.at(-1)).toBe('done');
    expect(await observe(db.url, "select nspname from pg_namespace where nspname like 'pgsa_demo_%'")).toEqual([]);
  }, 90_000);
});

describe('examples/http-service.ts', () => {
  it('serves its requests: the committed one stays, the failed ones roll back', async () => {
    const lines = await runExampleFile('http-service.ts', db.url);
    expect(lines.some((line) => line.startsWith('POST /users -> 201'))).toBe(true);
    expect(lines.some((line) => line.startsWith('POST /users -> 500'))).toBe(true);
    expect(lines.some((line) => line.startsWith('POST /users/999/emails -> 404'))).toBe(true);
    const listed = lines.find((line) => line.startsWith('GET /users -> 200')) ?? '';
    expect(listed).toContain('Ada');
    expect(listed).not.toContain('crash');
    expect(lines.at(-1)).toBe('done');
    expect(await observe(db.url, "select nspname from pg_namespace where nspname like 'pgsa_http_demo_%'")).toEqual([]);
  }, 90_000);
});
