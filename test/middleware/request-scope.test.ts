import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { InterfaceError, runInNewContext } from '../../src/index.js';
import { dbSessionMiddleware as expressMiddleware } from '../../src/middleware/express.js';
import { dbSessionPlugin } from '../../src/middleware/fastify.js';
import { dbSessionMiddleware as honoMiddleware } from '../../src/middleware/hono.js';
import {
  RequestScope,
  type RollbackOn,
  resolveMiddlewareOptions,
  rollbackPredicate,
} from '../../src/middleware/request-scope.js';
import { rejection } from '../support/rejection.js';

const INVALID = /^invalid rollbackOn .*: use a status \(rolls back status >= it\), a list of statuses or a function of the status$/;

describe('rollbackOn', () => {
  it('rolls back every status from 400 by default', () => {
    const shouldRollBack = rollbackPredicate();
    expect([200, 201, 302, 399].map(shouldRollBack)).toEqual([false, false, false, false]);
    expect([400, 404, 422, 500, 503].map(shouldRollBack)).toEqual([true, true, true, true, true]);
  });

  it('rolls back from the given status when it is a number', () => {
    const shouldRollBack = rollbackPredicate(500);
    expect([404, 409, 499].map(shouldRollBack)).toEqual([false, false, false]);
    expect([500, 502].map(shouldRollBack)).toEqual([true, true]);
  });

  it('rolls back exactly the listed statuses when it is a list', () => {
    const shouldRollBack = rollbackPredicate([409, 500]);
    expect([409, 500].map(shouldRollBack)).toEqual([true, true]);
    expect([404, 501].map(shouldRollBack)).toEqual([false, false]);
  });

  it('asks the function when it is one', () => {
    const shouldRollBack = rollbackPredicate((status) => status === 418);
    expect(shouldRollBack(418)).toBe(true);
    expect(shouldRollBack(500)).toBe(false);
  });

  it('refuses values that are not statuses', () => {
    for (const value of [0, 99, 1000, 400.5, Number.NaN, [200, 'x'], 'all', null]) {
      const error = (() => {
        try {
          rollbackPredicate(value as RollbackOn);
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(InterfaceError);
      expect((error as Error).message).toMatch(INVALID);
    }
  });
});

describe('middleware options', () => {
  it('refuses unknown option names', () => {
    expect(() => resolveMiddlewareOptions({ rollbackOn: 500, commitOn: 200 } as never)).toThrow(
      new InterfaceError('unknown session middleware option "commitOn"'),
    );
  });

  it('refuses a beforeCommit that is not a function', () => {
    expect(() => resolveMiddlewareOptions({ beforeCommit: 'audit' } as never)).toThrow(
      new InterfaceError('session middleware option beforeCommit must be a function'),
    );
  });

  it('are checked when the Express and Hono middleware are created', () => {
    expect(() => expressMiddleware({ rollbackOn: 42 })).toThrow(InterfaceError);
    expect(() => honoMiddleware({ rollbackOn: 42 })).toThrow(InterfaceError);
  });

  it('are checked when the Fastify plugin is registered', async () => {
    const app = Fastify();
    const error = await rejection(app.register(dbSessionPlugin, { rollbackOn: 42 }), InterfaceError);
    expect(error.message).toMatch(INVALID);
    await app.close();
  });
});

describe('RequestScope', () => {
  it('is not opened inside an active context', async () => {
    const options = resolveMiddlewareOptions();
    expect(RequestScope.open(options)).toBeInstanceOf(RequestScope);
    await runInNewContext(() => {
      expect(RequestScope.open(options)).toBeUndefined();
    });
  });

  it('finishes once: later calls and abort return the first outcome', async () => {
    const scope = RequestScope.open(resolveMiddlewareOptions());
    const first = scope?.finish(200);
    expect(scope?.finished).toBe(true);
    expect(scope?.finish(500)).toBe(first);
    await expect(scope?.abort()).resolves.toBeUndefined();
  });
});
