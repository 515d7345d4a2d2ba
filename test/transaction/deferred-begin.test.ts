import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  dbSession,
  InterfaceError,
  OperationalError,
  ProgrammingError,
  QueryCanceledError,
  runInNewContext,
} from '../../src/index.js';
import { observe, useTestDatabase } from '../support/test-database.js';
import { useEngines } from '../support/engine-fixture.js';
import { committedUsers } from '../support/observers.js';
import { FIRST_USER_ONLY } from '../support/sample-tables.js';
import { rejection } from '../support/rejection.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

// Issue 18: a transaction's BEGIN goes out in the same write as its first statement (no round
// trip of its own); a transaction that runs no statement sends nothing; a BEGIN the server
// refuses is the error reported, and nothing runs outside the transaction because of it.
// Round trips are counted as the client's writes arriving at a loopback proxy.

const db = useTestDatabase();
const engines = useEngines(db, { defaults: { minSize: 1, maxSize: 1 }, reset: FIRST_USER_ONLY });
const INSERT = 'insert into users (name) values ($1)';

let proxy: TcpProxy;
beforeEach(async () => {
  const target = new URL(db.url);
  proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port) });
});
afterEach(async () => {
  await proxy.close();
});

/** An engine through the proxy whose one connection is open and has prepared INSERT. */
async function warmEngine(options: Parameters<typeof engines.make>[0] = {}) {
  const engine = await engines.make({ connectionString: proxy.urlFor(db.url), ...options });
  await engine.transaction(async (conn) => {
    await conn.execute(INSERT, ['warm-up']);
    throw new Error('roll back the warm-up');
  }).catch(() => {});
  engine.captured.sql.length = 0;
  return engine;
}

/** Client writes (round trips) that `work` costs. */
async function writesOf(work: () => Promise<unknown>): Promise<number> {
  const before = proxy.writesToServer;
  await work();
  return proxy.writesToServer - before;
}

/** Makes the server see `to` wherever the client wrote `from` (same length). */
function rewriteInFlight(from: string, to: string): void {
  const original = Buffer.from(from);
  const replacement = Buffer.from(to);
  proxy.rewrite = (chunk) => {
    const at = chunk.indexOf(original);
    if (at < 0) return chunk;
    const copy = Buffer.from(chunk);
    replacement.copy(copy, at);
    return copy;
  };
}

/** Makes the server see `BEGIN ISOLATION LEVEL SERIALIZABLX`: a syntax error at BEGIN. */
function breakSerializableBegin(): void {
  rewriteInFlight('SERIALIZABLE', 'SERIALIZABLX');
}

describe('deferred BEGIN: round trips', () => {
  it('engine.transaction with one statement costs two writes: BEGIN + statement, then COMMIT', async () => {
    const engine = await warmEngine();
    const writes = await writesOf(() => engine.transaction((conn) => conn.execute(INSERT, ['ann'])));
    expect(writes).toBe(2);
    expect(engine.captured.sql).toEqual(['BEGIN', INSERT, 'COMMIT']);
    expect(await committedUsers(db.url)).toEqual(['first', 'ann']);
  });

  it('a request session (runInNewContext + dbSession) costs two writes too', async () => {
    const engine = await warmEngine();
    const writes = await writesOf(() =>
      runInNewContext(async () => {
        const session = await dbSession(engine);
        await session.execute(INSERT, ['bob']);
      }),
    );
    expect(writes).toBe(2);
    expect(engine.captured.sql).toEqual(['BEGIN', INSERT, 'COMMIT']);
    expect(await committedUsers(db.url)).toEqual(['first', 'bob']);
  });

  it('conn.begin() with options sends them with the first statement, and the server applies them', async () => {
    const engine = await warmEngine();
    const conn = await engine.acquire();
    const writes = await writesOf(async () => {
      const tx = await conn.begin({ isolationLevel: 'repeatable read', readOnly: true });
      expect(conn.inTransaction).toBe(true);
      expect(await conn.scalar('select current_setting($1)', ['transaction_isolation'])).toBe('repeatable read');
      expect(await conn.scalar('select current_setting($1)', ['transaction_read_only'])).toBe('on');
      await tx.commit();
    });
    await conn.close();
    expect(writes).toBe(3);
    expect(engine.captured.sql[0]).toBe('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  });

  it('carries BEGIN with the first Kysely query on conn.db and on a session’s db', async () => {
    const engine = await warmEngine();
    const conn = await engine.acquire();
    const writes = await writesOf(async () => {
      const tx = await conn.begin();
      await conn.db.insertInto('users').values({ name: 'kysely' }).execute();
      await tx.rollback();
    });
    await conn.close();
    expect(writes).toBe(2);
    await runInNewContext(async () => {
      const session = await dbSession(engine);
      await session.db.insertInto('users').values({ name: 'session-db' }).execute();
    });
    expect(engine.captured.sql.filter((sql) => sql === 'BEGIN')).toHaveLength(2);
    expect(await committedUsers(db.url)).toEqual(['first', 'session-db']);
  });

  it('lets SET TRANSACTION as the first statement set the isolation level, as after an eager BEGIN', async () => {
    const engine = await warmEngine();
    const conn = await engine.acquire();
    const tx = await conn.begin();
    await conn.execute('SET TRANSACTION ISOLATION LEVEL SERIALIZABLE');
    expect(await conn.scalar('show transaction_isolation')).toBe('serializable');
    await tx.commit();
    await conn.close();
    expect(engine.captured.sql).toEqual([
      'BEGIN',
      'SET TRANSACTION ISOLATION LEVEL SERIALIZABLE',
      'show transaction_isolation',
      'COMMIT',
    ]);
  });

  it('a transaction that runs no statement sends nothing, commits and rolls back cleanly', async () => {
    const engine = await warmEngine();
    const conn = await engine.acquire();
    const writes = await writesOf(async () => {
      const committed = await conn.begin();
      expect(conn.inTransaction).toBe(true);
      await committed.commit();
      expect(committed.status).toBe('committed');
      expect(conn.inTransaction).toBe(false);
      const rolledBack = await conn.begin({ isolationLevel: 'serializable' });
      await rolledBack.rollback();
      expect(rolledBack.status).toBe('rolledBack');
      expect(await conn.transaction(() => 42)).toBe(42);
    });
    expect(writes).toBe(0);
    // Released with a transaction begun and nothing run: no ROLLBACK needed, no warning.
    const left = await conn.begin();
    await conn.close();
    expect(left.status).toBe('rolledBack');
    expect(engine.captured.sql).toEqual([]);
    expect(engine.captured.warnings).toEqual([]);
    expect(await committedUsers(db.url)).toEqual(['first']);
  });

  it('sends BEGIN first in its own exchange ahead of a multi-statement string, executeMany, COPY and a stream', async () => {
    const engine = await warmEngine();
    const conn = await engine.acquire();
    let tx = await conn.begin();
    await conn.execute("insert into users (name) values ('m1'); insert into users (name) values ('m2')");
    expect(conn.inTransaction).toBe(true);
    await tx.rollback();
    tx = await conn.begin();
    expect(await conn.executeMany(INSERT, [['x1'], ['x2']])).toBe(2);
    await tx.rollback();
    tx = await conn.begin();
    expect(await conn.copyFrom('users', [['c1']], { columns: ['name'] })).toBe(1);
    await tx.rollback();
    tx = await conn.begin();
    const names: unknown[] = [];
    for await (const row of conn.stream('select name from users order by name')) names.push(row.name);
    expect(names).toEqual(['first']);
    expect(await conn.scalar('select count(*)::int from pg_stat_activity where pid = pg_backend_pid() and xact_start is not null')).toBe(1);
    await tx.commit();
    await conn.close();
    expect(engine.captured.sql.filter((sql) => sql === 'BEGIN')).toHaveLength(4);
    expect(await committedUsers(db.url)).toEqual(['first']);
  });

  it('opens a cursor as the first statement of a deferred transaction', async () => {
    const engine = await warmEngine();
    const values = await engine.transaction(async (conn) => {
      const cursor = await conn.cursor('select n from generate_series(1, $1::int) n', [5]);
      return (await cursor.fetch(3)).map((row) => row.n);
    });
    expect(values).toEqual([1, 2, 3]);
    expect(engine.captured.sql[0]).toBe('BEGIN');
  });
});

describe('deferred BEGIN: failures', () => {
  it('reports the error of a BEGIN the server refuses, not the statement’s, and runs nothing', async () => {
    const engine = await warmEngine();
    breakSerializableBegin();
    const conn = await engine.acquire();
    const tx = await conn.begin({ isolationLevel: 'serializable' });
    const first = conn.execute(INSERT, ['never']);
    const queued = conn.execute(INSERT, ['nor-this']);
    const error = await rejection(first, ProgrammingError);
    expect(error.message).toContain('SERIALIZABLX');
    // Queued behind the failed BEGIN: refused, not run in autocommit.
    const refused = await rejection(queued, InterfaceError);
    expect(refused.message).toMatch(/^cannot execute: the transaction's BEGIN failed \(.*SERIALIZABLX/);
    expect(tx.status).toBe('failed');
    const commit = await rejection(tx.commit(), InterfaceError);
    expect(commit.message).toMatch(/^cannot commit: transaction is failed \(a statement inside it raised an error: .*SERIALIZABLX.*\); it was rolled back$/);
    expect(commit.cause).toBeInstanceOf(ProgrammingError);
    expect(tx.status).toBe('rolledBack');
    // The connection is usable again, outside any transaction.
    proxy.rewrite = undefined;
    expect(conn.inTransaction).toBe(false);
    expect(await conn.scalar('select 1')).toBe(1);
    await conn.close();
    expect(await committedUsers(db.url)).toEqual(['first']);
  });

  it('ends the transaction when its rollback was queued behind a BEGIN that fails', async () => {
    const engine = await warmEngine();
    breakSerializableBegin();
    const conn = await engine.acquire();
    const tx = await conn.begin({ isolationLevel: 'serializable' });
    const first = rejection(conn.execute(INSERT, ['never']), ProgrammingError);
    await tx.rollback();
    expect((await first).message).toContain('SERIALIZABLX');
    expect(tx.status).toBe('rolledBack');
    expect(conn.inTransaction).toBe(false);
    proxy.rewrite = undefined;
    expect(await conn.scalar('select count(*)::int from users')).toBe(1);
    await conn.close();
    expect(engine.captured.warnings).toEqual([]);
  });

  it('engine.transaction and a request session reject with the refused BEGIN’s error', async () => {
    const engine = await warmEngine();
    breakSerializableBegin();
    let ran = false;
    const error = await rejection(
      engine.transaction(
        async (conn) => {
          await conn.execute(INSERT, ['never']);
          ran = true;
        },
        { isolationLevel: 'serializable' },
      ),
      ProgrammingError,
    );
    expect(error.message).toContain('SERIALIZABLX');
    expect(ran).toBe(false);
    const sessionError = await rejection(
      runInNewContext(async () => {
        const session = await dbSession(engine);
        await session.begin({ isolationLevel: 'serializable' });
        await session.execute(INSERT, ['never']);
      }),
      ProgrammingError,
    );
    expect(sessionError.message).toContain('SERIALIZABLX');
    expect(engine.stats().inUse).toBe(0);
    expect(await committedUsers(db.url)).toEqual(['first']);
  });

  it('reports a connection lost before the first statement as OperationalError and commits nothing', async () => {
    const engine = await warmEngine();
    const conn = await engine.acquire();
    const tx = await conn.begin();
    proxy.reset();
    await rejection(conn.execute(INSERT, ['lost']), OperationalError);
    await rejection(tx.commit(), Error);
    expect(tx.isActive).toBe(tx.status === 'failed');
    await conn.close();
    expect(tx.status).toBe('rolledBack');
    expect(await committedUsers(db.url)).toEqual(['first']);
  });

  it('keeps the statement-timeout watchdog on the exchange that carries BEGIN', async () => {
    const engine = await warmEngine();
    const conn = await engine.acquire();
    const tx = await conn.begin();
    await rejection(conn.execute('select pg_sleep($1)', [5], { statementTimeoutMs: 100 }), QueryCanceledError);
    expect(tx.status).toBe('failed');
    await tx.rollback();
    await conn.execute(INSERT, ['after']);
    await conn.close();
    const rows = await observe<{ n: number }>(db.url, "select count(*)::int as n from users where name = 'after'");
    expect(rows[0]?.n).toBe(1);
  });
});

// Savepoint commands are deferred the same way: SAVEPOINT goes out with the next statement,
// RELEASE SAVEPOINT with the one after the savepoint's commit() (or the enclosing COMMIT); a
// savepoint that ran nothing sends nothing.

/** Makes the server see `SAVEPOINX …` for `SAVEPOINT …`, or `RELEASX SAVEPOINT …`: syntax errors. */
function breakSavepointCommand(command: 'SAVEPOINT' | 'RELEASE'): void {
  // A Parse message's text follows the statement name's terminating zero byte.
  if (command === 'SAVEPOINT') rewriteInFlight('\0SAVEPOINT "', '\0SAVEPOINX "');
  else rewriteInFlight('RELEASE SAVEPOINT', 'RELEASX SAVEPOINT');
}

const isSavepointCommand = (sql: string) => /SAVEPOINT/.test(sql);

describe('deferred savepoints: round trips', () => {
  it('sends SAVEPOINT with the next statement and RELEASE with the one after commit()', async () => {
    const engine = await warmEngine();
    const conn = await engine.acquire();
    const tx = await conn.begin();
    await conn.execute(INSERT, ['outer']);
    const writes = await writesOf(async () => {
      const savepoint = await conn.beginNested();
      await conn.execute(INSERT, ['inner']); // SAVEPOINT + INSERT: one write
      await savepoint.commit(); // nothing sent yet
      await conn.execute(INSERT, ['after']); // RELEASE + INSERT: one write
    });
    await tx.commit();
    await conn.close();
    expect(writes).toBe(2);
    const [savepointSql, releaseSql] = engine.captured.sql.filter(isSavepointCommand);
    expect(engine.captured.sql).toEqual(['BEGIN', INSERT, savepointSql, INSERT, releaseSql, INSERT, 'COMMIT']);
    expect(savepointSql).toMatch(/^SAVEPOINT "pgsa_savepoint_\d+"$/);
    expect(releaseSql).toMatch(/^RELEASE SAVEPOINT "pgsa_savepoint_\d+"$/);
    expect(await committedUsers(db.url)).toEqual(['first', 'outer', 'inner', 'after']);
  });

  it('a nested transaction(fn) inside engine.transaction costs two writes in all', async () => {
    const engine = await warmEngine();
    const writes = await writesOf(() =>
      engine.transaction((conn) => conn.transaction((inner) => inner.execute(INSERT, ['nested']))),
    );
    // BEGIN + SAVEPOINT + INSERT, then RELEASE + COMMIT.
    expect(writes).toBe(2);
    expect(engine.captured.sql.filter((sql) => !isSavepointCommand(sql))).toEqual(['BEGIN', INSERT, 'COMMIT']);
    expect(engine.captured.sql.filter(isSavepointCommand)).toHaveLength(2);
    expect(await committedUsers(db.url)).toEqual(['first', 'nested']);
  });

  it('a savepoint inside a request session costs no round trip of its own', async () => {
    const engine = await warmEngine();
    const writes = await writesOf(() =>
      runInNewContext(async () => {
        const session = await dbSession(engine);
        await session.execute(INSERT, ['session']);
        await session.transaction((s) => s.execute(INSERT, ['session-nested']));
      }),
    );
    // BEGIN + INSERT, SAVEPOINT + INSERT, RELEASE + COMMIT.
    expect(writes).toBe(3);
    expect(await committedUsers(db.url)).toEqual(['first', 'session', 'session-nested']);
  });

  it('a savepoint that runs no statement sends nothing, committed or rolled back', async () => {
    const engine = await warmEngine();
    const conn = await engine.acquire();
    const tx = await conn.begin();
    await conn.execute(INSERT, ['outer']);
    const writes = await writesOf(async () => {
      const committed = await conn.beginNested();
      await committed.commit();
      const rolledBack = await conn.beginNested();
      const innermost = await conn.beginNested();
      await innermost.commit();
      await rolledBack.rollback();
      expect(rolledBack.status).toBe('rolledBack');
      expect(await conn.transaction(() => 'empty')).toBe('empty');
    });
    expect(writes).toBe(0);
    await tx.commit();
    await conn.close();
    expect(engine.captured.sql).toEqual(['BEGIN', INSERT, 'COMMIT']);
    expect(await committedUsers(db.url)).toEqual(['first', 'outer']);
  });

  it('rolls back to a deferred savepoint after its statement failed; the transaction goes on', async () => {
    const engine = await warmEngine();
    const conn = await engine.acquire();
    const tx = await conn.begin();
    await conn.execute(INSERT, ['kept']);
    const savepoint = await conn.beginNested();
    await conn.execute(INSERT, ['undone']);
    await rejection(conn.execute('select 1/0'), Error);
    expect(savepoint.status).toBe('failed');
    await savepoint.rollback();
    expect(conn.transactionFailed).toBe(false);
    await conn.execute(INSERT, ['later']);
    await tx.commit();
    await conn.close();
    expect(await committedUsers(db.url)).toEqual(['first', 'kept', 'later']);
  });

  it('sends a pending SAVEPOINT in its own exchange ahead of executeMany and COPY', async () => {
    const engine = await warmEngine();
    const conn = await engine.acquire();
    const tx = await conn.begin();
    await conn.execute(INSERT, ['outer']);
    let savepoint = await conn.beginNested();
    expect(await conn.executeMany(INSERT, [['many-1'], ['many-2']])).toBe(2);
    await savepoint.rollback();
    savepoint = await conn.beginNested();
    expect(await conn.copyFrom('users', [['copied']], { columns: ['name'] })).toBe(1);
    await savepoint.commit();
    await tx.commit();
    await conn.close();
    expect(await committedUsers(db.url)).toEqual(['first', 'outer', 'copied']);
  });
});

describe('deferred savepoints: failures', () => {
  it('reports a refused SAVEPOINT as the error of the statement that carried it, which did not run', async () => {
    const engine = await warmEngine();
    const conn = await engine.acquire();
    const tx = await conn.begin();
    await conn.execute(INSERT, ['outer']);
    breakSavepointCommand('SAVEPOINT');
    const savepoint = await conn.beginNested();
    const error = await rejection(conn.execute(INSERT, ['never']), ProgrammingError);
    expect(error.message).toMatch(/syntax error at or near "SAVEPOINX"/);
    proxy.rewrite = undefined;
    expect(savepoint.status).toBe('failed');
    // The savepoint never existed: its rollback sends nothing and the enclosing transaction,
    // which the server aborted, is failed.
    await savepoint.rollback();
    expect(conn.transactionFailed).toBe(true);
    const commit = await rejection(tx.commit(), InterfaceError);
    expect(commit.message).toMatch(/^cannot commit: transaction is failed .*SAVEPOINX.*; it was rolled back$/);
    expect(engine.captured.sql.filter((sql) => sql.startsWith('ROLLBACK TO'))).toEqual([]);
    expect(await conn.scalar('select 1')).toBe(1);
    await conn.close();
    expect(await committedUsers(db.url)).toEqual(['first']);
  });

  it('reports a refused deferred RELEASE on the next statement, which did not run, and commits nothing', async () => {
    const engine = await warmEngine();
    const conn = await engine.acquire();
    const tx = await conn.begin();
    const savepoint = await conn.beginNested();
    await conn.execute(INSERT, ['inside']);
    breakSavepointCommand('RELEASE');
    await savepoint.commit();
    const error = await rejection(conn.execute(INSERT, ['never']), ProgrammingError);
    expect(error.message).toMatch(/syntax error at or near "RELEASX"/);
    proxy.rewrite = undefined;
    expect(tx.status).toBe('failed');
    await rejection(tx.commit(), InterfaceError);
    expect(tx.status).toBe('rolledBack');
    await conn.close();
    expect(await committedUsers(db.url)).toEqual(['first']);
  });

  it('sends SAVEPOINT at once in a failed transaction, so beginNested() itself raises', async () => {
    const engine = await warmEngine();
    const conn = await engine.acquire();
    const tx = await conn.begin();
    await rejection(conn.execute('select 1/0'), Error);
    const error = await rejection(conn.beginNested(), Error);
    expect(error.message).toMatch(/current transaction is aborted/);
    await tx.rollback();
    await conn.close();
    expect(await committedUsers(db.url)).toEqual(['first']);
  });
});
