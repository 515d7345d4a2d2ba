import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  createEngine,
  type Engine,
  type EngineOptions,
  NoSuitableHostError,
  type TargetSessionAttrs,
} from '../../src/index.js';
import { failOnUnhandled } from '../support/fault-checks.js';
import { freePort } from '../support/fault-server.js';
import { silentServer } from '../support/loopback-servers.js';
import { rejection } from '../support/rejection.js';
import { query, type ReplicaSet, type Standby, startReplicaSet } from '../support/replication.js';

// Which server each target_session_attrs picks, on a primary with one hot standby (libpq's
// semantics: read-write also refuses a primary whose sessions default to read-only; primary
// does not). A port with nothing listening stands for a host that is down.

let set: ReplicaSet;
let standby: Standby;
let deadPort: number;
/** Role whose sessions default to read-only (`default_transaction_read_only`). */
const READ_ONLY_ROLE = 'pgsa_default_ro';
const READ_ONLY_PASSWORD = 'ro-secret-25006';

beforeAll(async () => {
  set = await startReplicaSet({ standbys: 1 });
  standby = set.standbys[0] as Standby;
  deadPort = await freePort();
  await query(set.primary.url, `create role ${READ_ONLY_ROLE} login password '${READ_ONLY_PASSWORD}'`);
  await query(set.primary.url, `alter role ${READ_ONLY_ROLE} set default_transaction_read_only = on`);
  await set.waitForReplay();
}, 60_000);
afterAll(async () => {
  await set?.close();
});
failOnUnhandled();

const opened: Engine[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((engine) => engine.close().then(() => engine.waitClosed())));
});

type Server = 'primary' | 'standby' | 'dead';

/** `postgres://postgres:pw@127.0.0.1:p1,127.0.0.1:p2/postgres?…` over `servers`, in that order. */
function multiHostUrl(servers: readonly Server[], query = '', user?: { name: string; password: string }): string {
  const url = new URL(set.primary.url);
  const credentials = user ? `${user.name}:${user.password}` : `${url.username}:${url.password}`;
  const hosts = servers.map((server) => `127.0.0.1:${portOf(server)}`).join(',');
  return `postgres://${credentials}@${hosts}/postgres${query}`;
}

function portOf(server: Server): number {
  return server === 'primary' ? set.primary.port : server === 'standby' ? standby.port : deadPort;
}

async function open(dsnOrOptions: string | EngineOptions): Promise<Engine> {
  const options: EngineOptions =
    typeof dsnOrOptions === 'string' ? { connectionString: dsnOrOptions } : dsnOrOptions;
  const engine = await createEngine({ minSize: 1, maxSize: 4, connectRetries: { attempts: 1 }, ...options });
  opened.push(engine);
  return engine;
}

/** The port of the server a pooled connection of `engine` is on, as the server says. */
async function serverPort(engine: Engine): Promise<number> {
  await using conn = await engine.acquire();
  return Number(await conn.scalar('select inet_server_port()'));
}

describe('target_session_attrs', () => {
  const cases: [TargetSessionAttrs, Server[], Server][] = [
    ['any', ['dead', 'standby', 'primary'], 'standby'],
    ['read-write', ['dead', 'standby', 'primary'], 'primary'],
    ['read-only', ['primary', 'dead', 'standby'], 'standby'],
    ['primary', ['standby', 'dead', 'primary'], 'primary'],
    ['standby', ['primary', 'dead', 'standby'], 'standby'],
    ['prefer-standby', ['primary', 'standby'], 'standby'],
    ['prefer-standby', ['primary', 'dead'], 'primary'],
  ];
  for (const [attrs, servers, expected] of cases) {
    it(`${attrs} on ${servers.join(', ')} connects to the ${expected}`, async () => {
      const engine = await open(multiHostUrl(servers, `?target_session_attrs=${attrs}`));
      expect(await serverPort(engine)).toBe(portOf(expected));
      expect(engine.dsn).toBe(
        `postgresql://postgres:***@${servers.map((server) => `127.0.0.1:${portOf(server)}`).join(',')}/postgres` +
          (attrs === 'any' ? '' : `?target_session_attrs=${attrs}`),
      );
    });
  }

  it('read-write refuses a primary whose sessions default to read-only; primary accepts it', async () => {
    const user = { name: READ_ONLY_ROLE, password: READ_ONLY_PASSWORD };
    const error = await rejection(
      open(multiHostUrl(['primary', 'dead'], '?target_session_attrs=read-write', user)),
      NoSuitableHostError,
    );
    expect(error.hosts.map((host) => [host.port, host.reason])).toEqual([
      [set.primary.port, 'session is read-only'],
      [deadPort, expect.stringContaining('ECONNREFUSED')],
    ]);
    const engine = await open(multiHostUrl(['primary', 'dead'], '?target_session_attrs=primary', user));
    expect(await serverPort(engine)).toBe(set.primary.port);
  });

  it('names every host tried and why it was refused, never the password', async () => {
    const error = await rejection(
      open(multiHostUrl(['primary', 'dead'], '?target_session_attrs=standby')),
      NoSuitableHostError,
    );
    expect(error.message).toBe(
      'could not connect to PostgreSQL (database postgres, target_session_attrs=standby): ' +
        `no suitable server among 2 hosts: 127.0.0.1:${set.primary.port}: server is not in hot standby mode; ` +
        `127.0.0.1:${deadPort}: connect ECONNREFUSED 127.0.0.1:${deadPort}`,
    );
    expect(error.hosts).toEqual([
      { host: '127.0.0.1', port: set.primary.port, reason: 'server is not in hot standby mode' },
      { host: '127.0.0.1', port: deadPort, reason: `connect ECONNREFUSED 127.0.0.1:${deadPort}` },
    ]);
    expect(error.errors).toHaveLength(2);
    expect(JSON.stringify({ message: error.message, hosts: error.hosts, stack: error.stack })).not.toContain(
      set.primary.password,
    );
  });

  it('a host that rejects the password is named with the server’s reason', async () => {
    const user = { name: 'postgres', password: 'wrong-password-28P01' };
    const error = await rejection(open(multiHostUrl(['dead', 'standby'], '', user)), NoSuitableHostError);
    expect(error.hosts.map((host) => host.port)).toEqual([deadPort, standby.port]);
    expect(error.hosts[1]?.reason).toBe('password authentication failed for user "postgres"');
    expect(error.message).not.toContain('wrong-password-28P01');
  });

  it('retries under connectRetries when every host refused transiently, not after a failed login', async () => {
    const otherDead = await freePort();
    const refused = await rejection(
      open({
        connectionString: `${multiHostUrl(['dead'])}`.replace(`:${deadPort}/`, `:${deadPort},127.0.0.1:${otherDead}/`),
        connectRetries: { attempts: 3, baseMs: 1, maxMs: 5 },
      }),
      NoSuitableHostError,
    );
    expect(refused.hosts.map((host) => host.port)).toEqual([deadPort, otherDead]);
    expect(refused.message).toMatch(/; 127\.0\.0\.1:\d+: connect ECONNREFUSED 127\.0\.0\.1:\d+ \(gave up after 3 attempts\)$/);
    const user = { name: 'postgres', password: 'wrong-password-28P01' };
    const started = performance.now();
    const denied = await rejection(
      open({ connectionString: multiHostUrl(['standby', 'dead'], '', user), connectRetries: { attempts: 3, baseMs: 500, maxMs: 500 } }),
      NoSuitableHostError,
    );
    expect(performance.now() - started, 'no retry delay').toBeLessThan(500);
    expect(denied.message).not.toContain('gave up');
  });

  it('the options object form takes hosts, targetSessionAttrs and a port for hosts without one', async () => {
    const engine = await open({
      hosts: [{ host: '127.0.0.1', port: standby.port }, { host: '127.0.0.1' }],
      port: set.primary.port,
      user: 'postgres',
      password: set.primary.password,
      database: 'postgres',
      targetSessionAttrs: 'read-write',
    });
    expect(await serverPort(engine)).toBe(set.primary.port);
    expect(engine.dsn).toBe(
      `postgresql://postgres:***@127.0.0.1:${standby.port},127.0.0.1:${set.primary.port}/postgres?target_session_attrs=read-write`,
    );
  });

  it('the pipelined path (engine.db autocommit statements) uses the same host selection', async () => {
    const engine = await open({
      connectionString: multiHostUrl(['standby', 'primary'], '?target_session_attrs=read-write'),
      pipelineConnections: 1,
    });
    const pipelined = engine.queryAutocommit('select inet_server_port() as port', [], 'object');
    expect(pipelined, 'the statement ran on the pipelined connection').toBeDefined();
    expect((await pipelined)?.rows).toEqual([{ port: set.primary.port }]);
    const viaDb = await engine.fetchVal('select inet_server_port()');
    expect(viaDb).toBe(set.primary.port);
  });

  it('the LISTEN connection uses the same host selection', async () => {
    const engine = await open(multiHostUrl(['standby', 'primary'], '?target_session_attrs=read-write'));
    const received: string[] = [];
    const subscription = await engine.listen('multi_host_channel', ({ payload }) => void received.push(payload));
    await query(set.primary.url, "select pg_notify('multi_host_channel', 'from the primary')");
    await vi.waitFor(() => expect(received).toEqual(['from the primary']), { timeout: 5_000 });
    await subscription.unlisten();
  });

  it('a host that never answers costs one connectTimeoutMs, once: later connections go to the host that matched', async () => {
    const silent = await silentServer();
    try {
      const silentPort = (silent.address() as { port: number }).port;
      const started = performance.now();
      const engine = await open({
        connectionString: multiHostUrl(['primary']).replace('@127.0.0.1:', `@127.0.0.1:${silentPort},127.0.0.1:`),
        connectTimeoutMs: 1_000,
        pipelineConnections: 0,
      });
      const opened = performance.now() - started;
      expect(opened, 'createEngine waited for the silent host').toBeGreaterThanOrEqual(990);
      expect(opened).toBeLessThan(5_000);
      const more = performance.now();
      const conns = await Promise.all([engine.acquire(), engine.acquire(), engine.acquire()]);
      expect(performance.now() - more, 'new connections skip the silent host').toBeLessThan(900);
      for (const conn of conns) expect(Number(await conn.scalar('select inet_server_port()'))).toBe(set.primary.port);
      await Promise.all(conns.map((conn) => conn.close()));
    } finally {
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('load_balance_hosts=random spreads new connections over the matching hosts', async () => {
    const engine = await open({
      connectionString: multiHostUrl(['primary', 'standby'], '?load_balance_hosts=random'),
      minSize: 0,
      maxSize: 40,
      pipelineConnections: 0,
    });
    const conns = await Promise.all(Array.from({ length: 40 }, () => engine.acquire()));
    const ports = new Set(await Promise.all(conns.map(async (conn) => Number(await conn.scalar('select inet_server_port()')))));
    await Promise.all(conns.map((conn) => conn.close()));
    // 40 fair coin flips all landing on one side: 2 in 2^40.
    expect(ports).toEqual(new Set([set.primary.port, standby.port]));
  });

  it('without load balancing, every connection goes to the first matching host', async () => {
    const engine = await open({
      connectionString: multiHostUrl(['primary', 'standby']),
      minSize: 0,
      maxSize: 10,
      pipelineConnections: 0,
    });
    const conns = await Promise.all(Array.from({ length: 10 }, () => engine.acquire()));
    const ports = new Set(await Promise.all(conns.map(async (conn) => Number(await conn.scalar('select inet_server_port()')))));
    await Promise.all(conns.map((conn) => conn.close()));
    expect(ports).toEqual(new Set([set.primary.port]));
  });
});
