/**
 * A TCP proxy in front of the moto server, for fault injection: the code under test talks to the proxy, which can
 * act out what an endpoint does when it restarts (every open connection reset, connections refused while it is down,
 * then answering again) or when it refuses connections, while moto keeps its state (moto 5.2 keeps everything in
 * memory: a real restart of the moto process would lose the service's resources). Freezing uses the moto process
 * itself (SIGSTOP): the proxy then forwards into a server that never answers.
 */
import * as net from 'net';

/** A running proxy. */
export interface FaultProxy {
  readonly port: number;
  /** `http://127.0.0.1:<port>`. */
  readonly endpoint: string;
  /** Connections accepted so far. */
  readonly accepted: () => number;
  /** Stop listening (new connections are refused: ECONNREFUSED) and reset every open connection (ECONNRESET). */
  refuse(): Promise<void>;
  /** Listen again on the same port. */
  accept(): Promise<void>;
  /** An endpoint restart: reset everything, refuse for `downMs`, then answer again. */
  restart(downMs: number): Promise<void>;
  close(): Promise<void>;
}

/** Start a proxy on a free loopback port that forwards to `targetPort`. */
export async function startFaultProxy(targetPort: number): Promise<FaultProxy> {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  const onConnection = (client: net.Socket) => {
    accepted++;
    const upstream = net.connect(targetPort, '127.0.0.1');
    sockets.add(client);
    sockets.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop);
    upstream.on('error', drop);
    client.on('close', drop);
    upstream.on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  };
  let server = net.createServer(onConnection);
  const port = await listen(server, 0);
  const reset = () => {
    for (const s of sockets) s.resetAndDestroy();
    sockets.clear();
  };
  const proxy: FaultProxy = {
    port,
    endpoint: `http://127.0.0.1:${port}`,
    accepted: () => accepted,
    refuse: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      reset();
      await closed;
    },
    accept: async () => {
      server = net.createServer(onConnection);
      await listen(server, port);
    },
    restart: async (downMs) => {
      await proxy.refuse();
      await new Promise((r) => setTimeout(r, downMs));
      await proxy.accept();
    },
    close: async () => {
      reset();
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return proxy;
}

function listen(server: net.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}
