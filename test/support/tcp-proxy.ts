import { type AddressInfo, createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A loopback TCP proxy in front of the test server, for network faults: `blackHole()` stops
 * forwarding in both directions without closing anything (what a partition looks like to both
 * ends: the bytes are held, as TCP would keep retransmitting them), `heal()` delivers what was
 * held and forwards again; `refuse` resets new connections (a server that is down). `close()`
 * destroys every socket it made.
 */
export interface TcpProxy {
  /** The port to connect to (on 127.0.0.1). */
  readonly port: number;
  /** `url` with its host and port replaced by the proxy's. */
  urlFor(url: string): string;
  /** Stops forwarding (both directions, also for connections opened from now on). */
  blackHole(): void;
  /** Delivers what was held, and forwards again. */
  heal(): void;
  /** While true, every new connection is reset at once (the server looks down). */
  refuse: boolean;
  /** Closes the listener and destroys every connection through the proxy. */
  close(): Promise<void>;
}

/** One direction of one proxied connection: chunks are held while black-holed. */
interface Pipe {
  readonly to: Socket;
  readonly held: Buffer[];
}

/** Starts a proxy on 127.0.0.1 (a free port) forwarding to `target`. */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  const pipes: Pipe[] = [];
  // Sockets whose peer closed while black-holed: closed on heal, after what was held.
  const closedWhileHolding: Socket[] = [];
  let holding = false;

  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  };
  const forward = (from: Socket, to: Socket): void => {
    const pipe: Pipe = { to, held: [] };
    pipes.push(pipe);
    from.on('data', (chunk: Buffer) => {
      if (holding) pipe.held.push(chunk);
      else if (!to.destroyed) to.write(chunk);
    });
    // A partition closes nothing: an end or close is passed on only while forwarding.
    from.on('close', () => {
      if (holding) closedWhileHolding.push(to);
      else to.destroy();
    });
  };

  const state = { refuse: false };
  const server: Server = createServer((client) => {
    if (state.refuse) {
      client.resetAndDestroy();
      return;
    }
    track(client);
    const upstream = connect(target.port, target.host);
    track(upstream);
    forward(client, upstream);
    forward(upstream, client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    port,
    urlFor(url) {
      const parsed = new URL(url);
      parsed.hostname = '127.0.0.1';
      parsed.port = String(port);
      return parsed.toString();
    },
    blackHole() {
      holding = true;
    },
    get refuse() {
      return state.refuse;
    },
    set refuse(value: boolean) {
      state.refuse = value;
    },
    heal() {
      holding = false;
      for (const pipe of pipes) {
        for (const chunk of pipe.held.splice(0)) if (!pipe.to.destroyed) pipe.to.write(chunk);
      }
      for (const socket of closedWhileHolding.splice(0)) socket.end();
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
