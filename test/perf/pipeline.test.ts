import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import {
  InterfaceError,
  OperationalError,
  UniqueViolationError,
} from '../../src/index.js';
import { observe, useTestDatabase } from '../support/test-database.js';
import { useEngines } from '../support/engine-fixture.js';
import { rejection } from '../support/rejection.js';

const db = useTestDatabase();
const engines = useEngines(db, { defaults: { minSize: 1, maxSize: 4 } });

afterEach(async () => {
  await observe(db.url, "delete from users where name like 'pipe-%'");
});

const range = (count: number) => Array.from({ length: count }, (_, index) => index);

describe('pipelined autocommit path (engine.db)', () => {
  it('answers 16 concurrent statements each with its own result, without acquiring from the pool', async () => {
    const e = await engines.make();
    const results = await Promise.all(
      range(16).map((index) =>
        e.db
          .selectNoFrom([sql<number>`${index}::int * 10`.as('tenfold'), sql<string>`${`w${index}`}::text`.as('tag')])
          .executeTakeFirstOrThrow(),
      ),
    );
    expect(results).toEqual(range(16).map((index) => ({ tenfold: index * 10, tag: `w${index}` })));
    expect(e.stats()).toMatchObject({ acquires: 0, inUse: 0 });
  });

  it('runs every statement on the one shared pipelined connection, outside the pool', async () => {
    const e = await engines.make();
    const events = e.captured.events;
    await Promise.all(range(16).map((id) => e.db.selectFrom('users').select('id').where('id', '=', id).execute()));
    const pids = new Set(events.map((event) => event.backendPid));
    expect(pids.size).toBe(1);
    await using conn = await e.acquire();
    expect(pids.has(conn.backendPid)).toBe(false);
  });

  it('fails only the statement that violates a constraint, with its typed error', async () => {
    const e = await engines.make();
    const [taken] = await observe<{ id: number }>(db.url, "insert into users (name) values ('pipe-taken') returning id");
    const id = taken?.id as number;
    const outcomes = await Promise.allSettled(
      range(16).map((index) =>
        e.db
          .insertInto('users')
          .values(index === 7 ? { id, name: 'pipe-duplicate' } : { name: `pipe-${index}` })
          .returning('name')
          .executeTakeFirstOrThrow(),
      ),
    );
    const failed = outcomes.filter((outcome) => outcome.status === 'rejected');
    expect(failed).toHaveLength(1);
    const reason = (outcomes[7] as PromiseRejectedResult).reason as UniqueViolationError;
    expect(reason).toBeInstanceOf(UniqueViolationError);
    expect(reason).toMatchObject({ sqlstate: '23505', constraint: 'users_pkey' });
    expect(reason.message).toBe('duplicate key value violates unique constraint "users_pkey"');
    const committed = await observe<{ name: string }>(db.url, "select name from users where name like 'pipe-%' order by name");
    expect(committed.map((row) => row.name).sort()).toEqual(
      ['pipe-taken', ...range(16).filter((index) => index !== 7).map((index) => `pipe-${index}`)].sort(),
    );
  });

  it('replaces a pipelined connection that was killed, failing only the statement it was running', async () => {
    const e = await engines.make();
    const { events, warnings } = e.captured;
    await e.db.selectNoFrom(sql<number>`1`.as('one')).execute();
    const firstPid = events[0]?.backendPid as number;
    const sleeping = rejection(sql`select pg_sleep(${5})`.execute(e.db), OperationalError);
    await waitFor(async () => (await observe(db.url, "select 1 from pg_stat_activity where query like 'select pg_sleep%' and pid = $1", [firstPid])).length === 1);
    await observe(db.url, 'select pg_terminate_backend($1)', [firstPid]);
    const failure = await sleeping;
    expect(failure).toMatchObject({ sqlstate: '57P01', message: 'terminating connection due to administrator command' });
    const after = await e.db.selectNoFrom(sql<number>`pg_backend_pid()`.as('pid')).executeTakeFirstOrThrow();
    expect(after.pid).not.toBe(firstPid);
    expect(events.at(-1)?.backendPid).toBe(after.pid);
    expect(warnings).toEqual([
      'pipelined connection lost: terminating connection due to administrator command',
    ]);
  });

  it('sends new statements to the pool while a slow one holds the pipeline', async () => {
    const e = await engines.make();
    const slow = sql`select pg_sleep(${1.5})`.execute(e.db);
    await new Promise((resolve) => setTimeout(resolve, 150));
    const started = performance.now();
    const fast = await e.db.selectNoFrom(sql<number>`2`.as('two')).executeTakeFirstOrThrow();
    expect(fast).toEqual({ two: 2 });
    // Queued behind the sleep it would take more than 1.3 s.
    expect(performance.now() - started).toBeLessThan(1000);
    expect(e.stats().acquires).toBe(1);
    await slow;
  });

  it('runs a Kysely transaction on a pooled connection and rolls it back on error', async () => {
    const e = await engines.make();
    const failure = await rejection(
      e.db.transaction()
      .execute(async (trx) => {
        await trx.insertInto('users').values({ name: 'pipe-in-trx' }).execute();
        const seen = await trx.selectFrom('users').select('name').where('name', '=', 'pipe-in-trx').execute();
        expect(seen).toEqual([{ name: 'pipe-in-trx' }]);
        throw new Error('abort the transaction');
      }),
      Error,
    );
    expect(failure).toEqual(new Error('abort the transaction'));
    expect(e.stats().acquires).toBe(1);
    expect(await observe(db.url, "select 1 from users where name = 'pipe-in-trx'")).toEqual([]);
  });

  it('runs session-changing SQL on a pooled connection, never on the shared one', async () => {
    const e = await engines.make();
    const events = e.captured.events;
    await e.db.selectNoFrom(sql<number>`1`.as('one')).execute();
    await sql`set application_name = 'pipe-session'`.execute(e.db);
    expect(events[1]?.backendPid).not.toBe(events[0]?.backendPid);
    const pipelined = await e.db.selectNoFrom(sql<string>`current_setting('application_name')`.as('name')).executeTakeFirstOrThrow();
    expect(pipelined.name).not.toBe('pipe-session');
  });

  it('retries 16 concurrent pipelined statements transparently after a schema change', async () => {
    const e = await engines.make();
    await observe(db.url, 'create table if not exists pipe_shape (id int primary key)');
    await observe(db.url, 'insert into pipe_shape values (1) on conflict do nothing');
    const query = () => sql<Record<string, unknown>>`select * from pipe_shape where id = ${1}`.execute(e.db);
    await query();
    await observe(db.url, 'alter table pipe_shape add column extra int default 5');
    const results = await Promise.all(range(16).map(query));
    expect(results.map((result) => result.rows)).toEqual(range(16).map(() => [{ id: 1, extra: 5 }]));
    await observe(db.url, 'drop table pipe_shape');
  });

  it('runs the onConnect hook on the pipelined connection before its first statement', async () => {
    const prepared: number[] = [];
    const e = await engines.make({
      onConnect: (conn) => {
        prepared.push(conn.backendPid);
      },
    });
    const events = e.captured.events;
    await e.db.selectNoFrom(sql<number>`1`.as('one')).execute();
    const pipelinedPid = events.at(-1)?.backendPid as number;
    expect(prepared).toContain(pipelinedPid);
    expect(e.stats().acquires).toBe(0);
  });

  it('acquires from the pool for every statement when pipelineConnections is 0', async () => {
    const e = await engines.make({ pipelineConnections: 0 });
    await Promise.all(range(4).map(() => e.db.selectNoFrom(sql<number>`1`.as('one')).execute()));
    expect(e.stats().acquires).toBe(4);
  });

  it('closes the pipelined connection with the engine', async () => {
    const e = await engines.make({ applicationName: 'pgsa-pipe-close' });
    await e.db.selectNoFrom(sql<number>`1`.as('one')).execute();
    await e.close();
    await e.waitClosed();
    expect(await observe(db.url, "select pid from pg_stat_activity where application_name = 'pgsa-pipe-close'")).toEqual([]);
    expect(await rejection(e.db.selectNoFrom(sql<number>`1`.as('one')).execute(), InterfaceError)).toEqual(
      new InterfaceError('cannot acquire: the engine is closed'),
    );
  });
});

async function waitFor(check: () => Promise<boolean>): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('condition not met within 2 s');
}
