import { connect, createServer, type Server, type Socket } from 'node:net';

/** A loopback TCP forwarder that records every byte it passes, like a listener on the wire. */
export interface TcpTap {
  /** Where clients connect instead of the target: tcp://127.0.0.1:PORT. */
  readonly endpoint: string;
  /** Bytes sent client → target, one Buffer per connection, in arrival order. */
  clientToServer(): Buffer[];
  /** Bytes sent target → client, one Buffer per connection. */
  serverToClient(): Buffer[];
  close(): Promise<void>;
}

/**
 * Listens on 127.0.0.1 (any free port) and forwards each connection to
 * 127.0.0.1:`targetPort`, recording both directions. Loopback only: it never
 * connects anywhere else.
 */
export function createTcpTap(targetPort: number): Promise<TcpTap> {
  const up: Buffer[][] = [];
  const down: Buffer[][] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    const sent: Buffer[] = [];
    const received: Buffer[] = [];
    up.push(sent);
    down.push(received);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
    }
    client.on('data', (d: Buffer) => {
      sent.push(Buffer.from(d));
      upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => {
      received.push(Buffer.from(d));
      client.write(d);
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      resolve({
        endpoint: `tcp://127.0.0.1:${port}`,
        clientToServer: () => up.map((chunks) => Buffer.concat(chunks)),
        serverToClient: () => down.map((chunks) => Buffer.concat(chunks)),
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}
