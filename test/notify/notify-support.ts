import pg from 'pg';

/** An independent pg client LISTENing on channels: what really went out, seen from outside pgsa. */
export interface RawListener {
  readonly received: { channel: string; payload: string }[];
  /** Waits until `count` notifications arrived (fails after `timeoutMs`). */
  waitFor(count: number, timeoutMs?: number): Promise<void>;
  /** Sends `select pg_notify($1,$2)` and waits for it: later notifications from one sender arrive after it. */
  barrier(): Promise<void>;
  close(): Promise<void>;
}

const BARRIER = 'pgsa_test_barrier';

export async function rawListener(url: string, channels: readonly string[]): Promise<RawListener> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const received: { channel: string; payload: string }[] = [];
  let barriers = 0;
  client.on('notification', (message) => {
    if (message.channel === BARRIER) barriers++;
    else received.push({ channel: message.channel, payload: message.payload ?? '' });
  });
  for (const channel of [...channels, BARRIER]) {
    await client.query(`LISTEN "${channel.replaceAll('"', '""')}"`);
  }
  return {
    received,
    waitFor: (count, timeoutMs = 5_000) => until(() => received.length >= count, timeoutMs),
    async barrier() {
      const expected = barriers + 1;
      await client.query('select pg_notify($1, $2)', [BARRIER, '']);
      await until(() => barriers >= expected, 5_000);
    },
    close: () => client.end(),
  };
}

/** Polls `condition` every 10 ms until it holds; throws after `timeoutMs`. */
export async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
