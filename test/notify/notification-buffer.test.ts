import { describe, expect, it } from 'vitest';
import type { Notification } from '../../src/index.js';
import { NotificationBuffer } from '../../src/notify/notification-buffer.js';

const note = (payload: string): Notification => ({ channel: 'c', payload, processId: 1 });

async function drain(buffer: NotificationBuffer, count: number): Promise<string[]> {
  const payloads: string[] = [];
  for (let i = 0; i < count; i++) {
    const next = await buffer.next();
    if (next.done) break;
    payloads.push(next.value.payload);
  }
  return payloads;
}

describe('NotificationBuffer', () => {
  it('hands notifications out in arrival order, to a waiting reader at once', async () => {
    const buffer = new NotificationBuffer(4, () => {});
    const waiting = buffer.next();
    buffer.push(note('a'));
    expect(await waiting).toEqual({ done: false, value: note('a') });
    buffer.push(note('b'));
    buffer.push(note('c'));
    expect(await drain(buffer, 2)).toEqual(['b', 'c']);
  });

  it('never holds more than its capacity: the oldest are dropped and reported when the reader reaches the gap', async () => {
    const dropped: number[] = [];
    const buffer = new NotificationBuffer(3, (count) => void dropped.push(count));
    for (let i = 1; i <= 10; i++) buffer.push(note(String(i)));
    expect(buffer.length).toBe(3);
    expect(dropped).toEqual([]);
    expect(await drain(buffer, 1)).toEqual(['8']);
    expect(dropped).toEqual([7]);
    buffer.push(note('11'));
    expect(await drain(buffer, 3)).toEqual(['9', '10', '11']);
    expect(dropped).toEqual([7]);
  });

  it('lets the reader finish what is buffered after close(), then ends', async () => {
    const buffer = new NotificationBuffer(3, () => {});
    buffer.push(note('a'));
    buffer.close();
    buffer.push(note('ignored'));
    expect(await buffer.next()).toEqual({ done: false, value: note('a') });
    expect(await buffer.next()).toEqual({ done: true, value: undefined });
  });

  it('throws the failure once to the reader after what is buffered, then ends', async () => {
    const buffer = new NotificationBuffer(3, () => {});
    buffer.push(note('a'));
    const error = new Error('gone');
    buffer.fail(error);
    expect((await buffer.next()).value).toEqual(note('a'));
    await expect(buffer.next()).rejects.toBe(error);
    expect(await buffer.next()).toEqual({ done: true, value: undefined });
  });

  it('fails a waiting reader at once, and ends the other waiting readers', async () => {
    const buffer = new NotificationBuffer(3, () => {});
    const first = buffer.next();
    const second = buffer.next();
    buffer.fail(new Error('gone'));
    await expect(first).rejects.toThrow('gone');
    expect(await second).toEqual({ done: true, value: undefined });
  });

  it('drops what is buffered on clear() and ends waiting readers', async () => {
    const buffer = new NotificationBuffer(3, () => {});
    buffer.push(note('a'));
    buffer.clear();
    expect(buffer.length).toBe(0);
    expect(await buffer.next()).toEqual({ done: true, value: undefined });
  });
});
