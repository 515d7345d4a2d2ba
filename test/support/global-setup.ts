import { readFile } from 'node:fs/promises';
import type { TestProject } from 'vitest/node';
import { adminQuery, provisionPostgres, withDatabase } from './postgres-server.js';
import { startSuitePgBouncer } from './pgbouncer.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Superuser URL of the test server (any database). */
    pgUrl: string;
    /** The superuser password, so tests can assert it never leaks. */
    pgPassword: string;
    /** Template database with `schema/schema.sql` applied. */
    pgTemplate: string;
    /** The superuser URL through the suite's PgBouncer (transaction mode); '' without one. */
    pgBouncerUrl: string;
    /** Why there is no PgBouncer (how to install it); '' when there is one. */
    pgBouncerNote: string;
  }
}

export const TEMPLATE_DATABASE = 'pgsa_template';

/** Starts one PostgreSQL server for the whole run and stops it afterwards, even on failure. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  const server = await provisionPostgres({
    envUrl: process.env.PGSA_TEST_DATABASE_URL,
    log: (message) => console.log(`[pgsa test] ${message}`),
  });
  console.log(
    `[pgsa test] PostgreSQL ${server.version} via ${server.provider} ` +
      `(ready in ${Date.now() - started} ms)`,
  );
  const schema = await readFile(new URL('../../schema/schema.sql', import.meta.url), 'utf8');
  await adminQuery(server.url, `DROP DATABASE IF EXISTS ${TEMPLATE_DATABASE} WITH (FORCE)`);
  await adminQuery(server.url, `CREATE DATABASE ${TEMPLATE_DATABASE}`);
  await adminQuery(withDatabase(server.url, TEMPLATE_DATABASE), schema);
  project.provide('pgUrl', server.url);
  project.provide('pgPassword', server.password);
  project.provide('pgTemplate', TEMPLATE_DATABASE);
  const { bouncer, note } = await startSuitePgBouncer(server.url, (message) =>
    console.log(`[pgsa test] ${message}`),
  ).catch(async (error: unknown) => {
    await server.stop();
    throw error;
  });
  project.provide('pgBouncerUrl', bouncer?.through(server.url) ?? '');
  project.provide('pgBouncerNote', note);
  return async () => {
    await bouncer?.stop();
    await server.stop();
  };
}
