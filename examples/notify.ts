/**
 * LISTEN / NOTIFY, after aiopg's manual example ("Server-side notifications"): `npm run demo:notify`.
 *
 * A listener and a notifier on two connections of the pool; the notifier sends five messages
 * and 'finish', which ends the listener. Then the same with the engine's own listener
 * connection (`engine.notifications`), which survives lost connections and server restarts.
 *
 * Runs against DATABASE_URL (`npm run demo:notify` starts an embedded server when it is not set).
 */
import { createEngine, type SAConnection } from 'pgsa';

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) throw new Error('set DATABASE_URL (npm run demo* starts a server for you when it is not set)');
const engine = await createEngine({
  connectionString: databaseUrl,
  maxSize: 4,
  listener: {
    onReconnect: ({ downtimeMs }) => console.log(`listener back after ${downtimeMs} ms`),
    onGap: ({ channel, reason }) => console.log(`notifications on ${channel} lost (${reason}): resync`),
  },
});

async function notify(conn: SAConnection): Promise<void> {
  for (let i = 0; i < 5; i++) {
    const message = `message ${i}`;
    console.log('Send ->', message);
    await conn.notify('channel', message);
  }
  await conn.notify('channel', 'finish');
}

async function listen(conn: SAConnection): Promise<void> {
  for await (const notification of conn.notifications) {
    if (notification.payload === 'finish') return;
    console.log('Receive <-', notification.payload);
  }
}

try {
  // aiopg style: LISTEN on a held connection, read conn.notifications.
  {
    await using conn1 = await engine.acquire();
    await conn1.listen('channel'); // in effect before anything is sent
    const listener = listen(conn1);
    await using conn2 = await engine.acquire();
    const notifier = notify(conn2);
    await Promise.all([listener, notifier]);
  } // releasing conn1 sends UNLISTEN *: the pool's next user gets none of these notifications

  // The engine's listener connection: reconnects by itself, bounded buffer.
  const orders = engine.notifications('orders', { bufferSize: 100 });
  await orders.ready;
  const sending = (async () => {
    await engine.transaction(async (conn) => {
      await conn.notify('orders', 'order 1'); // delivered at COMMIT
      await conn.notify('orders', 'order 2');
    });
    await engine.notify('orders', 'finish');
  })();
  for await (const { payload, processId } of orders) {
    if (payload === 'finish') break; // leaving the loop UNLISTENs
    console.log(`Receive <- ${payload} (from backend ${processId})`);
  }
  await sending;
} finally {
  await engine.close();
  await engine.waitClosed();
}
console.log('ALL DONE');
