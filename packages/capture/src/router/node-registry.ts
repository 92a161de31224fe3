import type { ControlOf, NodeRole, NodeStatus } from '@quell/protocol';
import { createPushSocket, SendQueue, type DedicatedServer } from '@quell/runtime';
import type * as zmq from 'zeromq';

/** How node data sockets are made (see capture's config.ts for the defaults). */
export interface NodeRegistryOptions {
  /** Where the control ROUTER binds: data sockets bind on its host (or next to its ipc path). */
  controlEndpoint: string;
  /**
   * Server settings for one node's data socket, admitting only the key the node
   * named in its hello (`dataKey`); resolves undefined when CURVE is off.
   */
  dataServer(nodeKey: string): Promise<DedicatedServer | undefined>;
  /** TCP ports the nodes' data sockets bind on (`--data-ports`), lowest free first; null = any free port. */
  dataPorts: { first: number; last: number } | null;
  highWaterMarkChunks: number;
  /** Chunks a node's send queue holds (warm-up and live). */
  queueChunks: number;
}

/** One registered inference node. */
export interface NodeLink {
  readonly id: string;
  readonly identity: Buffer;
  readonly model: string;
  readonly nativeRateHz: number;
  readonly pid: number;
  readonly metricsPort: number;
  readonly outputEndpoint: string;
  role: NodeRole;
  readonly socket: zmq.Push;
  /** The data socket's allow-list (the node's key alone); released with the socket. */
  readonly dataZap: DedicatedServer | undefined;
  readonly queue: SendQueue;
  readonly endpoint: string;
  lastSeenMs: number;
  connected: boolean;
  /** Asked to hand its streams over before it stops (`leaving`): waits for `drain` or `no-successor`. */
  leaving: boolean;
  /** When capture told it to drain; it is dropped if it has not finished drainTimeoutMs later. */
  drainingSinceMs: number;
  /** Last seq the node reported processing, per stream. */
  readonly processed: Map<number, number>;
  /** Its last reported load (processing seconds per second); undefined before its first. */
  load: number | undefined;
  /** Streams capture had placed on it when it reported that load (node pool). */
  loadStreams: number;
}

/**
 * The inference nodes capture knows: each with its own PUSH data socket (bound on a fresh port that only the
 * node's key may connect to) and send queue. Opens and closes those sockets and keeps the count of chunks sent
 * across nodes that are gone; who is active, and hand-overs, are the router's.
 */
export class NodeRegistry {
  readonly #options: NodeRegistryOptions;
  readonly #links = new Map<string, NodeLink>();
  readonly #onConnected: () => void;
  #bindIndex = 0;
  #sentOfClosedLinks = 0;

  /** `onConnected` runs when a node's input connects to its data socket. */
  constructor(options: NodeRegistryOptions, onConnected: () => void) {
    this.#options = options;
    this.#onConnected = onConnected;
  }

  get size(): number {
    return this.#links.size;
  }

  get(id: string): NodeLink | undefined {
    return this.#links.get(id);
  }

  links(): IterableIterator<NodeLink> {
    return this.#links.values();
  }

  /** Chunks sent to every node so far, including the ones gone. */
  get sentCount(): number {
    let sent = this.#sentOfClosedLinks;
    for (const link of this.#links.values()) sent += link.queue.sentCount;
    return sent;
  }

  count(role: NodeRole): number {
    let n = 0;
    for (const link of this.#links.values()) if (link.role === role) n++;
    return n;
  }

  statuses(nowMs: number): NodeStatus[] {
    return [...this.#links.values()].map((l) => ({
      node: l.id,
      model: l.model,
      role: l.role,
      nativeRateHz: l.nativeRateHz,
      pid: l.pid,
      metricsPort: l.metricsPort,
      outputEndpoint: l.outputEndpoint,
      silentMs: Math.round(nowMs - l.lastSeenMs),
      ...(l.load === undefined ? {} : { load: Math.round(l.load * 1000) / 1000 }),
    }));
  }

  /**
   * Registers the node that said `hello` from `identity`: binds its data socket (admitting only the hello's
   * `dataKey` when CURVE is on). Resolves with the link, or `no-data-port` when every port of --data-ports is taken.
   * @throws when the data socket cannot be bound for another reason
   */
  async add(identity: Buffer, hello: ControlOf<'hello'>, role: NodeRole, nowMs: number): Promise<NodeLink | 'no-data-port'> {
    const dataZap = hello.dataKey ? await this.#options.dataServer(hello.dataKey) : undefined;
    const socket = createPushSocket({ highWaterMarkChunks: this.#options.highWaterMarkChunks, curve: dataZap?.curve });
    let endpoint: string | null;
    try {
      endpoint = await this.#bindData(socket);
    } catch (err) {
      socket.close();
      await dataZap?.close();
      throw err;
    }
    if (endpoint === null) {
      socket.close();
      await dataZap?.close();
      return 'no-data-port';
    }
    const link: NodeLink = {
      id: hello.node,
      identity,
      model: hello.model,
      nativeRateHz: hello.nativeRateHz,
      pid: hello.pid,
      metricsPort: hello.metricsPort,
      outputEndpoint: hello.outputEndpoint,
      role,
      socket,
      dataZap,
      queue: new SendQueue(socket, this.#options.queueChunks),
      endpoint,
      lastSeenMs: nowMs,
      connected: false,
      leaving: false,
      drainingSinceMs: 0,
      processed: new Map(),
      load: undefined,
      loadStreams: 0,
    };
    this.#links.set(link.id, link);
    void this.#watchAccept(link);
    return link;
  }

  /** Forgets `link` and closes its socket; returns the chunks still queued for it (lost), or null if it was not registered. */
  remove(link: NodeLink): number | null {
    if (this.#links.get(link.id) !== link) return null;
    this.#links.delete(link.id);
    const queued = link.queue.depth;
    this.#sentOfClosedLinks += link.queue.sentCount;
    void link.queue.close();
    link.socket.close();
    void link.dataZap?.close();
    return queued;
  }

  /** Closes every node's socket (after what its queue could still send). */
  async closeAll(): Promise<void> {
    for (const link of [...this.#links.values()]) {
      this.#sentOfClosedLinks += link.queue.sentCount;
      // Socket first: a node that never connected leaves the queue's send waiting, and only the close ends it.
      const queueClosed = link.queue.close();
      link.socket.close();
      await queueClosed;
      await link.dataZap?.close();
    }
    this.#links.clear();
  }

  async #watchAccept(link: NodeLink): Promise<void> {
    try {
      for await (const event of link.socket.events) {
        if (event.type === 'accept') {
          link.connected = true;
          this.#onConnected();
          return;
        }
      }
    } catch {
      // The socket closed first.
    }
  }

  /** Binds a node's data socket on the control host: the lowest free port of --data-ports (null when none is), else any free port. */
  async #bindData(socket: zmq.Push): Promise<string | null> {
    const control = this.#options.controlEndpoint;
    if (!control.startsWith('tcp://')) {
      await socket.bind(`${control}-node-${process.pid}-${this.#bindIndex++}`);
      return socket.lastEndpoint!;
    }
    const ports = this.#options.dataPorts;
    if (!ports) {
      await socket.bind(control.replace(/:(\d+|\*)$/, ':*'));
      return socket.lastEndpoint!;
    }
    for (let port = ports.first; port <= ports.last; port++) {
      try {
        await socket.bind(control.replace(/:(\d+|\*)$/, `:${port}`));
        return socket.lastEndpoint!;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
      }
    }
    return null;
  }
}
