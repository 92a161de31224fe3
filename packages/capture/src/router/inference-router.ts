import { describeControlReject, encodeControl, readControl, type ControlDecodeResult, encodeHeader, FrameFlags, seqAdd, seqSub, type ControlMessage, type FrameHeader, type HandoverInfo, type NodeRole, type NodeStatus, type StreamRoute, type SwapOutcome } from '@quell/protocol';
import { ControlSender, createPushSocket, createRouterSocket, receiveMessages, SendQueue, type CurveSocketOptions, type DedicatedServer, type Logger, type MessageParts } from '@quell/runtime';
import type * as zmq from 'zeromq';
import type { ChunkOutlet, DropReason } from '../sender/chunk-outlet.js';
import { ControlGate, type ControlGateOptions } from './control-gate.js';
import { StreamRing } from './stream-ring.js';

/** Timing and size settings of the router (see capture's config.ts for the defaults). */
export interface InferenceRouterOptions {
  /** Where the control ROUTER binds. */
  controlEndpoint: string;
  /** CURVE server settings for the control socket; undefined = CURVE off. */
  curve: CurveSocketOptions | undefined;
  /**
   * Server settings for one node's data socket, admitting only the key the node
   * named in its hello (`dataKey`); resolves undefined when CURVE is off.
   */
  dataServer(nodeKey: string): Promise<DedicatedServer | undefined>;
  /** True when CURVE is on, so a hello must name its data key. */
  dataKeyRequired: boolean;
  /** Most inference nodes registered at once (active, candidates, draining). */
  maxNodes: number;
  /** TCP ports the nodes' data sockets bind on (`--data-ports`), lowest free first; null = any free port. */
  dataPorts: { first: number; last: number } | null;
  /** A draining node that has not said `drained` within this is dropped, ms. */
  drainTimeoutMs: number;
  /** Per-peer rate limits and the watcher list of the control socket. */
  gate: ControlGateOptions;
  /** Chunks remembered per stream for warm-up (≈ 1 s). */
  warmUpChunks: number;
  /** Chunks a node's send queue holds beyond the warm-up. */
  sendQueueChunks: number;
  highWaterMarkChunks: number;
  /** A node silent for this long is dead, ms. */
  nodeTimeoutMs: number;
  /** A candidate must have warmed up every stream within this, ms, else the swap rolls back. */
  warmUpTimeoutMs: number;
  /** A whole swap (hello → completed) must end within this, ms, else it rolls back. */
  swapTimeoutMs: number;
  /** A candidate whose processed seq trails capture by more than this many chunks rolls the swap back. */
  maxLagChunks: number;
  /** Chunks the crossfade lasts. */
  fadeChunks: number;
  /** Capture's drop counters: the router adds chunks lost with a dead node (`node-lost`). */
  drops: Record<DropReason, number>;
  /** Counts one second copy of a stream's chunk sent to the candidate during a hand-over (the stream's ledger); absent: not counted. */
  countHandoverCopy?: (streamId: number, frameCount: number) => void;
  /** Where each swap's duration goes, seconds. */
  swapDuration: { record(valueS: number): void };
}

/** One registered inference node. */
interface NodeLink {
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
  readonly helloMs: number;
  connected: boolean;
  /** Asked to hand its streams over before it stops (`leaving`): waits for `drain` or `no-successor`. */
  leaving: boolean;
  /** When capture told it to drain; it is dropped if it has not finished drainTimeoutMs later. */
  drainingSinceMs: number;
  /** Last seq the node reported processing, per stream. */
  readonly processed: Map<number, number>;
}

/** One stream's part in a hand-over. */
interface StreamSwap {
  /** Seq of the last warm-up chunk the candidate must ack. */
  lastWarmSeq: number;
  /** Set once warmed: from here both nodes get live chunks. */
  handover: HandoverInfo | null;
  done: boolean;
}

interface Swap {
  readonly candidate: NodeLink;
  readonly startedMs: number;
  readonly streams: Map<number, StreamSwap>;
}

/** Counters the router keeps for capture's metrics. */
export interface RouterCounts {
  swaps: Record<SwapOutcome, number>;
  nodeFailures: number;
  /** Draining nodes dropped for not finishing within drainTimeoutMs. */
  drainTimeouts: number;
}

/**
 * Capture as the router of the data path (docs/SWAP.md). Inference nodes
 * register on the control ROUTER; capture opens one PUSH per node (bound on a
 * fresh port the node connects its PULL to), so a stateful stream never
 * round-robins between nodes. The first node is active; a later one is a
 * candidate: it gets the last ~1 s of every stream flagged WARM_UP, then,
 * once it acks, live chunks alongside the old node from `atSeq` on, stamped
 * with the hand-over so playback can crossfade. When the candidate has
 * processed past the crossfade the old node is told to drain. A candidate that
 * fails to warm up, lags or goes silent is aborted and the old node keeps the
 * streams. An active node that goes silent is dropped; its chunks are counted
 * drops (`no-node`) until a node says hello.
 */
export class InferenceRouter implements ChunkOutlet {
  readonly #options: InferenceRouterOptions;
  readonly #log: Logger;
  readonly #control: zmq.Router;
  readonly #links = new Map<string, NodeLink>();
  readonly #rings = new Map<number, StreamRing>();
  readonly #gate: ControlGate;
  readonly #malformedSeen = new Set<string>();
  readonly #sender: ControlSender;
  /** One registration at a time: binding a node's data socket takes a moment, and two hellos racing it would both pass the checks. */
  #registering = false;
  readonly #loop: Promise<void>;
  readonly #timer: NodeJS.Timeout;
  #active: NodeLink | null = null;
  #swap: Swap | null = null;
  #bindIndex = 0;
  #closed = false;
  #sentOfClosedLinks = 0;
  #nodeWaiters: (() => void)[] = [];
  readonly counts: RouterCounts = { swaps: { completed: 0, 'rolled-back': 0 }, nodeFailures: 0, drainTimeouts: 0 };

  private constructor(options: InferenceRouterOptions, log: Logger, control: zmq.Router) {
    this.#options = options;
    this.#log = log;
    this.#control = control;
    this.#gate = new ControlGate(options.gate);
    this.#sender = new ControlSender(control);
    this.#loop = this.#receive();
    this.#timer = setInterval(() => this.#check(), 100);
    this.#timer.unref();
  }

  /** Binds the control socket; rejects when it cannot. */
  static async open(options: InferenceRouterOptions, log: Logger): Promise<InferenceRouter> {
    const control = createRouterSocket({ curve: options.curve });
    try {
      await control.bind(options.controlEndpoint);
    } catch (err) {
      control.close();
      throw err;
    }
    return new InferenceRouter(options, log, control);
  }

  get controlEndpoint(): string {
    return this.#control.lastEndpoint ?? this.#options.controlEndpoint;
  }

  get sentCount(): number {
    let sent = this.#sentOfClosedLinks;
    for (const link of this.#links.values()) sent += link.queue.sentCount;
    return sent;
  }

  get depth(): number {
    return this.#active?.queue.depth ?? 0;
  }

  /** Control messages refused, by reason. */
  get refused(): ControlGate['refused'] {
    return this.#gate.refused;
  }

  nodeCount(role: NodeRole): number {
    let n = 0;
    for (const link of this.#links.values()) if (link.role === role) n++;
    return n;
  }

  /** Every live stream with the node and model that serve it. */
  routes(): StreamRoute[] {
    const active = this.#active;
    if (!active) return [];
    return [...this.#rings.values()].map((r) => ({ stream: r.streamId, node: active.id, model: active.model, seq: r.nextSeq }));
  }

  nodes(nowMs = performance.now()): NodeStatus[] {
    return [...this.#links.values()].map((l) => ({
      node: l.id,
      model: l.model,
      role: l.role,
      nativeRateHz: l.nativeRateHz,
      pid: l.pid,
      metricsPort: l.metricsPort,
      outputEndpoint: l.outputEndpoint,
      silentMs: Math.round(nowMs - l.lastSeenMs),
    }));
  }

  /** Resolves once an active node has connected its input (capture's await-peer). */
  async firstNode(stopped: Promise<void>): Promise<void> {
    // Once `stopped` has resolved, racing it resolves at once: without returning here the loop would spin in
    // microtasks, starving the timers that finish the shutdown, and grow the waiter list without bound.
    const stopSignal = stopped.then(() => 'stopped' as const);
    while (!this.#closed && !(this.#active && this.#active.connected)) {
      const woken = await Promise.race([new Promise<'node'>((resolve) => this.#nodeWaiters.push(() => resolve('node'))), stopSignal]);
      if (woken === 'stopped') return;
    }
  }

  // ---- data path ----

  offer(parts: MessageParts, header: FrameHeader): DropReason | null {
    const ring = this.#ring(header);
    ring.push(header, parts[1]);
    const swap = this.#swap;
    if (swap) this.#toCandidate(swap, ring, header, parts[1]);
    const active = this.#active;
    let result: DropReason | null;
    if (!active) result = 'no-node';
    else {
      const handover = swap?.streams.get(header.stream)?.handover;
      const toActive = handover && seqSub(header.seq, handover.atSeq) >= 0 ? this.#withHandover(header, parts[1], handover) : parts;
      result = active.queue.offer(toActive) ? null : 'queue-full';
    }
    if (header.flags & FrameFlags.END_OF_STREAM) this.#endStream(header.stream);
    return result;
  }

  /**
   * Offline (--fast) send: waits for a node and for room in its queue instead
   * of dropping. During a swap it behaves like offer(): swaps are for live runs.
   */
  async put(parts: MessageParts, header: FrameHeader): Promise<DropReason | null> {
    while (!this.#closed && !this.#active) await new Promise<void>((resolve) => this.#nodeWaiters.push(resolve));
    const active = this.#active;
    if (!active) return 'no-node';
    if (this.#swap) return this.offer(parts, header);
    this.#ring(header).push(header, parts[1]);
    // False only when the node's queue closed under us (the node was removed): the chunk never left.
    const queued = await active.queue.put(parts);
    if (header.flags & FrameFlags.END_OF_STREAM) this.#endStream(header.stream);
    return queued ? null : 'node-lost';
  }

  #ring(header: FrameHeader): StreamRing {
    let ring = this.#rings.get(header.stream);
    if (!ring) {
      ring = new StreamRing(header.stream, this.#options.warmUpChunks);
      this.#rings.set(header.stream, ring);
    }
    return ring;
  }

  #endStream(streamId: number): void {
    this.#rings.delete(streamId);
    const swap = this.#swap;
    const s = swap?.streams.get(streamId);
    if (swap && s) {
      s.done = true;
      this.#maybeComplete(swap);
    }
  }

  /** The chunk as the candidate gets it: warm-up before `atSeq`, with the hand-over from then on. */
  #toCandidate(swap: Swap, ring: StreamRing, header: FrameHeader, samples: Buffer): void {
    let s = swap.streams.get(header.stream);
    if (!s) {
      // A stream that started during the swap: warm up on what there is (this chunk included).
      s = this.#warmUp(swap, ring);
      return;
    }
    if (s.done && !s.handover) return;
    const parts = s.handover ? this.#withHandover(header, samples, s.handover) : this.#asWarmUp(header, samples);
    if (!swap.candidate.queue.offer(parts)) this.#abort(swap, 'the candidate node does not keep up (its send queue is full)');
    else if (s.handover) this.#options.countHandoverCopy?.(header.stream, header.frameCount);
  }

  /** Sends a stream's ring to the candidate flagged WARM_UP and tells it which seq ends the warm-up. */
  #warmUp(swap: Swap, ring: StreamRing): StreamSwap {
    const s: StreamSwap = { lastWarmSeq: seqAdd(ring.nextSeq, -1 >>> 0), handover: null, done: false };
    swap.streams.set(ring.streamId, s);
    this.#sendTo(swap.candidate, { type: 'warm-up', stream: ring.streamId, lastSeq: s.lastWarmSeq });
    for (const chunk of ring.chunks()) {
      if (!swap.candidate.queue.offer(this.#asWarmUp(chunk.header, chunk.samples))) {
        this.#abort(swap, 'the candidate node cannot take the warm-up (its send queue is full)');
        break;
      }
    }
    return s;
  }

  #asWarmUp(header: FrameHeader, samples: Buffer): MessageParts {
    const flags = header.flags;
    header.flags = flags | FrameFlags.WARM_UP;
    const encoded = encodeHeader(header);
    header.flags = flags;
    return [encoded, samples];
  }

  #withHandover(header: FrameHeader, samples: Buffer, handover: HandoverInfo): MessageParts {
    header.handover = handover;
    const encoded = encodeHeader(header);
    delete header.handover;
    return [encoded, samples];
  }

  // ---- control path ----

  async #receive(): Promise<void> {
    try {
      for await (const [identity, payload] of receiveMessages(this.#control)) {
        if (!this.#gate.admit(identity, performance.now())) continue;
        const read = readControl(payload);
        if (!read.ok) {
          this.#gate.refuse('malformed');
          this.#noteMalformed(read);
          continue;
        }
        this.#handle(identity, read.message);
      }
    } catch (err) {
      if (!this.#closed) this.#log.error({ err }, 'control socket failed');
    }
  }

  /** Logs the first malformed control message of each kind (type and field); the gate's counter counts them all. */
  #noteMalformed(read: Extract<ControlDecodeResult, { ok: false }>): void {
    const kind = `${read.reason}:${read.type ?? ''}:${read.field ?? ''}`;
    if (this.#malformedSeen.has(kind)) return;
    this.#malformedSeen.add(kind);
    this.#log.warn({ type: read.type, field: read.field }, `refused a control message (${describeControlReject(read)}; see docs/PROTOCOL.md): later ones of this kind are only counted in quell_capture_control_rejected_total{reason="malformed"}`);
  }

  #handle(identity: Buffer, m: ControlMessage): void {
    if (m.type === 'hello') {
      // A node repeats its hello every second until welcomed, so a refused one comes back by itself.
      if (this.#registering) return void this.#gate.refuse('busy');
      this.#registering = true;
      void this.#hello(identity, m)
        .catch((err: Error) => this.#log.error({ err, node: m.node }, 'cannot open a data socket for the node'))
        .finally(() => (this.#registering = false));
      return;
    }
    if (m.type === 'status-request') return this.#reply(identity, { type: 'status', nodes: this.nodes(), streams: this.routes() });
    if (m.type === 'watch') {
      this.#gate.watch(identity, performance.now());
      return;
    }
    const link = 'node' in m ? this.#links.get(m.node) : undefined;
    if (!link || !link.identity.equals(identity)) {
      this.#gate.refuse('unregistered');
      // A node registered with an earlier capture process: it says hello again and gets a data socket from this one.
      if (m.type === 'heartbeat' && !link) this.#reply(identity, { type: 'unknown-node' });
      return;
    }
    link.lastSeenMs = performance.now();
    const swap = this.#swap;
    switch (m.type) {
      case 'heartbeat':
        for (const [stream, seq] of m.streams) link.processed.set(stream, seq);
        return;
      case 'warmed': {
        const s = swap?.candidate === link ? swap.streams.get(m.stream) : undefined;
        const ring = this.#rings.get(m.stream);
        if (!swap || !s || s.handover || !this.#active) return;
        if (!ring) {
          s.done = true;
          return this.#maybeComplete(swap);
        }
        // Live from the next chunk on: the candidate's input stays contiguous (warm-up, then live).
        s.handover = { from: this.#active.id, to: link.id, atSeq: ring.nextSeq, fadeChunks: this.#options.fadeChunks };
        this.#log.info({ streamId: m.stream, atSeq: ring.nextSeq, from: this.#active.id, to: link.id }, 'candidate warmed up, switching at seq');
        return;
      }
      case 'progress': {
        const s = swap?.candidate === link ? swap.streams.get(m.stream) : undefined;
        if (!swap || !s?.handover) return;
        if (seqSub(m.seq, seqAdd(s.handover.atSeq, s.handover.fadeChunks)) >= 0) {
          s.done = true;
          this.#maybeComplete(swap);
        }
        return;
      }
      case 'leaving':
        return this.#leaving(link);
      case 'drained':
      case 'bye':
        if (swap?.candidate === link) this.#abort(swap, 'the candidate node left');
        this.#removeLink(link, m.type === 'bye' ? 'left' : 'drained');
        return;
      default:
        this.#gate.refuse('malformed');
    }
  }

  async #hello(identity: Buffer, m: ControlOf<'hello'>): Promise<void> {
    const existing = this.#links.get(m.node);
    if (existing) {
      // A repeated hello (the node did not hear the welcome): answer it again.
      if (existing.identity.equals(identity)) return this.#reply(identity, { type: 'welcome', inputEndpoint: existing.endpoint, role: existing.role });
      return this.#refuseHello(identity, 'duplicate-node', `node id '${m.node}' is already registered`);
    }
    if (this.#swap) return this.#refuseHello(identity, 'swap-in-progress', `a swap to '${this.#swap.candidate.id}' is in progress`);
    if (this.#options.dataKeyRequired && !m.dataKey) return this.#refuseHello(identity, 'no-data-key', 'hello needs dataKey: the public CURVE key the node proves on its data input');
    const active = this.#active;
    if (active && performance.now() - active.lastSeenMs > this.#options.nodeTimeoutMs / 2) {
      // The active node has missed heartbeats (killed, and this is its restart): no hand-over from a node that cannot answer.
      this.counts.nodeFailures++;
      this.#log.warn({ node: active.id, successor: m.node }, 'inference node presumed lost: a new node takes over at once');
      this.#removeLink(active, 'lost');
    }
    if (this.#links.size >= this.#options.maxNodes) return this.#refuseHello(identity, 'node-cap', `${this.#links.size} inference nodes are registered already (--max-nodes ${this.#options.maxNodes})`);
    const dataZap = m.dataKey ? await this.#options.dataServer(m.dataKey) : undefined;
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
      const { first, last } = this.#options.dataPorts!;
      this.#log.warn({ node: m.node }, `no free port in --data-ports ${first}-${last} for inference node '${m.node}': widen the range or free its ports`);
      return this.#refuseHello(identity, 'no-data-port', `no free port in capture's --data-ports ${first}-${last}`);
    }
    const nowMs = performance.now();
    const link: NodeLink = {
      id: m.node,
      identity,
      model: m.model,
      nativeRateHz: m.nativeRateHz,
      pid: m.pid,
      metricsPort: m.metricsPort,
      outputEndpoint: m.outputEndpoint,
      role: this.#active ? 'candidate' : 'active',
      socket,
      dataZap,
      queue: new SendQueue(socket, this.#options.warmUpChunks + this.#options.sendQueueChunks),
      endpoint,
      lastSeenMs: nowMs,
      helloMs: nowMs,
      connected: false,
      leaving: false,
      drainingSinceMs: 0,
      processed: new Map(),
    };
    this.#links.set(link.id, link);
    void this.#watchAccept(link);
    this.#reply(identity, { type: 'welcome', inputEndpoint: endpoint, role: link.role });
    this.#log.info({ node: link.id, model: link.model, role: link.role, input: endpoint }, 'inference node registered');
    if (link.role === 'active') {
      this.#activate(link);
      return;
    }
    const swap: Swap = { candidate: link, startedMs: nowMs, streams: new Map() };
    this.#swap = swap;
    for (const ring of this.#rings.values()) if (this.#swap === swap) this.#warmUp(swap, ring);
    this.#maybeComplete(swap);
  }

  /** Makes `link` the active node; with no predecessor to crossfade from, it warms up on the rings and goes live at once. */
  #activate(link: NodeLink): void {
    link.role = 'active';
    this.#active = link;
    for (const ring of this.#rings.values()) for (const chunk of ring.chunks()) link.queue.offer(this.#asWarmUp(chunk.header, chunk.samples));
    this.#sendTo(link, { type: 'promote' });
    this.#wakeNodeWaiters();
  }

  async #watchAccept(link: NodeLink): Promise<void> {
    try {
      for await (const event of link.socket.events) {
        if (event.type === 'accept') {
          link.connected = true;
          this.#wakeNodeWaiters();
          return;
        }
      }
    } catch {
      // The socket closed first.
    }
  }

  #wakeNodeWaiters(): void {
    for (const w of this.#nodeWaiters.splice(0)) w();
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

  #maybeComplete(swap: Swap): void {
    if (this.#swap !== swap) return;
    for (const s of swap.streams.values()) if (!s.done) return;
    const old = this.#active;
    this.#swap = null;
    if (old) {
      old.role = 'draining';
      old.drainingSinceMs = performance.now();
      this.#sendTo(old, { type: 'drain' });
    }
    swap.candidate.role = 'active';
    this.#active = swap.candidate;
    this.#sendTo(swap.candidate, { type: 'promote' });
    this.#finishSwap(swap, 'completed', old?.id ?? '', old ? 'hand-over done' : 'the old node was gone');
    this.#wakeNodeWaiters();
  }

  #abort(swap: Swap, reason: string): void {
    if (this.#swap !== swap) return;
    this.#swap = null;
    this.#sendTo(swap.candidate, { type: 'abort', reason });
    this.#removeLink(swap.candidate, 'aborted');
    this.#finishSwap(swap, 'rolled-back', this.#active?.id ?? '', reason);
    if (this.#active?.leaving) this.#sendTo(this.#active, { type: 'no-successor' });
  }

  /**
   * A node about to stop (pm2 reload or stop, SIGINT/SIGTERM) asks to hand its
   * streams over first. The active node keeps them until the swap in progress
   * completes (it then gets `drain`, as after any swap); with no candidate
   * there is nobody to hand them to, and it stops as it would have without
   * asking (`no-successor`).
   */
  #leaving(link: NodeLink): void {
    if (link.role === 'draining') return this.#sendTo(link, { type: 'drain' });
    const swap = this.#swap;
    if (link === this.#active && swap) {
      link.leaving = true;
      this.#log.info({ node: link.id, successor: swap.candidate.id }, 'active node leaving: its streams go to the candidate when the hand-over completes');
      return;
    }
    this.#sendTo(link, { type: 'no-successor' });
  }

  #finishSwap(swap: Swap, outcome: SwapOutcome, from: string, reason: string): void {
    const durationS = (performance.now() - swap.startedMs) / 1000;
    this.counts.swaps[outcome]++;
    this.#options.swapDuration.record(durationS);
    const event: ControlMessage = { type: 'swap', outcome, from, to: swap.candidate.id, reason, durationS };
    this.#log.info({ outcome, from, to: swap.candidate.id, reason, durationS }, 'swap ended');
    for (const w of this.#gate.watchers(performance.now())) this.#reply(w, event);
  }

  #removeLink(link: NodeLink, why: string): void {
    if (this.#links.get(link.id) !== link) return;
    this.#links.delete(link.id);
    const swap = this.#swap;
    if (this.#active === link) {
      this.#active = null;
      if (swap) {
        // The candidate takes over at once: nothing left to crossfade from.
        for (const s of swap.streams.values()) s.done = true;
        this.#maybeComplete(swap);
      }
    }
    // Chunks still queued for a node that is gone are lost: counted, not hidden.
    if (why === 'lost') this.#options.drops['node-lost'] += link.queue.depth;
    this.#sentOfClosedLinks += link.queue.sentCount;
    void link.queue.close();
    link.socket.close();
    void link.dataZap?.close();
    this.#log.info({ node: link.id, why }, 'inference node removed');
  }

  /** Every 100 ms: dead nodes, slow or stuck candidates. */
  #check(): void {
    const nowMs = performance.now();
    const o = this.#options;
    this.#gate.prune(nowMs);
    for (const link of [...this.#links.values()]) {
      if (link.role === 'draining' && nowMs - link.drainingSinceMs > o.drainTimeoutMs) {
        this.counts.drainTimeouts++;
        this.#log.warn({ node: link.id, drainTimeoutMs: o.drainTimeoutMs }, 'draining inference node did not finish in time: dropped');
        this.#removeLink(link, 'drain-timeout');
        continue;
      }
      if (nowMs - link.lastSeenMs <= o.nodeTimeoutMs) continue;
      this.counts.nodeFailures++;
      this.#log.warn({ node: link.id, role: link.role, silentMs: Math.round(nowMs - link.lastSeenMs) }, 'inference node lost');
      const swap = this.#swap;
      if (swap?.candidate === link) {
        this.#abort(swap, `the candidate node stopped responding (no heartbeat for ${o.nodeTimeoutMs} ms)`);
        continue;
      }
      this.#removeLink(link, 'lost');
    }
    const swap = this.#swap;
    if (!swap) return;
    const ageMs = nowMs - swap.startedMs;
    const warming = [...swap.streams.values()].some((s) => !s.handover && !s.done);
    if (warming && ageMs > o.warmUpTimeoutMs) return this.#abort(swap, `the candidate did not warm up within ${o.warmUpTimeoutMs} ms`);
    if (ageMs > o.swapTimeoutMs) return this.#abort(swap, `the swap did not complete within ${o.swapTimeoutMs} ms`);
    for (const [stream, s] of swap.streams) {
      const ring = this.#rings.get(stream);
      const done = swap.candidate.processed.get(stream);
      if (!s.handover || !ring || done === undefined) continue;
      const lag = seqSub(ring.nextSeq, done) - 1;
      if (lag > o.maxLagChunks) return this.#abort(swap, `the candidate lags ${lag} chunks behind the live stream (limit ${o.maxLagChunks})`);
    }
  }

  #sendTo(link: NodeLink, message: ControlMessage): void {
    this.#reply(link.identity, message);
  }

  /** Refuses a hello: counted by reason and answered with `abort`, so the node can say why it stops. */
  #refuseHello(identity: Buffer, reason: 'duplicate-node' | 'swap-in-progress' | 'no-data-key' | 'node-cap' | 'no-data-port', text: string): void {
    this.#gate.refuse(reason);
    this.#reply(identity, { type: 'abort', reason: text });
  }

  #reply(identity: Buffer, message: ControlMessage): void {
    if (this.#closed) return;
    // ROUTER with sendTimeout 0: a peer that is gone or full loses the message instead of blocking the router.
    this.#sender.send([identity, encodeControl(message)]);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    clearInterval(this.#timer);
    // Give the active node its last chunks (end-of-stream) before the sockets close.
    await this.#active?.queue.drain(800);
    this.#closed = true;
    this.#wakeNodeWaiters();
    for (const link of [...this.#links.values()]) {
      this.#sentOfClosedLinks += link.queue.sentCount;
      // Socket first: a node that never connected leaves the queue's send waiting, and only the close ends it.
      const queueClosed = link.queue.close();
      link.socket.close();
      await queueClosed;
      await link.dataZap?.close();
    }
    this.#links.clear();
    await this.#sender.settled();
    this.#control.close();
    await this.#loop;
  }
}

type ControlOf<T extends ControlMessage['type']> = Extract<ControlMessage, { type: T }>;
