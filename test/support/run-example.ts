/**
 * Runs one file of examples/ the way `npm run demo*` does: against `DATABASE_URL` when it is set,
 * else against an embedded PostgreSQL server started for the run (and stopped after it). The
 * examples themselves only read `DATABASE_URL` and import `pgsa` as an application would; run
 * with `tsx --conditions=pgsa-source`, `pgsa` resolves to this repository's src/.
 *
 * Usage: tsx --conditions=pgsa-source test/support/run-example.ts examples/quickstart.ts
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { provisionPostgres } from './postgres-server.js';

const example = process.argv[2];
if (example === undefined) throw new Error('usage: run-example.ts examples/<file>.ts');
const server = await provisionPostgres({
  envUrl: process.env.DATABASE_URL,
  log: (message) => console.log(message),
});
console.log(`PostgreSQL ${server.version} (${server.provider})`);
process.env.DATABASE_URL = server.url;
try {
  await import(pathToFileURL(resolve(example)).href);
} catch (error) {
  await server.stop();
  throw error;
}
if (process.argv.includes('--serve')) {
  // The example serves until Ctrl-C and then shuts down on its own: the server outlives it briefly.
  process.once('SIGINT', () => setTimeout(() => void server.stop(), 2_000));
} else {
  await server.stop();
}
