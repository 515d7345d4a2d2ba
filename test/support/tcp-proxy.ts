import { type AddressInfo, createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A loopback TCP proxy in front of a test server, for network faults:
 * - `blackHole()` stops forwarding in both directions without closing anything (what a partition
 *   looks like to both ends: the bytes are held, as TCP would keep retransmitting them), `heal()`
 *   delivers what was held and forwards again;
 * - `reset()` resets every connection open now (RST to both ends: a middlebox or a peer crash);
 * - `refuse` resets new connections (a server that is down);
 * - `latencyMs` delays every chunk (a slow link; order is kept);
 * - `cutAfter(bytes)` resets each connection once that many more bytes went client → server
 *   (a link that dies in the middle of a large statement or a COPY);
 * - `writesToServer` counts the chunks that went client → server (on loopback, one per socket
 *   write of the client: its round trips), `rewrite` changes those bytes in flight (a server
 *   that sees something else than was sent, e.g. to make it refuse a statement).
 * `close()` destroys every socket it made.
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
  /** Resets every connection open now; later connections are forwarded as usual. */
  reset(): void;
  /** Resets each open connection (and each new one) once `bytes` more went client → server. */
  cutAfter(bytes: number): void;
  /** While true, every new connection is reset at once (the server looks down). */
  refuse: boolean;
  /** Delay added to every chunk in both directions; 0 (default) forwards at once. */
  latencyMs: number;
  /** Chunks forwarded client → server so far, over every connection. */
  readonly writesToServer: number;
  /** When set, each client → server chunk is replaced by what it returns (same length or not). */
  rewrite: ((chunk: Buffer) => Buffer) | undefined;
  /** Connections currently open through the proxy. */
  readonly connections: number;
  /** Closes the listener and destroys every connection through the proxy. */
  close(): Promise<void>;
}

/** One direction of one proxied connection: chunks are held while black-holed. */
interface Pipe {
  readonly to: Socket;
  readonly held: Buffer[];
}

/** A client and its upstream socket. */
interface Link {
  readonly client: Socket;
  readonly upstream: Socket;
  /** Bytes client → server still allowed before the link is cut; Infinity when not cutting. */
  budget: number;
}

/** Starts a proxy on 127.0.0.1 (a free port) forwarding to `target`. */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  const links = new Set<Link>();
  const pipes: Pipe[] = [];
  // Sockets whose peer closed while black-holed: closed on heal, after what was held.
  const closedWhileHolding: Socket[] = [];
  const state = {
    refuse: false,
    holding: false,
    latencyMs: 0,
    cutBudget: Infinity,
    writesToServer: 0,
    rewrite: undefined as ((chunk: Buffer) => Buffer) | undefined,
  };

  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  };
  const resetLink = (link: Link): void => {
    links.delete(link);
    if (!link.client.destroyed) link.client.resetAndDestroy();
    if (!link.upstream.destroyed) link.upstream.resetAndDestroy();
  };
  const deliver = (to: Socket, chunk: Buffer): void => {
    if (state.latencyMs === 0) {
      if (!to.destroyed) to.write(chunk);
      return;
    }
    setTimeout(() => {
      if (!to.destroyed) to.write(chunk);
    }, state.latencyMs);
  };
  const forward = (from: Socket, to: Socket, link?: Link): void => {
    const pipe: Pipe = { to, held: [] };
    pipes.push(pipe);
    from.on('data', (data: Buffer) => {
      let chunk = data;
      if (link) {
        state.writesToServer += 1;
        if (state.rewrite) chunk = state.rewrite(chunk);
        if (chunk.length > link.budget) {
          if (link.budget > 0) deliver(to, chunk.subarray(0, link.budget));
          resetLink(link);
          return;
        }
        link.budget -= chunk.length;
      }
      if (state.holding) pipe.held.push(chunk);
      else deliver(to, chunk);
    });
    // A partition closes nothing: an end or close is passed on only while forwarding.
    from.on('close', () => {
      if (state.holding) closedWhileHolding.push(to);
      else to.destroy();
    });
  };

  const server: Server = createServer((client) => {
    if (state.refuse) {
      client.resetAndDestroy();
      return;
    }
    track(client);
    const upstream = connect(target.port, target.host);
    track(upstream);
    const link: Link = { client, upstream, budget: state.cutBudget };
    links.add(link);
    client.on('close', () => links.delete(link));
    forward(client, upstream, link);
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
      state.holding = true;
    },
    heal() {
      state.holding = false;
      for (const pipe of pipes) {
        for (const chunk of pipe.held.splice(0)) if (!pipe.to.destroyed) pipe.to.write(chunk);
      }
      for (const socket of closedWhileHolding.splice(0)) socket.end();
    },
    reset() {
      for (const link of [...links]) resetLink(link);
    },
    cutAfter(bytes) {
      state.cutBudget = bytes;
      for (const link of links) link.budget = bytes;
    },
    get refuse() {
      return state.refuse;
    },
    set refuse(value: boolean) {
      state.refuse = value;
    },
    get latencyMs() {
      return state.latencyMs;
    },
    set latencyMs(value: number) {
      state.latencyMs = value;
    },
    get writesToServer() {
      return state.writesToServer;
    },
    get rewrite() {
      return state.rewrite;
    },
    set rewrite(rewrite) {
      state.rewrite = rewrite;
    },
    get connections() {
      return links.size;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
