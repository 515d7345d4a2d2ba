/**
 * pgsa contextual sessions behind a small Fastify HTTP service: `npm run demo:http`.
 *
 * Runs against DATABASE_URL, in a throwaway schema it drops afterwards (`npm run demo:http`
 * starts an embedded server when DATABASE_URL is not set). It serves on 127.0.0.1, sends itself a
 * few requests, prints what was committed and stops; pass `--serve` to keep it running until
 * Ctrl-C.
 */
import Fastify from 'fastify';
import type { Generated } from 'kysely';
import { atomic, closeDbSession, createEngine, dbSession } from 'pgsa';
import { dbSessionPlugin } from 'pgsa/fastify';

/** The tables of this example, typed for Kysely (aiopg's users and emails). */
interface Database {
  users: { id: Generated<number>; name: string | null; birthday: Date | null };
  emails: { id: Generated<number>; user_id: number | null; email: string; private: boolean };
}

const TABLES = `
  create table users (id serial primary key, name varchar(255), birthday timestamp);
  create table emails (id serial primary key, user_id integer references users (id),
    email varchar(253) not null, private boolean not null)`;

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) throw new Error('set DATABASE_URL (npm run demo* starts a server for you when it is not set)');
const schemaName = `pgsa_http_demo_${process.pid}`;
const engine = await createEngine<Database>({
  connectionString: databaseUrl,
  minSize: 1,
  maxSize: 5,
  // Every new connection works inside the demo's own schema.
  onConnect: async (conn) => {
    await conn.execute(`set search_path to ${schemaName}`);
  },
});
{
  await using conn = await engine.acquire();
  await conn.execute(`create schema if not exists ${schemaName}`);
  await conn.execute(TABLES);
}

// Service functions take no session argument: they find the request's session in the context.
async function createUser(name: string): Promise<number> {
  const session = await dbSession(engine);
  const row = await session.db
    .insertInto('users')
    .values({ name })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

async function addEmail(userId: number, email: string): Promise<boolean> {
  const session = await dbSession(engine);
  const user = await session.db
    .selectFrom('users')
    .select('id')
    .where('id', '=', userId)
    .executeTakeFirst();
  if (!user) return false;
  await session.db.insertInto('emails').values({ user_id: userId, email, private: false }).execute();
  return true;
}

const app = Fastify({ forceCloseConnections: true });
// One session context per request: commit on success, roll back on a thrown error or a
// status >= 400, commit before the response is sent, always release the connection.
await app.register(dbSessionPlugin);

app.post<{ Body: { name: string; emails?: string[] } }>('/users', async (request, reply) => {
  const id = await createUser(request.body.name);
  for (const email of request.body.emails ?? []) await addEmail(id, email);
  if (request.body.name === 'crash') throw new Error('simulated crash after the insert');
  return reply.code(201).send({ id });
});

app.post<{ Params: { id: string }; Body: { email: string } }>(
  '/users/:id/emails',
  async (request, reply) => {
    const added = await addEmail(Number(request.params.id), request.body.email);
    return added ? reply.code(201).send({ ok: true }) : reply.code(404).send({ error: 'no user' });
  },
);

app.get('/users', async () => {
  const session = await dbSession(engine);
  const users = await session.db
    .selectFrom('users')
    .leftJoin('emails', 'emails.user_id', 'users.id')
    .select(['users.id', 'users.name', 'emails.email'])
    .orderBy('users.id')
    .execute();
  // Done with the database: give the connection back before the (pretend) slow rendering.
  await closeDbSession(engine);
  return users;
});

app.post('/audit', async () => {
  // atomic(): committed at once, whatever happens to the rest of the request.
  await atomic(engine, (session) =>
    session.execute("insert into users (name) values ('audit: visited')"),
  );
  return { ok: true };
});

const url = await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) });
console.log(`listening on ${url}`);

async function call(method: string, path: string, body?: unknown): Promise<void> {
  const response = await fetch(`${url}${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  console.log(`${method} ${path} -> ${response.status} ${await response.text()}`);
}

async function shutdown(): Promise<void> {
  await app.close();
  await engine.execute(`drop schema ${schemaName} cascade`);
  await engine.close();
  await engine.waitClosed();
}

if (process.argv.includes('--serve')) {
  process.once('SIGINT', () => void shutdown().then(() => console.log('stopped')));
} else {
  try {
    await call('POST', '/users', { name: 'Ada', emails: ['ada@example.com'] }); // committed
    await call('POST', '/users', { name: 'crash' }); // 500: rolled back
    await call('POST', '/users/999/emails', { email: 'x@example.com' }); // 404: rolled back
    await call('POST', '/audit');
    await call('GET', '/users'); // Ada with her email, and the audit row; no 'crash'
    console.log('pool:', engine.stats());
  } finally {
    await shutdown();
  }
  console.log('done');
}
