import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createEngine,
  type Engine,
  InterfaceError,
  OperationalError,
  ReadOnlySqlTransactionError,
  ReplicaUnavailableError,
} from '../../src/index.js';
import { freePort } from '../support/fault-server.js';
import { query, type ReplicaSet, startReplicaSet } from '../support/replication.js';
import { rejection } from '../support/rejection.js';
import { answeredBy, eventually, replicaEngine, WHERE_SQL, withoutPassword } from './replica-support.js';

interface Database {
  replica_items: { id: number; label: string };
}

let set: ReplicaSet;
const engines: Engine[] = [];

beforeAll(async () => {
  set = await startReplicaSet({ standbys: 2 });
  await query(set.primary.url, 'create table replica_items (id int primary key, label text not null)');
  await query(set.primary.url, "insert into replica_items values (1, 'one'), (2, 'two')");
  await set.waitForReplay();
}, 60_000);

afterEach(async () => {
  await Promise.all(
    engines.splice(0).map(async (engine) => {
      await engine.close();
      await engine.waitClosed();
    }),
  );
});

afterAll(async () => {
  await set?.close();
});

async function make(options: Parameters<typeof replicaEngine>[1] = {}) {
  const engine = await replicaEngine(set, options);
  engines.push(engine);
  return engine;
}

const standbyPorts = () => set.standbys.map((standby) => standby.port);

describe('engine.readonly', () => {
  it('sends reads to a replica and the engine’s own statements to the primary', async () => {
    const engine = await make();
    const read = await answeredBy(engine.readonly.fetchRow(WHERE_SQL));
    expect(read.inRecovery).toBe(true);
    expect(standbyPorts()).toContain(read.port);
    const write = await answeredBy(engine.fetchRow(WHERE_SQL));
    expect(write).toEqual({ port: set.primary.port, inRecovery: false });
  });

  it('reads replicated rows through db, execute, fetch*, acquire and stream', async () => {
    const engine = (await make()) as unknown as Engine<Database>;
    const ro = engine.readonly;
    const viaDb = await ro.db.selectFrom('replica_items').select(['id', 'label']).orderBy('id').execute();
    expect(viaDb).toEqual([
      { id: 1, label: 'one' },
      { id: 2, label: 'two' },
    ]);
    expect((await ro.execute('select count(*)::int as n from replica_items')).scalar()).toBe(2);
    expect((await ro.fetch('select label from replica_items order by id')).map((row) => row.label)).toEqual(['one', 'two']);
    expect(await ro.fetchVal('select label from replica_items where id = $1', [2])).toBe('two');
    await using conn = await ro.acquire();
    expect(await conn.scalar('select pg_is_in_recovery()')).toBe(true);
    const streamed: unknown[] = [];
    for await (const row of ro.stream('select id from replica_items order by id', { batchSize: 1 })) {
      streamed.push(row.id);
    }
    expect(streamed).toEqual([1, 2]);
  });

  it('spreads reads over the replicas: two connections held at once come from both', async () => {
    const engine = await make();
    await using first = await engine.readonly.acquire();
    await using second = await engine.readonly.acquire();
    const ports = [await first.scalar('select inet_server_port()'), await second.scalar('select inet_server_port()')];
    expect(ports.map(Number).sort()).toEqual(standbyPorts().sort());
  });

  it('counts the reads each replica served in engine.stats()', async () => {
    const engine = await make();
    for (let i = 0; i < 6; i++) await engine.readonly.fetchVal('select 1');
    const { replicas, replicaFallbacks } = engine.stats();
    expect(replicaFallbacks).toBe(0);
    expect(replicas.map((replica) => replica.status)).toEqual(['ready', 'ready']);
    expect(replicas.map((replica) => replica.lagMs)).toEqual([0, 0]);
    expect(replicas.reduce((sum, replica) => sum + replica.reads, 0)).toBe(6);
    // Equal candidates take turns.
    expect(replicas.every((replica) => replica.reads >= 1)).toBe(true);
    expect(replicas[0]?.dsn).toBe(`postgresql://postgres:***@127.0.0.1:${set.standbys[0]?.port}/postgres`);
    expect(replicas[0]?.pool.maxSize).toBe(4);
    expect(JSON.stringify(engine.stats())).not.toContain(set.primary.password);
    expect(engine.readonly.stats()).toEqual(replicas.map((replica) => ({ ...replica, pool: expect.any(Object) })));
  });

  it('refuses a write on a replica with ReadOnlySqlTransactionError (25006), nothing written', async () => {
    const engine = (await make()) as unknown as Engine<Database>;
    const error = await rejection(
      engine.readonly.execute("insert into replica_items values (3, 'three')"),
      ReadOnlySqlTransactionError,
    );
    expect(error.sqlstate).toBe('25006');
    expect(error.message).toBe('cannot execute INSERT in a read-only transaction');
    const viaDb = await rejection(
      engine.readonly.db.insertInto('replica_items').values({ id: 3, label: 'three' }).execute(),
      ReadOnlySqlTransactionError,
    );
    expect(viaDb.sqlstate).toBe('25006');
    expect(await query(set.primary.url, 'select count(*)::int as n from replica_items')).toEqual([{ n: 2 }]);
  });

  it('runs transaction(fn) READ ONLY on a replica, also when it falls back to the primary', async () => {
    const engine = (await make()) as unknown as Engine<Database>;
    const seen = await engine.readonly.transaction(
      async (conn) => [
        await conn.scalar('select pg_is_in_recovery()'),
        await conn.scalar('show transaction_read_only'),
        await conn.scalar('show transaction_isolation'),
      ],
      { isolationLevel: 'repeatable read' },
    );
    expect(seen).toEqual([true, 'on', 'repeatable read']);
    const refused = await rejection(engine.readonly.transaction(async () => 1, { readOnly: false }), InterfaceError);
    expect(refused.message).toBe('cannot run a read-write transaction on engine.readonly');

    const alone = (await make({ replicas: [] })) as unknown as Engine<Database>;
    const error = await rejection(
      alone.readonly.transaction(async (conn) => {
        expect(await conn.scalar('select pg_is_in_recovery()')).toBe(false);
        await conn.execute("insert into replica_items values (9, 'nine')");
      }),
      ReadOnlySqlTransactionError,
    );
    expect(error.sqlstate).toBe('25006');
    expect(await query(set.primary.url, 'select count(*)::int as n from replica_items')).toEqual([{ n: 2 }]);
  });

  it('connects to a replica given without a password with the primary’s', async () => {
    const [standby] = set.standbys;
    const engine = await make({ replicas: [withoutPassword(standby?.url ?? '')] });
    expect(await answeredBy(engine.readonly.fetchRow(WHERE_SQL))).toEqual({ port: standby?.port, inRecovery: true });
  });

  it('sends the reads to the primary when the engine has no replica', async () => {
    const engine = await make({ replicas: [] });
    expect(await answeredBy(engine.readonly.fetchRow(WHERE_SQL))).toEqual({ port: set.primary.port, inRecovery: false });
    expect(engine.stats().replicaFallbacks).toBe(1);
    expect(engine.readonly.replicas).toEqual([]);
  });

  it('closes the replicas’ connections with the engine, and nothing reaches them afterwards', async () => {
    const engine = await createEngine({
      connectionString: set.primary.url,
      replicas: set.standbys.map((standby) => standby.url),
      applicationName: 'pgsa-replica-close',
      replicaCheckIntervalMs: 20,
    });
    await using conn = await engine.readonly.acquire();
    await engine.readonly.fetchVal('select 1');
    const sessions = async () =>
      (
        await Promise.all(
          set.standbys.map((standby) =>
            query<{ n: number }>(
              standby.url,
              "select count(*)::int as n from pg_stat_activity where application_name = 'pgsa-replica-close'",
            ),
          ),
        )
      ).reduce((sum, [row]) => sum + (row?.n ?? 0), 0);
    expect(await sessions()).toBeGreaterThan(0);
    await engine.close();
    await conn.close();
    await engine.waitClosed();
    expect(await sessions()).toBe(0);
    const queries = engine.stats().replicas.map((replica) => replica.pool.queries);
    // Several check intervals later nothing reached the replicas.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(engine.stats().replicas.map((replica) => replica.pool.queries)).toEqual(queries);
    expect(await sessions()).toBe(0);
    const error = await rejection(engine.readonly.fetchVal('select 1'), InterfaceError);
    expect(error.message).toBe('cannot read: the engine is closed');
  });
});

describe('replicas that cannot be reached', () => {
  it('skips a replica that is down at start and reads from the other', async () => {
    const deadPort = await freePort();
    const [standby] = set.standbys;
    const engine = await make({ replicas: [`postgres://postgres@127.0.0.1:${deadPort}/postgres`, standby?.url ?? ''] });
    for (let i = 0; i < 4; i++) {
      expect(await answeredBy(engine.readonly.fetchRow(WHERE_SQL))).toEqual({ port: standby?.port, inRecovery: true });
    }
    const [dead, alive] = engine.stats().replicas;
    expect(dead?.status).toBe('down');
    expect(dead?.lastError).toMatch(/could not connect to PostgreSQL \(host 127\.0\.0\.1, port \d+, database postgres\)/);
    expect(dead?.lastError).not.toContain(set.primary.password);
    expect(alive).toMatchObject({ status: 'ready', reads: 4 });
    expect(engine.warnings.some((warning) => warning.includes(`127.0.0.1:${deadPort}/postgres is down`))).toBe(true);
  });

  it('falls back to the primary when no replica is usable, and counts it', async () => {
    const engine = await make({ replicas: [`postgres://postgres@127.0.0.1:${await freePort()}/postgres`] });
    expect(await answeredBy(engine.readonly.fetchRow(WHERE_SQL))).toEqual({ port: set.primary.port, inRecovery: false });
    await using conn = await engine.readonly.acquire();
    expect(await conn.scalar('select pg_is_in_recovery()')).toBe(false);
    expect(engine.stats().replicaFallbacks).toBe(2);
  });

  it("fails with ReplicaUnavailableError under replicaFallback: 'fail', saying why", async () => {
    const deadPort = await freePort();
    const engine = await make({
      replicas: [`postgres://postgres@127.0.0.1:${deadPort}/postgres`],
      replicaFallback: 'fail',
    });
    const error = await rejection(engine.readonly.fetchVal('select 1'), ReplicaUnavailableError);
    expect(error).toBeInstanceOf(OperationalError);
    expect(error.message).toMatch(
      new RegExp(`^no usable replica \\(replicaFallback is "fail"\\): postgresql://postgres:\\*\\*\\*@127\\.0\\.0\\.1:${deadPort}/postgres: down \\(could not connect`),
    );
    await rejection(engine.readonly.acquire(), ReplicaUnavailableError);
    // The engine's own reads are not affected.
    expect(await engine.fetchVal('select 1')).toBe(1);
  });

  it('skips a replica that stopped since its last check and runs the read on the next', async () => {
    const [first, second] = set.standbys;
    if (!first || !second) throw new Error('two standbys expected');
    const engine = await make({ replicaCheckIntervalMs: 60_000 });
    // Both replicas have served (and hold connections, pipelined and pooled) before the stop.
    for (let i = 0; i < 4; i++) await engine.readonly.fetchVal('select 1');
    await Promise.all([engine.readonly.acquire(), engine.readonly.acquire()].map(async (conn) => (await conn).close()));
    expect(engine.stats().replicas.map((replica) => replica.status)).toEqual(['ready', 'ready']);
    await first.stop('fast');
    try {
      for (let i = 0; i < 3; i++) {
        expect(await answeredBy(engine.readonly.fetchRow(WHERE_SQL))).toEqual({ port: second.port, inRecovery: true });
        await using conn = await engine.readonly.acquire();
        expect(Number(await conn.scalar('select inet_server_port()'))).toBe(second.port);
      }
      expect(engine.stats().replicas[0]).toMatchObject({ status: 'down', lastError: expect.any(String) });
      expect(engine.stats().replicaFallbacks).toBe(0);
    } finally {
      await first.start();
    }
    // Checked again after its back-off (0.5 s, doubling), long before the 60 s interval.
    await eventually(() => engine.stats().replicas[0]?.status === 'ready', 20_000);
    expect(engine.warnings.some((warning) => warning.includes(`127.0.0.1:${first.port}/postgres is ready`))).toBe(true);
  });
});

describe('replicas that stop (continued)', () => {
  it('runs a Kysely query of engine.readonly.db on the next replica when its replica stopped', async () => {
    const [first, second] = set.standbys;
    if (!first || !second) throw new Error('two standbys expected');
    const engine = await make({ replicaCheckIntervalMs: 60_000 });
    const port = async () => Number((await sql<{ port: number }>`select inet_server_port() as port`.execute(engine.readonly.db)).rows[0]?.port);
    // Consecutive picks alternate between equally idle replicas: both serve one.
    expect([await port(), await port()].sort()).toEqual(standbyPorts().sort());
    await first.stop('fast');
    try {
      expect([await port(), await port(), await port()]).toEqual([second.port, second.port, second.port]);
      expect(engine.stats().replicas[0]?.status).toBe('down');
    } finally {
      await first.start();
    }
  });
});

describe('replica options', () => {
  it.each([
    [{ replicas: 'postgres://x/y' }, 'replicas must be an array of connection strings or option objects'],
    [{ replicas: [42] }, 'replicas[0] must be a connection string or an options object'],
    [{ replicas: [{ hots: 'x' }] }, 'unknown option(s) in replicas[0]: hots'],
    [{ replicas: [{ port: 0 }] }, 'replicas[0].port must be an integer from 1 to 65535, got 0'],
    [{ maxLagMs: -1 }, 'maxLagMs must be an integer from 0 to 2147483647, got -1'],
    [{ replicaCheckIntervalMs: 0 }, 'replicaCheckIntervalMs must be at least 1'],
    [{ replicaFallback: 'replica' }, `replicaFallback must be 'primary' or 'fail', got "replica"`],
  ])('refuses %j before connecting', async (extra, message) => {
    const error = await rejection(
      createEngine({ connectionString: 'postgres://u@127.0.0.1:1/db', ...(extra as object) }),
      TypeError,
    );
    expect(error.message).toBe(message);
  });
});
