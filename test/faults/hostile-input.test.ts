import { inspect } from 'node:util';
import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createEngine,
  DataError,
  type Engine,
  type EngineOptions,
  OperationalError,
  PgsaError,
  type SAConnection,
} from '../../src/index.js';
import { quoteIdentifier } from '../../src/sql/quote.js';
import { useEngines } from '../support/engine-fixture.js';
import { closedPort } from '../support/loopback-servers.js';
import { observe, useTestDatabase } from '../support/test-database.js';

// Fault kit, part 5: hostile input, property-based. Every value either round-trips exactly or is
// refused with a typed error; nothing crashes the process, nothing runs injected SQL, and no
// password shows up in any error, inspect or JSON output.

interface Tables {
  victim: { id: number };
  sink: { t: string; f: number };
}

const db = useTestDatabase();
const engines = useEngines<Tables>(db, {
  setup: 'create table victim (id int primary key); insert into victim values (1)',
  defaults: { minSize: 1, maxSize: 2 },
  shared: true,
});

/** Any UTF-16 code unit (lone surrogates and NUL included), any code point, SQL's special characters. */
const textUnit = fc.oneof(
  fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)),
  fc.fullUnicode(),
  fc.constantFrom("'", '"', ';', '\\', '$$', '\0', '--', '/*', '*/', ' ', '\n', '%', '?', '$1'),
);
const anyText = (maxLength = 40) => fc.string({ unit: textUnit, maxLength });

let conn: SAConnection<Tables>;
beforeAll(async () => {
  conn = await engines.shared.acquire();
});
afterAll(async () => {
  await conn.close();
});

/** The victim table is still there, with its one row: nothing injected ran. */
async function expectNothingInjected(): Promise<void> {
  expect(await observe(db.url, 'select id from victim')).toEqual([{ id: 1 }]);
}

/** True when `text` is valid UTF-16 (no unpaired surrogate): only such text has a UTF-8 form. */
function wellFormed(text: string): boolean {
  return (text as string & { isWellFormed(): boolean }).isWellFormed();
}

describe('parameter values', () => {
  it('text round-trips exactly (pooled and pipelined), or is a DataError (NUL, unpaired surrogates)', async () => {
    await fc.assert(
      fc.asyncProperty(anyText(), async (text) => {
        const sendable = wellFormed(text) && !text.includes('\0');
        for (const run of [
          () => conn.scalar('select $1::text', [text]),
          async () => (await sql<{ v: string }>`select ${text}::text as v`.execute(engines.shared.db)).rows[0]?.v,
        ]) {
          if (sendable) {
            expect(await run()).toBe(text);
          } else {
            await expect(run()).rejects.toBeInstanceOf(DataError);
          }
        }
      }),
      { numRuns: 200 },
    );
    await expectNothingInjected();
  });

  it('int8 round-trips exactly as a bigint, or is a DataError out of range', async () => {
    await fc.assert(
      fc.asyncProperty(fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }), async (value) => {
        const inRange = value >= -(2n ** 63n) && value < 2n ** 63n;
        const run = () => conn.scalar('select $1::int8::text', [value]);
        if (inRange) expect(await run()).toBe(String(value));
        else await expect(run()).rejects.toBeInstanceOf(DataError);
      }),
      { numRuns: 100 },
    );
  });

  it('float8 round-trips exactly (NaN, infinities and -0 included)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.double(), async (value) => {
        expect(Object.is(await conn.scalar('select $1::float8', [value]), value)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it('a plain object round-trips through json, or is a DataError', async () => {
    await fc.assert(
      fc.asyncProperty(fc.dictionary(anyText(8), fc.jsonValue({ maxDepth: 3 })), async (value) => {
        const run = () => conn.scalar('select $1::json', [value]);
        const text = JSON.stringify(value);
        if (wellFormed(text)) expect(await run()).toEqual(JSON.parse(text));
        else await expect(run()).rejects.toBeInstanceOf(DataError);
      }),
      { numRuns: 100 },
    );
  });
});

describe('bulk paths', () => {
  it('copyFrom and executeMany store any text and number exactly, or refuse the whole batch typed', async () => {
    await conn.execute('create temporary table sink (t text, f float8)');
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(anyText(), fc.double()), { minLength: 1, maxLength: 5 }), async (rows) => {
        const sendable = rows.every(([text]) => wellFormed(text) && !text.includes('\0'));
        for (const write of [
          () => conn.copyFrom('sink', rows, { columns: ['t', 'f'] }),
          () => conn.executeMany('insert into sink (t, f) values ($1, $2)', rows),
        ]) {
          await conn.execute('truncate sink');
          if (sendable) {
            await write();
            const stored = await conn.execute('select t, f from sink');
            expect(stored.fetchAll().map((row) => [row.at(0), row.at(1)])).toEqual(rows);
          } else {
            await expect(write()).rejects.toBeInstanceOf(DataError);
            expect(await conn.scalar('select count(*)::int from sink')).toBe(0);
          }
        }
      }),
      { numRuns: 100 },
    );
  });
});

describe('identifiers', () => {
  it('any name either names exactly that table or is a TypeError; nothing else runs', async () => {
    await fc.assert(
      fc.asyncProperty(anyText(70), async (name) => {
        let quoted: string;
        try {
          quoted = quoteIdentifier(name);
        } catch (error) {
          expect(error).toBeInstanceOf(TypeError);
          const refusable =
            name.length === 0 || name.includes('\0') || !wellFormed(name) || Buffer.byteLength(name) > 63;
          expect(refusable).toBe(true);
          return;
        }
        await conn.execute(`create table ${quoted} (id int)`);
        try {
          expect(await conn.scalar('select count(*)::int from pg_class where relname = $1', [name])).toBe(1);
          // The table form of copyFrom takes the quoted name: the rows land in that table.
          expect(await conn.copyFrom(quoted as 'victim', [[1], [2]], { columns: ['id'] })).toBe(2);
          expect(await conn.scalar(`select count(*)::int from ${quoted}`)).toBe(2);
        } finally {
          await conn.execute(`drop table ${quoted}`);
        }
      }),
      { numRuns: 100 },
    );
    await expectNothingInjected();
  });
});

describe('two-phase transaction ids', () => {
  it('any xid is prepared and recovered exactly, or is a TypeError before anything is sent', async () => {
    await fc.assert(
      fc.asyncProperty(anyText(210), async (xid) => {
        let tx;
        try {
          tx = await conn.beginTwophase(xid);
        } catch (error) {
          expect(error).toBeInstanceOf(TypeError);
          expect(conn.inTransaction).toBe(false);
          return;
        }
        await conn.execute('select 1');
        await tx.prepare();
        expect(await conn.recoverTwophase()).toContain(xid);
        await conn.rollbackPrepared(xid);
        expect(await conn.recoverTwophase()).not.toContain(xid);
      }),
      { numRuns: 60 },
    );
    await expectNothingInjected();
  });
});

describe('connection strings and options', () => {
  // Only text that has a UTF-8 form can be percent-encoded into a URL.
  const urlText = (maxLength: number) => anyText(maxLength).filter(wellFormed);
  const secret = urlText(20)
    .map((tail) => `pw-${Math.random().toString(36).slice(2)}-${tail}`);

  it('a DSN with any user, password, database and query fails typed, naming no password', async () => {
    const port = await closedPort();
    await fc.assert(
      fc.asyncProperty(secret, urlText(12), urlText(12), anyText(20), async (password, user, database, query) => {
        const dsn =
          `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}/` +
          `${encodeURIComponent(database)}?${query}`;
        // One attempt each: what is tested is the DSN's handling, not connection retries.
        const error = await createEngine({ connectionString: dsn, connectTimeoutMs: 2_000, connectRetries: { attempts: 1 } }).then(
          (engine) => engine.close().then(() => new Error('connected to a closed port')),
          (error: unknown) => error,
        );
        expect(error instanceof TypeError || error instanceof OperationalError).toBe(true);
        expectNoSecret(error, password);
      }),
      { numRuns: 100 },
    );
  });

  it('any text as a DSN is refused or fails to connect, typed and bounded, never crashing', async () => {
    const port = await closedPort();
    await fc.assert(
      fc.asyncProperty(anyText(30), secret, async (tail, password) => {
        const dsn = `postgres://u:${encodeURIComponent(password)}@127.0.0.1:${port}/${tail}`;
        for (const connectionString of [dsn, tail]) {
          const error = await createEngine({
            connectionString,
            host: '127.0.0.1',
            port,
            connectTimeoutMs: 2_000,
            connectRetries: { attempts: 1 }, // the DSN's handling is tested, not retries
          }).then(
            (engine) => engine.close().then(() => new Error('connected to a closed port')),
            (error: unknown) => error,
          );
          expect(error instanceof TypeError || error instanceof PgsaError).toBe(true);
          expectNoSecret(error, password);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('a Unix-socket DSN holding a lone UTF-16 surrogate fails to connect, typed (fast-check found it)', async () => {
    // The masked DSN the engine prints used to throw URIError from encodeURIComponent.
    for (const connectionString of ['/* \ud800', 'postgres://u@/db?host=/tmp/\udc00x', 'postgres://u@h1:1,/tmp/\ud800:2/db']) {
      const error = await createEngine({ connectionString, connectTimeoutMs: 2_000, connectRetries: { attempts: 1 } }).then(
        (engine) => engine.close().then(() => new Error('connected')),
        (error: unknown) => error,
      );
      expect(error, connectionString).toBeInstanceOf(PgsaError);
      expect(String((error as Error).message)).not.toContain('URI malformed');
    }
  });

  it('an engine made with any password shows it nowhere (inspect, JSON, spread, errors)', async () => {
    await fc.assert(
      fc.asyncProperty(secret, async (password) => {
        const url = new URL(db.url);
        const engine: Engine = await createEngine({
          host: url.hostname,
          port: Number(url.port),
          user: 'postgres',
          password: db.password,
          database: db.name,
          applicationName: 'pgsa-hostile',
          minSize: 0,
        });
        try {
          expectNoSecret(engine, db.password);
          // A wrong password in the DSN form: the error never echoes it.
          const wrong = new URL(db.url);
          wrong.password = encodeURIComponent(password);
          const error = await createEngine({ connectionString: wrong.toString(), minSize: 1 }).then(
            (other) => other.close().then(() => new Error('a wrong password was accepted')),
            (error: unknown) => error,
          );
          expect(error).toBeInstanceOf(OperationalError);
          expectNoSecret(error, password);
        } finally {
          await engine.close();
        }
      }),
      { numRuns: 10 },
    );
  });

  it('options of any type and value either open an engine or are a TypeError naming the option', async () => {
    const hostile = fc.oneof(
      fc.integer({ min: -3, max: 70_000 }),
      fc.double(),
      anyText(4),
      fc.boolean(),
      fc.constant(null),
      fc.constant(undefined),
    );
    // Mostly valid values, so that engines do open and the hostile one is the odd one out.
    const value = (valid: fc.Arbitrary<unknown>) =>
      fc.oneof({ arbitrary: valid, weight: 6 }, { arbitrary: hostile, weight: 1 });
    const port = Number(new URL(db.url).port);
    const options = fc.record(
      {
        minSize: value(fc.integer({ min: 0, max: 2 })),
        maxSize: value(fc.integer({ min: 2, max: 4 })),
        acquireTimeoutMs: value(fc.integer({ min: 100, max: 5_000 })),
        connectTimeoutMs: value(fc.integer({ min: 100, max: 5_000 })),
        idleTimeoutMs: value(fc.integer({ min: 0, max: 5_000 })),
        statementCacheSize: value(fc.integer({ min: 0, max: 10 })),
        pipelineConnections: value(fc.integer({ min: 0, max: 2 })),
        port: value(fc.constant(port)),
      },
      { requiredKeys: [] },
    );
    let opened = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(options, async (picked) => {
        const outcome = await createEngine({ connectionString: db.url, ...(picked as EngineOptions) }).then(
          async (engine) => {
            opened++;
            await engine.close();
            return undefined;
          },
          (error: unknown) => error,
        );
        if (outcome === undefined) return;
        if (outcome instanceof TypeError) {
          refused++;
          expect(Object.keys(picked).some((key) => outcome.message.includes(key))).toBe(true);
        } else {
          // A valid but unusable combination (a connect timeout of 1 ms, another port): typed.
          expect(outcome).toBeInstanceOf(OperationalError);
        }
      }),
      { numRuns: 80 },
    );
    expect(opened).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  });
});

/** `value` (an error, an engine) mentions `secret` nowhere a user or a log could see it. */
function expectNoSecret(value: unknown, secret: string): void {
  const views = [
    String(value),
    inspect(value, { depth: 5, showHidden: true }),
    JSON.stringify(value, (_key, inner: unknown) => (typeof inner === 'bigint' ? String(inner) : inner)) ?? '',
    JSON.stringify({ ...(value as object) }) ?? '',
  ];
  if (value instanceof Error) views.push(value.stack ?? '', String(value.cause ?? ''));
  for (const form of [secret, encodeURIComponent(secret)]) {
    for (const view of views) expect(view.includes(form), `secret in: ${view.slice(0, 300)}`).toBe(false);
  }
}
