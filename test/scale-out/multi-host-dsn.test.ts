import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { maskedDsn } from '../../src/engine/dsn.js';
import { type EngineOptions, resolveEngineOptions } from '../../src/engine/engine-options.js';
import type { TargetSessionAttrs } from '../../src/index.js';

// Multi-host connection strings as libpq reads them (pg-connection-string cannot): the host list,
// per-host or shared ports, host=/port= lists in the query, IPv6 and Unix-socket hosts,
// target_session_attrs and load_balance_hosts; and the options-object form. No server needed.

const DEFAULT_PORT = Number(process.env.PGPORT || 5432);

function resolve(input: string | EngineOptions) {
  return resolveEngineOptions(input).connection;
}

function hostsOf(input: string | EngineOptions): [string, number][] | undefined {
  return resolve(input).multiHost?.hosts.map((host) => [host.host, host.port]);
}

describe('multi-host connection strings', () => {
  it('reads every host with its port, the session attributes and the other parameters', () => {
    const connection = resolve(
      'postgres://app:s3cret@db1:5432,db2:5433/shop?target_session_attrs=read-write&load_balance_hosts=random&application_name=api',
    );
    expect(connection.multiHost).toEqual({
      hosts: [
        { host: 'db1', port: 5432, database: 'shop', user: 'app' },
        { host: 'db2', port: 5433, database: 'shop', user: 'app' },
      ],
      targetSessionAttrs: 'read-write',
      loadBalanceHosts: 'random',
    });
    expect(connection.password).toBe('s3cret');
    expect(connection.config).toMatchObject({ host: 'db1', port: 5432, user: 'app', database: 'shop', application_name: 'api' });
    expect(connection.config).not.toHaveProperty('target_session_attrs');
    expect(maskedDsn(connection)).toBe(
      'postgresql://app:***@db1:5432,db2:5433/shop?target_session_attrs=read-write&load_balance_hosts=random',
    );
  });

  it('gives a host without a port the default port', () => {
    expect(hostsOf('postgres://u@db1:6000,db2/x')).toEqual([
      ['db1', 6000],
      ['db2', DEFAULT_PORT],
    ]);
  });

  it('applies a single port= to every host, as libpq does', () => {
    expect(hostsOf('postgres://u@db1,db2,db3/x?port=6001')).toEqual([
      ['db1', 6001],
      ['db2', 6001],
      ['db3', 6001],
    ]);
  });

  it('takes host= and port= lists from the query, replacing the URL’s host', () => {
    expect(hostsOf('postgres://u@ignored/x?host=/tmp/a,/tmp/b&port=6001,6002')).toEqual([
      ['/tmp/a', 6001],
      ['/tmp/b', 6002],
    ]);
  });

  it('reads IPv6 hosts in brackets and percent-encoded Unix-socket directories', () => {
    const dsn = 'postgres://u@[::1]:6001,[fe80::2],%2Fvar%2Frun%2Fpostgresql:6003/x';
    expect(hostsOf(dsn)).toEqual([
      ['::1', 6001],
      ['fe80::2', DEFAULT_PORT],
      ['/var/run/postgresql', 6003],
    ]);
    expect(maskedDsn(resolve(dsn))).toBe(
      `postgresql://u@[::1]:6001,[fe80::2]:${DEFAULT_PORT},%2Fvar%2Frun%2Fpostgresql:6003/x`,
    );
  });

  it('checks one host for target_session_attrs other than any; leaves a plain URL alone', () => {
    expect(hostsOf('postgres://u@db1:6000/x?target_session_attrs=standby')).toEqual([['db1', 6000]]);
    const plain = resolve('postgres://u@db1:6000/x?target_session_attrs=any');
    expect(plain.multiHost).toBeUndefined();
    expect(plain.target).toEqual({ host: 'db1', port: 6000, database: 'x', user: 'u' });
    expect(resolve('postgres://u@db1:6000/x').multiHost).toBeUndefined();
  });

  it('refuses a port list that matches neither one port nor one per host', () => {
    expect(() => resolve('postgres://u:pw-x@db1,db2/x?port=1,2,3')).toThrow(
      new TypeError('connectionString has 3 ports for 2 hosts (give one port for all, or one per host)'),
    );
  });

  it('refuses an unknown target_session_attrs or load_balance_hosts, listing the choices', () => {
    expect(() => resolve('postgres://u@db1,db2/x?target_session_attrs=master')).toThrow(
      new TypeError(
        'target_session_attrs must be one of any, read-write, read-only, primary, standby, prefer-standby',
      ),
    );
    expect(() => resolve('postgres://u@db1,db2/x?load_balance_hosts=round-robin')).toThrow(
      new TypeError('load_balance_hosts must be disable or random'),
    );
  });

  it('refuses a port out of range without repeating the connection string', () => {
    let message = '';
    try {
      resolve('postgres://u:hunter2@db1:99999,db2/x');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toBe('port in connectionString must be an integer from 1 to 65535, got "99999"');
  });
});

describe('the options object form', () => {
  it('takes hosts, targetSessionAttrs and loadBalanceHosts; port is the default of hosts without one', () => {
    const connection = resolve({
      hosts: [{ host: 'db1', port: 6001 }, { host: 'db2' }],
      port: 6100,
      user: 'u',
      password: 'pw',
      database: 'x',
      targetSessionAttrs: 'primary',
      loadBalanceHosts: 'random',
    });
    expect(connection.multiHost?.hosts.map((host) => [host.host, host.port])).toEqual([
      ['db1', 6001],
      ['db2', 6100],
    ]);
    expect(connection.multiHost?.targetSessionAttrs).toBe('primary');
    expect(maskedDsn(connection)).toBe(
      'postgresql://u:***@db1:6001,db2:6100/x?target_session_attrs=primary&load_balance_hosts=random',
    );
  });

  it('hosts replace the hosts of connectionString and keep its credentials and database', () => {
    const connection = resolve({
      connectionString: 'postgres://u:pw@old1,old2/x?target_session_attrs=read-write',
      hosts: [{ host: 'new1', port: 7001 }],
    });
    expect(connection.multiHost).toMatchObject({
      hosts: [{ host: 'new1', port: 7001, database: 'x', user: 'u' }],
      targetSessionAttrs: 'read-write',
    });
  });

  it('refuses hosts together with host, an empty hosts, a host option over a host list, and bad values', () => {
    expect(() => resolve({ hosts: [{ host: 'a' }], host: 'b' })).toThrow(new TypeError('give either host or hosts, not both'));
    expect(() => resolve({ hosts: [] })).toThrow(new TypeError('hosts must be a non-empty array of { host, port }'));
    expect(() => resolve({ connectionString: 'postgres://u@a,b/x', host: 'c' })).toThrow(
      new TypeError('the host option cannot replace the host list of a multi-host connectionString: use hosts'),
    );
    expect(() => resolve({ hosts: [{ host: 'a', port: 0 }] })).toThrow(
      new TypeError('hosts[0].port must be an integer from 1 to 65535, got 0'),
    );
    expect(() => resolve({ host: 'a', targetSessionAttrs: 'master' as never })).toThrow(
      /^targetSessionAttrs must be one of any, read-write/,
    );
    expect(() => resolve({ host: 'a', loadBalanceHosts: true as never })).toThrow(
      new TypeError('loadBalanceHosts must be disable or random, got "true"'),
    );
  });
});

// ——— properties ———

const hostName = fc
  .array(fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/), { minLength: 1, maxLength: 3 })
  .map((labels) => labels.join('.'));
const ipv6 = fc.ipV6().filter((address) => !address.includes('.'));
const socketDir = fc
  .array(fc.stringMatching(/^[A-Za-z0-9_.-]{1,8}$/), { minLength: 1, maxLength: 3 })
  .map((parts) => `/${parts.join('/')}`);
const host = fc.oneof(hostName, fc.ipV4(), ipv6, socketDir);
const port = fc.integer({ min: 1, max: 65535 });
const attrs = fc.constantFrom<TargetSessionAttrs[]>('any', 'read-write', 'read-only', 'primary', 'standby', 'prefer-standby');
/** A password no host, user or database can contain by accident. */
const password = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 16 }).map((text) => `§pw§${text}`);
const user = fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/);
// pg-connection-string decodes the path with decodeURI, which leaves %23, %2B … encoded (for a
// single host too): database names here keep to characters that need no escaping.
const database = fc.stringMatching(/^[A-Za-z0-9_-]{1,10}$/);

function urlHost(name: string): string {
  if (name.startsWith('/')) return encodeURIComponent(name);
  return name.includes(':') ? `[${name}]` : name;
}

describe('properties of the multi-host parser', () => {
  it('reads back every host, port and setting it was given, the password unchanged', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(host, port), { minLength: 2, maxLength: 5 }),
        user,
        password,
        database,
        attrs,
        fc.boolean(),
        (hosts, name, secret, db, tsa, random) => {
          const dsn =
            `postgres://${name}:${encodeURIComponent(secret)}@` +
            hosts.map(([h, p]) => `${urlHost(h)}:${p}`).join(',') +
            `/${encodeURIComponent(db)}?target_session_attrs=${tsa}` +
            (random ? '&load_balance_hosts=random' : '');
          const connection = resolve(dsn);
          expect(connection.multiHost?.hosts.map((one) => [one.host, one.port])).toEqual(hosts);
          expect(connection.multiHost?.targetSessionAttrs).toBe(tsa);
          expect(connection.multiHost?.loadBalanceHosts).toBe(random ? 'random' : 'disable');
          expect(connection.password).toBe(secret);
          expect(connection.target).toMatchObject({ database: db, user: name });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('the masked DSN never holds the password and parses back to the same servers', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(host, port), { minLength: 2, maxLength: 5 }),
        user,
        password,
        database,
        attrs,
        (hosts, name, secret, db, tsa) => {
          const connection = resolve({
            hosts: hosts.map(([h, p]) => ({ host: h, port: p })),
            user: name,
            password: secret,
            database: db,
            targetSessionAttrs: tsa,
          });
          const masked = maskedDsn(connection);
          expect(masked).not.toContain(secret);
          expect(masked).not.toContain(encodeURIComponent(secret));
          const again = resolve(masked.replace(':***@', `:${encodeURIComponent(secret)}@`));
          expect(again.multiHost).toEqual(connection.multiHost);
          expect(again.password).toBe(secret);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('an invalid multi-host string is refused with a TypeError that never holds the password', () => {
    const broken = fc.constantFrom(
      (pw: string) => `postgres://u:${pw}@a:0,b/x`,
      (pw: string) => `postgres://u:${pw}@a,b/x?port=1,2,3`,
      (pw: string) => `postgres://u:${pw}@[::1,b/x`,
      (pw: string) => `postgres://u:${pw}@a,b/x?target_session_attrs=${pw}`,
      (pw: string) => `postgres://u:${pw}@a:${pw},b/x`,
    );
    fc.assert(
      fc.property(broken, password, (make, secret) => {
        const encoded = encodeURIComponent(secret);
        let thrown: unknown;
        try {
          resolve(make(encoded));
        } catch (error) {
          thrown = error;
        }
        expect(thrown).toBeInstanceOf(TypeError);
        expect((thrown as Error).message).not.toContain(secret);
        expect((thrown as Error).message).not.toContain(encoded);
      }),
      { numRuns: 200 },
    );
  });
});
