import { encodeControl, readControl, type ControlOf, encodeHeader, FrameFlags, seqSub, type ControlMessage, type FrameHeader, type HandoverInfo, type NodeRole, type NodeStatus, type StreamRoute, type SwapOutcome } from '@quell/protocol';
import { ControlSender, createRouterSocket, onLinkClosed, receiveMessages, RejectedControlLog, type CurveSocketOptions, type Logger, type MessageParts } from '@quell/runtime';
import type * as zmq from 'zeromq';
import type { ChunkOutlet, DropReason } from '../sender/chunk-outlet.js';
import { ControlGate, type ControlGateOptions } from './control-gate.js';
import { NodeRegistry, type NodeLink, type NodeRegistryOptions } from './node-registry.js';
import { leastLoaded, rebalanceDonors } from './pool-balance.js';
import { StreamRing } from './stream-ring.js';
import { SwapState, type SwapLimits } from './swap-state.js';

/** Timing and size settings of the router (see capture's config.ts for the defaults). */
export interface InferenceRouterOptions extends Omit<NodeRegistryOptions, 'queueChunks'>, SwapLimits {
  /** CURVE server settings for the control socket; undefined = CURVE off. */
  curve: CurveSocketOptions | undefined;
  /** True when CURVE is on, so a hello must name its data key. */
  dataKeyRequired: boolean;
  /** Most inference nodes registered at once (active, candidates, draining). */
  maxNodes: number;
  /** A draining node that has not said `drained` within this is dropped, ms. */
  drainTimeoutMs: number;
  /** Per-peer rate limits and the watcher list of the control socket. */
  gate: ControlGateOptions;
  /** Chunks remembered per stream for warm-up (≈ 1 s). */
  warmUpChunks: number;
  /** Chunks a node's send queue holds beyond the warm-up. */
  sendQueueChunks: number;
  /** A node silent for this long is dead, ms. */
  nodeTimeoutMs: number;
  /** Capture's drop counters: the router adds chunks lost with a dead node (`node-lost`). */
  drops: Record<DropReason, number>;
  /** Counts one second copy of a stream's chunk sent to the candidate during a hand-over (the stream's ledger); absent: not counted. */
  countHandoverCopy?: (streamId: number, frameCount: number) => void;
  /** Where each swap's duration goes, seconds. */
  swapDuration: { record(valueS: number): void };
  /**
   * Node pool (--node-pool): every node serves; each new stream goes to the least-loaded node, a joining node
   * takes streams from the fullest and a leaving one hands its streams over, stream by stream. False: one
   * active node, and a new node is a candidate for all of them (a swap).
   */
  pool: boolean;
}

/** A hand-over in progress: its state machine and the node it hands over to. */
interface Swap {
  readonly state: SwapState;
  readonly candidate: NodeLink;
}

/** Node pool: one stream's hand-over from the node serving it to another (a swap of one stream). */
interface Move extends Swap {
  readonly stream: number;
  readonly from: NodeLink;
}

const isMove = (swap: Swap): swap is Move => 'from' in swap;

/** A pool node takes streams while active and not leaving. */
const servesStreams = (link: NodeLink): boolean => link.role === 'active' && !link.leaving;

/** Node pool: a rebalance that rolled back is tried again this long after, ms. */
const REBALANCE_RETRY_MS = 2000;

/** Counters the router keeps for capture's metrics. */
export interface RouterCounts {
  swaps: Record<SwapOutcome, number>;
  /** Node pool: streams moved from one node to another, by outcome. */
  moves: Record<SwapOutcome, number>;
  nodeFailures: number;
  /** Draining nodes dropped for not finishing within drainTimeoutMs. */
  drainTimeouts: number;
  /** Links the control socket lost: peers that left, or were cut for a message over the size cap. */
  controlLinksClosed: number;
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
  readonly #nodes: NodeRegistry;
  readonly #rings = new Map<number, StreamRing>();
  readonly #gate: ControlGate;
  readonly #malformed: RejectedControlLog;
  readonly #sender: ControlSender;
  /** One registration at a time: binding a node's data socket takes a moment, and two hellos racing it would both pass the checks. */
  #registering = false;
  readonly #loop: Promise<void>;
  readonly #timer: NodeJS.Timeout;
  #active: NodeLink | null = null;
  #swap: Swap | null = null;
  /** Node pool: the node serving each stream. */
  readonly #placement = new Map<number, NodeLink>();
  /** Node pool: the streams being moved, by stream. */
  readonly #moves = new Map<number, Move>();
  /** Node pool: moves waiting to start; a node warms up one stream at a time (its send queue holds one warm-up). */
  #pendingMoves: { readonly stream: number; readonly from: NodeLink; readonly to: NodeLink }[] = [];
  /** Node pool: when to retry a rebalance that rolled back (performance.now() ms); 0 = none due. */
  #rebalanceDueMs = 0;
  #closed = false;
  #nodeWaiters: (() => void)[] = [];
  readonly counts: RouterCounts = { swaps: { completed: 0, 'rolled-back': 0 }, moves: { completed: 0, 'rolled-back': 0 }, nodeFailures: 0, drainTimeouts: 0, controlLinksClosed: 0 };

  private constructor(options: InferenceRouterOptions, log: Logger, control: zmq.Router) {
    this.#options = options;
    this.#log = log;
    this.#control = control;
    this.#gate = new ControlGate(options.gate);
    this.#malformed = new RejectedControlLog(log, '', 'quell_capture_control_rejected_total{reason="malformed"}');
    this.#sender = new ControlSender(control);
    onLinkClosed(control, () => this.counts.controlLinksClosed++);
    this.#nodes = new NodeRegistry({ ...options, queueChunks: options.warmUpChunks + options.sendQueueChunks }, () => this.#wakeNodeWaiters());
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
    return this.#nodes.sentCount;
  }

  get depth(): number {
    if (!this.#options.pool) return this.#active?.queue.depth ?? 0;
    let depth = 0;
    for (const link of this.#nodes.links()) depth += link.queue.depth;
    return depth;
  }

  /** Control messages refused, by reason. */
  get refused(): ControlGate['refused'] {
    return this.#gate.refused;
  }

  nodeCount(role: NodeRole): number {
    return this.#nodes.count(role);
  }

  /** Every live stream with the node and model that serve it. */
  routes(): StreamRoute[] {
    if (this.#options.pool) {
      const routes: StreamRoute[] = [];
      for (const r of this.#rings.values()) {
        const node = this.#placement.get(r.streamId);
        if (node) routes.push({ stream: r.streamId, node: node.id, model: node.model, seq: r.nextSeq });
      }
      return routes;
    }
    const active = this.#active;
    if (!active) return [];
    return [...this.#rings.values()].map((r) => ({ stream: r.streamId, node: active.id, model: active.model, seq: r.nextSeq }));
  }

  nodes(nowMs = performance.now()): NodeStatus[] {
    return this.#nodes.statuses(nowMs);
  }

  /** Resolves once an active node has connected its input (capture's await-peer). */
  async firstNode(stopped: Promise<void>): Promise<void> {
    // Once `stopped` has resolved, racing it resolves at once: without returning here the loop would spin in
    // microtasks, starving the timers that finish the shutdown, and grow the waiter list without bound.
    const stopSignal = stopped.then(() => 'stopped' as const);
    while (!this.#closed && !this.#serving().some((link) => link.connected)) {
      const woken = await Promise.race([new Promise<'node'>((resolve) => this.#nodeWaiters.push(() => resolve('node'))), stopSignal]);
      if (woken === 'stopped') return;
    }
  }

  // ---- data path ----

  offer(parts: MessageParts, header: FrameHeader): DropReason | null {
    if (this.#options.pool) return this.#offerPooled(parts, header);
    const ring = this.#ring(header);
    ring.push(header, parts[1]);
    const swap = this.#swap;
    if (swap) this.#toCandidate(swap, ring, header, parts[1]);
    const active = this.#active;
    let result: DropReason | null;
    if (!active) result = 'no-node';
    else {
      const handover = swap?.state.handover(header.stream);
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
    if (this.#options.pool) return this.#putPooled(parts, header);
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

  /** Node pool: the chunk goes to the stream's node (placed on the least-loaded one if new), and to the node it moves to. */
  #offerPooled(parts: MessageParts, header: FrameHeader): DropReason | null {
    const ring = this.#ring(header);
    const node = this.#placement.get(header.stream) ?? this.#place(ring);
    ring.push(header, parts[1]);
    const move = this.#moves.get(header.stream);
    if (move) this.#toCandidate(move, ring, header, parts[1]);
    let result: DropReason | null = 'no-node';
    if (node) {
      const handover = move?.state.handover(header.stream);
      const toNode = handover && seqSub(header.seq, handover.atSeq) >= 0 ? this.#withHandover(header, parts[1], handover) : parts;
      result = node.queue.offer(toNode) ? null : 'queue-full';
    }
    if (header.flags & FrameFlags.END_OF_STREAM) this.#endStream(header.stream);
    return result;
  }

  async #putPooled(parts: MessageParts, header: FrameHeader): Promise<DropReason | null> {
    while (!this.#closed && !this.#anyServing()) await new Promise<void>((resolve) => this.#nodeWaiters.push(resolve));
    if (this.#moves.has(header.stream)) return this.offer(parts, header);
    const ring = this.#ring(header);
    const node = this.#placement.get(header.stream) ?? this.#place(ring);
    if (!node) return 'no-node';
    ring.push(header, parts[1]);
    const queued = await node.queue.put(parts);
    if (header.flags & FrameFlags.END_OF_STREAM) this.#endStream(header.stream);
    return queued ? null : 'node-lost';
  }

  /** The nodes that take streams: the active one, or every active pool node not leaving. */
  #serving(): NodeLink[] {
    if (!this.#options.pool) return this.#active ? [this.#active] : [];
    const serving: NodeLink[] = [];
    for (const link of this.#nodes.links()) if (servesStreams(link)) serving.push(link);
    return serving;
  }

  /** Whether a node takes streams: #serving() without building its list (asked for every chunk of a --fast run). */
  #anyServing(): boolean {
    if (!this.#options.pool) return this.#active !== null;
    for (const link of this.#nodes.links()) if (servesStreams(link)) return true;
    return false;
  }

  /** Node pool: streams on each node, counting a stream being moved on the node it moves to. */
  #streamCounts(): Map<NodeLink, number> {
    const counts = new Map<NodeLink, number>();
    for (const node of this.#placement.values()) counts.set(node, (counts.get(node) ?? 0) + 1);
    for (const move of [...this.#moves.values(), ...this.#pendingMoves]) {
      const to = 'to' in move ? move.to : move.candidate;
      counts.set(to, (counts.get(to) ?? 0) + 1);
      counts.set(move.from, (counts.get(move.from) ?? 0) - 1);
    }
    return counts;
  }

  /** Node pool: the serving node a stream should go to now (pool-balance.ts), other than `except`. */
  #leastLoaded(except?: NodeLink): NodeLink | null {
    const candidates = this.#serving().filter((link) => link !== except);
    if (candidates.length === 0) return null;
    const counts = this.#streamCounts();
    const members = candidates.map((link) => ({ id: link.id, streams: counts.get(link) ?? 0, load: link.load, loadStreams: link.loadStreams, link }));
    return leastLoaded(members)?.link ?? null;
  }

  /**
   * Node pool: puts a stream on the least-loaded node. Its last `warmUpChunks` (what it sent to a node that is
   * gone, or while no node served) go first, flagged WARM_UP, so the model starts warm, as far as they leave room
   * for the live chunks; null when no node serves.
   */
  #place(ring: StreamRing, warmUpChunks = ring.size): NodeLink | null {
    const node = this.#leastLoaded();
    if (!node) return null;
    this.#placement.set(ring.streamId, node);
    this.#sendWarmUp(node, ring, Math.min(warmUpChunks, this.#warmUpRoom(node)));
    return node;
  }

  /** Node pool: hands `stream` over from `from` to `to` (warm-up, then both live, crossfaded at playback), once `to` has room for the warm-up. */
  #startMove(stream: number, from: NodeLink, to: NodeLink): void {
    this.#pendingMoves.push({ stream, from, to });
    this.#pumpMoves();
  }

  /** Node pool: starts each waiting move whose node is not warming up another stream; drops those overtaken by events. */
  #pumpMoves(): void {
    const waiting = this.#pendingMoves;
    this.#pendingMoves = [];
    for (const m of waiting) {
      const ring = this.#rings.get(m.stream);
      const stale = !ring || this.#moves.has(m.stream) || this.#placement.get(m.stream) !== m.from || this.#nodes.get(m.to.id) !== m.to || m.to.leaving;
      if (stale) continue;
      let warming = false;
      for (const move of this.#moves.values()) if (move.candidate === m.to && move.state.copyFor(move.stream) === 'warm-up') warming = true;
      if (warming) {
        this.#pendingMoves.push(m);
        continue;
      }
      const move: Move = { state: new SwapState(m.to.id, performance.now(), this.#options), candidate: m.to, from: m.from, stream: m.stream };
      this.#moves.set(m.stream, move);
      this.#log.info({ streamId: m.stream, from: m.from.id, to: m.to.id }, 'moving stream');
      this.#warmUp(move, ring);
    }
    for (const m of waiting) if (m.from.leaving) this.#releaseIfDone(m.from);
  }

  /** Node pool: a node joined: it takes the streams no node serves, then streams from the fullest nodes until balanced. */
  #join(link: NodeLink): void {
    this.#sendTo(link, { type: 'promote' });
    for (const ring of this.#rings.values()) if (!this.#placement.has(ring.streamId)) this.#place(ring);
    this.#rebalanceTo(link);
    this.#wakeNodeWaiters();
  }

  /** Node pool: moves streams from the fullest serving nodes to `to` until none holds two more than it. */
  #rebalanceTo(to: NodeLink): void {
    const counts = this.#streamCounts();
    const others = this.#serving().filter((l) => l !== to);
    for (const donorId of rebalanceDonors(others.map((l) => ({ id: l.id, streams: counts.get(l) ?? 0 })), counts.get(to) ?? 0)) {
      const donor = this.#nodes.get(donorId)!;
      const stream = [...this.#placement].find(([id, node]) => node === donor && !this.#moving(id))?.[0];
      if (stream !== undefined) this.#startMove(stream, donor, to);
    }
  }

  /** Node pool: the serving node with the fewest streams gets streams from the fullest (a rolled-back rebalance, retried). */
  #rebalance(): void {
    const counts = this.#streamCounts();
    let emptiest: NodeLink | null = null;
    for (const link of this.#serving()) if (!emptiest || (counts.get(link) ?? 0) < (counts.get(emptiest) ?? 0)) emptiest = link;
    if (emptiest) this.#rebalanceTo(emptiest);
  }

  #moving(stream: number): boolean {
    return this.#moves.has(stream) || this.#pendingMoves.some((m) => m.stream === stream);
  }

  /** Node pool: a node asked to leave: each of its streams moves to the least-loaded other node; it drains once none is left. */
  #leavePool(link: NodeLink): void {
    if (link.role === 'draining') return this.#sendTo(link, { type: 'drain' });
    if (!this.#serving().some((other) => other !== link)) return this.#sendTo(link, { type: 'no-successor' });
    link.leaving = true;
    this.#log.info({ node: link.id }, 'pool node leaving: moving its streams to the others');
    for (const [stream, node] of [...this.#placement]) {
      if (node !== link || this.#moving(stream)) continue;
      const to = this.#leastLoaded(link);
      if (to) this.#startMove(stream, link, to);
    }
    this.#releaseIfDone(link);
  }

  /** Node pool: a leaving node with no stream left to serve or hand over is told to drain. */
  #releaseIfDone(link: NodeLink): void {
    if (!link.leaving || link.role !== 'active' || this.#nodes.get(link.id) !== link) return;
    for (const node of this.#placement.values()) if (node === link) return;
    for (const move of this.#moves.values()) if (move.from === link) return;
    for (const move of this.#pendingMoves) if (move.from === link) return;
    link.role = 'draining';
    link.drainingSinceMs = performance.now();
    this.#sendTo(link, { type: 'drain' });
  }

  #finishMove(move: Move, outcome: SwapOutcome, reason: string): void {
    this.#moves.delete(move.stream);
    this.counts.moves[outcome]++;
    const durationS = (performance.now() - move.state.startedMs) / 1000;
    if (outcome === 'completed') this.#log.info({ streamId: move.stream, from: move.from.id, to: move.candidate.id, durationS }, 'stream moved');
    else this.#log.warn({ streamId: move.stream, from: move.from.id, to: move.candidate.id, reason }, 'stream move rolled back: it stays where it was');
    this.#pumpMoves();
  }

  /** Node pool: a node is gone: moves to it roll back, moves from it complete at once, and its other streams go to the least-loaded node. */
  #unplace(link: NodeLink): void {
    this.#pendingMoves = this.#pendingMoves.filter((m) => m.to !== link && m.from !== link);
    for (const move of [...this.#moves.values()]) {
      if (move.candidate === link) this.#abort(move, `node '${link.id}' is gone`);
      else if (move.from === link) {
        move.state.activeGone();
        this.#maybeComplete(move);
      }
    }
    const orphans = [...this.#placement].filter(([, node]) => node === link).map(([stream]) => stream);
    // The lost node's streams may all land on one node at once: they share one warm-up's room in its queue.
    const share = Math.max(1, Math.floor(this.#options.warmUpChunks / Math.max(1, orphans.length)));
    for (const stream of orphans) {
      this.#placement.delete(stream);
      const ring = this.#rings.get(stream);
      if (ring) this.#place(ring, share);
    }
  }

  #endStream(streamId: number): void {
    this.#rings.delete(streamId);
    if (this.#options.pool) {
      this.#placement.delete(streamId);
      const move = this.#moves.get(streamId);
      if (!move) return;
      this.#finishMove(move, 'completed', 'the stream ended');
      return this.#releaseIfDone(move.from);
    }
    const swap = this.#swap;
    if (!swap) return;
    swap.state.ended(streamId);
    this.#maybeComplete(swap);
  }

  /** The chunk as the candidate gets it: warm-up before `atSeq`, with the hand-over from then on. */
  #toCandidate(swap: Swap, ring: StreamRing, header: FrameHeader, samples: Buffer): void {
    const copy = swap.state.copyFor(header.stream);
    // A stream that started during the swap: warm up on what there is (this chunk included).
    if (copy === 'new-stream') return this.#warmUp(swap, ring);
    if (copy === 'none') return;
    const handover = swap.state.handover(header.stream);
    const parts = handover ? this.#withHandover(header, samples, handover) : this.#asWarmUp(header, samples);
    if (!swap.candidate.queue.offer(parts)) this.#abort(swap, 'the candidate node does not keep up (its send queue is full)');
    else if (handover) this.#options.countHandoverCopy?.(header.stream, header.frameCount);
  }

  /** Sends a stream's ring to the candidate flagged WARM_UP and tells it which seq ends the warm-up. */
  #warmUp(swap: Swap, ring: StreamRing): void {
    const lastSeq = swap.state.warmUp(ring.streamId, ring.nextSeq);
    this.#sendTo(swap.candidate, { type: 'warm-up', stream: ring.streamId, lastSeq });
    // At least one chunk: the last warm-up chunk is the one the node acks.
    if (!this.#sendWarmUp(swap.candidate, ring, Math.max(1, this.#warmUpRoom(swap.candidate)))) this.#abort(swap, 'the candidate node cannot take the warm-up (its send queue is full)');
  }

  /** Warm-up chunks `link`'s send queue can take now and still hold --send-queue-chunks of live ones. */
  #warmUpRoom(link: NodeLink): number {
    return link.queue.capacity - link.queue.depth - this.#options.sendQueueChunks;
  }

  /** Offers the newest `count` chunks of `ring` to `link`, flagged WARM_UP; false when its queue refused one. */
  #sendWarmUp(link: NodeLink, ring: StreamRing, count: number): boolean {
    let skip = ring.size - count;
    for (const chunk of ring.chunks()) {
      if (skip-- > 0) continue;
      if (!link.queue.offer(this.#asWarmUp(chunk.header, chunk.samples))) return false;
    }
    return true;
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
          this.#malformed.note(read);
          continue;
        }
        this.#handle(identity, read.message);
      }
    } catch (err) {
      if (!this.#closed) this.#log.error({ err }, 'control socket failed');
    }
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
    const link = 'node' in m ? this.#nodes.get(m.node) : undefined;
    if (!link || !link.identity.equals(identity)) {
      this.#gate.refuse('unregistered');
      // A node registered with an earlier capture process: it says hello again and gets a data socket from this one.
      if (m.type === 'heartbeat' && !link) this.#reply(identity, { type: 'unknown-node' });
      return;
    }
    link.lastSeenMs = performance.now();
    const swap = this.#swapOf(link, m);
    switch (m.type) {
      case 'heartbeat':
        for (const [stream, seq] of m.streams) link.processed.set(stream, seq);
        if (m.load !== undefined) {
          link.load = m.load;
          link.loadStreams = this.#options.pool ? (this.#streamCounts().get(link) ?? 0) : this.#rings.size;
        }
        return;
      case 'warmed': {
        const from = swap && isMove(swap) ? swap.from : this.#active;
        if (!swap || !from) return;
        const atSeq = this.#rings.get(m.stream)?.nextSeq;
        const handover = swap.state.warmed(m.stream, m.seq, atSeq, from.id);
        if (handover) this.#log.info({ streamId: m.stream, atSeq, from: handover.from, to: link.id }, 'candidate warmed up, switching at seq');
        else this.#maybeComplete(swap);
        if (isMove(swap)) this.#pumpMoves();
        return;
      }
      case 'progress':
        if (!swap) return;
        swap.state.progress(m.stream, m.seq);
        return this.#maybeComplete(swap);
      case 'leaving':
        return this.#options.pool ? this.#leavePool(link) : this.#leaving(link);
      case 'drained':
      case 'bye':
        if (swap) this.#abort(swap, 'the candidate node left');
        this.#removeLink(link, m.type === 'bye' ? 'left' : 'drained');
        return;
      default:
        this.#gate.refuse('malformed');
    }
  }

  /** The hand-over `link` is the candidate of that `m` is about: the swap, or in a node pool the move of m's stream. */
  #swapOf(link: NodeLink, m: ControlMessage): Swap | null {
    if (!this.#options.pool) return this.#swap?.candidate === link ? this.#swap : null;
    const move = 'stream' in m ? this.#moves.get(m.stream) : undefined;
    return move?.candidate === link ? move : null;
  }

  async #hello(identity: Buffer, m: ControlOf<'hello'>): Promise<void> {
    const existing = this.#nodes.get(m.node);
    if (existing) {
      // A repeated hello (the node did not hear the welcome): answer it again.
      if (existing.identity.equals(identity)) return this.#reply(identity, { type: 'welcome', inputEndpoint: existing.endpoint, role: existing.role });
      return this.#refuseHello(identity, 'duplicate-node', `node id '${m.node}' is already registered`);
    }
    if (this.#swap) return this.#refuseHello(identity, 'swap-in-progress', `a swap to '${this.#swap.candidate.id}' is in progress`);
    if (this.#options.dataKeyRequired && !m.dataKey) return this.#refuseHello(identity, 'no-data-key', 'hello needs dataKey: the public CURVE key the node proves on its data input');
    const active = this.#active;
    if (active && !this.#options.pool && performance.now() - active.lastSeenMs > this.#options.nodeTimeoutMs / 2) {
      // The active node has missed heartbeats (killed, and this is its restart): no hand-over from a node that cannot answer.
      this.counts.nodeFailures++;
      this.#log.warn({ node: active.id, successor: m.node }, 'inference node presumed lost: a new node takes over at once');
      this.#removeLink(active, 'lost');
    }
    if (this.#nodes.size >= this.#options.maxNodes) return this.#refuseHello(identity, 'node-cap', `${this.#nodes.size} inference nodes are registered already (--max-nodes ${this.#options.maxNodes})`);
    const nowMs = performance.now();
    const link = await this.#nodes.add(identity, m, this.#active && !this.#options.pool ? 'candidate' : 'active', nowMs);
    if (link === 'no-data-port') {
      const { first, last } = this.#options.dataPorts!;
      this.#log.warn({ node: m.node }, `no free port in --data-ports ${first}-${last} for inference node '${m.node}': widen the range or free its ports`);
      return this.#refuseHello(identity, 'no-data-port', `no free port in capture's --data-ports ${first}-${last}`);
    }
    this.#reply(identity, { type: 'welcome', inputEndpoint: link.endpoint, role: link.role });
    this.#log.info({ node: link.id, model: link.model, role: link.role, input: link.endpoint }, 'inference node registered');
    if (this.#options.pool) return this.#join(link);
    if (link.role === 'active') return this.#activate(link);
    const swap: Swap = { state: new SwapState(link.id, nowMs, this.#options), candidate: link };
    this.#swap = swap;
    for (const ring of this.#rings.values()) if (this.#swap === swap) this.#warmUp(swap, ring);
    this.#maybeComplete(swap);
  }

  /** Makes `link` the active node; with no predecessor to crossfade from, it warms up on the rings and goes live at once. */
  #activate(link: NodeLink): void {
    link.role = 'active';
    this.#active = link;
    for (const ring of this.#rings.values()) this.#sendWarmUp(link, ring, ring.size);
    this.#sendTo(link, { type: 'promote' });
    this.#wakeNodeWaiters();
  }

  #wakeNodeWaiters(): void {
    for (const w of this.#nodeWaiters.splice(0)) w();
  }

  /** Completes `swap` once every stream is done: the candidate becomes active, the old node drains. */
  #maybeComplete(swap: Swap): void {
    if (isMove(swap)) {
      if (this.#moves.get(swap.stream) !== swap || !swap.state.complete) return;
      if (this.#rings.has(swap.stream)) this.#placement.set(swap.stream, swap.candidate);
      this.#finishMove(swap, 'completed', 'hand-over done');
      return this.#releaseIfDone(swap.from);
    }
    if (this.#swap !== swap || !swap.state.complete) return;
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
    if (isMove(swap)) {
      // The candidate is a pool node serving other streams: it stays; this stream stays where it was.
      if (this.#moves.get(swap.stream) !== swap) return;
      this.#finishMove(swap, 'rolled-back', reason);
      // A leaving node whose stream cannot move stops as if alone (its streams move at once when it says bye).
      if (swap.from.leaving && this.#nodes.get(swap.from.id) === swap.from) this.#sendTo(swap.from, { type: 'no-successor' });
      // A rebalance that failed (a candidate stalled by the network, say) is tried again a little later.
      else this.#rebalanceDueMs = performance.now() + REBALANCE_RETRY_MS;
      return;
    }
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
    const durationS = (performance.now() - swap.state.startedMs) / 1000;
    this.counts.swaps[outcome]++;
    this.#options.swapDuration.record(durationS);
    const event: ControlMessage = { type: 'swap', outcome, from, to: swap.candidate.id, reason, durationS };
    this.#log.info({ outcome, from, to: swap.candidate.id, reason, durationS }, 'swap ended');
    for (const w of this.#gate.watchers(performance.now())) this.#reply(w, event);
  }

  #removeLink(link: NodeLink, why: string): void {
    const queued = this.#nodes.remove(link);
    if (queued === null) return;
    if (this.#options.pool) this.#unplace(link);
    const swap = this.#swap;
    if (this.#active === link) {
      this.#active = null;
      if (swap) {
        // The candidate takes over at once: nothing left to crossfade from.
        swap.state.activeGone();
        this.#maybeComplete(swap);
      }
    }
    // Chunks still queued for a node that is gone are lost: counted, not hidden.
    if (why === 'lost') this.#options.drops['node-lost'] += queued;
    this.#log.info({ node: link.id, why }, 'inference node removed');
  }

  /** Every 100 ms: dead nodes, slow or stuck candidates. */
  #check(): void {
    const nowMs = performance.now();
    const o = this.#options;
    this.#gate.prune(nowMs);
    for (const link of [...this.#nodes.links()]) {
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
    if (this.#pendingMoves.length > 0) this.#pumpMoves();
    if (this.#rebalanceDueMs > 0 && nowMs >= this.#rebalanceDueMs) {
      this.#rebalanceDueMs = 0;
      this.#rebalance();
    }
    for (const move of [...this.#moves.values()]) {
      const reason = move.state.check(nowMs, { nextSeq: (stream) => this.#rings.get(stream)?.nextSeq, processed: (stream) => move.candidate.processed.get(stream) });
      if (reason) this.#abort(move, reason);
    }
    const swap = this.#swap;
    if (!swap) return;
    const processed = swap.candidate.processed;
    const reason = swap.state.check(nowMs, { nextSeq: (stream) => this.#rings.get(stream)?.nextSeq, processed: (stream) => processed.get(stream) });
    if (reason) this.#abort(swap, reason);
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
    // Give the serving nodes their last chunks (end-of-stream) before the sockets close.
    await Promise.all(this.#serving().map((link) => link.queue.drain(800)));
    this.#closed = true;
    this.#wakeNodeWaiters();
    await this.#nodes.closeAll();
    await this.#sender.settled();
    this.#control.close();
    await this.#loop;
  }
}
