import { describe, expect, it, vi } from 'vitest';
import { withStatementTimeout } from '../../src/connection/statement-timeout.js';
import { DataError, OperationalError, QueryCanceledError } from '../../src/index.js';
import { rejection } from '../support/rejection.js';

const later = <T>(ms: number, value: T) =>
  new Promise<T>((resolve) => setTimeout(() => resolve(value), ms));

describe('withStatementTimeout (no server: the timer logic alone)', () => {
  it('returns the result and never cancels when the statement is fast', async () => {
    const cancel = vi.fn(async () => {});
    expect(await withStatementTimeout(() => later(5, 'done'), 200, cancel)).toBe('done');
    await later(250, null);
    expect(cancel).not.toHaveBeenCalled();
  });

  it('cancels a slow statement and names the timeout in the QueryCanceledError', async () => {
    let fail: (error: Error) => void = () => {};
    const running = new Promise<never>((_, reject) => (fail = reject));
    const serverError = new QueryCanceledError('canceling statement due to user request', {
      sqlstate: '57014',
    });
    const cancel = vi.fn(async () => fail(serverError));
    const error = await rejection(
      withStatementTimeout(() => running, 20, cancel),
      QueryCanceledError,
    );
    expect(cancel).toHaveBeenCalledOnce();
    expect(error).toMatchObject({
      message: 'canceling statement: statementTimeoutMs of 20 ms exceeded',
      sqlstate: '57014',
      cause: serverError,
    });
  });

  it('passes other errors through unchanged, even after the timer fired', async () => {
    let fail: (error: Error) => void = () => {};
    const running = new Promise<never>((_, reject) => (fail = reject));
    const other = new DataError('division by zero', { sqlstate: '22012' });
    const error = await rejection(
      withStatementTimeout(() => running, 10, async () => fail(other)),
      DataError,
    );
    expect(error).toBe(other);
  });

  it('passes a cancel by someone else (no timer fired) through unchanged', async () => {
    const canceled = new QueryCanceledError('canceling statement due to user request');
    const error = await rejection(withStatementTimeout(
      () => Promise.reject(canceled),
      1_000,
      async () => {},
    ), QueryCanceledError);
    expect(error).toBe(canceled);
  });

  it('waits for a cancel request in flight before settling', async () => {
    const order: string[] = [];
    const result = await withStatementTimeout(
      () => later(30, 'finished'),
      10,
      async () => {
        await later(60, null);
        order.push('cancel delivered');
      },
    );
    order.push(`settled ${result}`);
    expect(order).toEqual(['cancel delivered', 'settled finished']);
  });
});

describe('withStatementTimeout when the cancel request gets no answer', () => {
  it('abandons the connection after the grace and rejects with OperationalError', async () => {
    const abandon = vi.fn();
    const never = new Promise<never>(() => {});
    const started = performance.now();
    const error = await rejection(
      withStatementTimeout(() => never, 20, async () => {}, abandon, 50),
      OperationalError,
    );
    expect(performance.now() - started).toBeGreaterThanOrEqual(65);
    expect(abandon).toHaveBeenCalledOnce();
    expect(error.message).toMatch(/^statement did not end: statementTimeoutMs of 20 ms exceeded/);
  });

  it('does not abandon a statement the cancel ends within the grace', async () => {
    let fail: (error: Error) => void = () => {};
    const running = new Promise<never>((_, reject) => (fail = reject));
    const abandon = vi.fn();
    const cancel = async () => fail(new QueryCanceledError('canceling statement due to user request'));
    await rejection(withStatementTimeout(() => running, 10, cancel, abandon, 50), QueryCanceledError);
    await later(80, null);
    expect(abandon).not.toHaveBeenCalled();
  });
});
