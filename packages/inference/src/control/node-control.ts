import { encodeControl, readControl, seqAdd, seqSub, type ControlMessage, type ControlOf, type FrameHeader, type NodeRole } from '@quell/protocol';
import { ControlSender, createDealerSocket, receiveMessages, RejectedControlLog, type CurveSocketOptions, type Logger } from '@quell/runtime';
import type * as zmq from 'zeromq';

export interface NodeControlOptions {
  /** Capture's control ROUTER. */
  controlEndpoint: string;
  /** CURVE client settings (capture's server key); undefined = CURVE off. */
  curve: CurveSocketOptions | undefined;
  /** Public key the node's data input proves (capture admits it alone there); undefined = CURVE off. */
  dataKey: string | undefined;
  node: string;
  model: string;
  nativeRateHz: number;
  metricsPort: number;
  outputEndpoint: string;
  /** Time between heartbeats, ms. */
  heartbeatMs: number;
  /** Seconds spent processing since start; each heartbeat reports its rate since the previous one as `load`. */
  processingSeconds?: () => number;
}

/** How a node's `leave()` ended. */
export type LeaveOutcome = 'drain' | 'alone' | 'timeout';

/** What capture told the node when it registered. */
export interface Welcome {
  inputEndpoint: string;
  role: NodeRole;
}

/**
 * An inference node's side of the control link (docs/SWAP.md): says hello
 * until capture answers with the endpoint to pull chunks from, sends
 * heartbeats with the last seq processed per stream, acks warm-up and
 * hand-over progress, and surfaces capture's promote / abort / drain.
 */
export class NodeControl {
  readonly #options: NodeControlOptions;
  readonly #log: Logger;
  readonly #socket: zmq.Dealer;
  readonly #loop: Promise<void>;
  readonly #lastSeq = new Map<number, number>();
  /** Per stream: the seq whose processing ends the warm-up (from capture's `warm-up`). */
  readonly #warmTargets = new Map<number, number>();
  /** Per stream: the hand-over end already acked, so progress is sent once. */
  readonly #progressSent = new Map<number, number>();
  readonly #sender: ControlSender;
  #heartbeat: NodeJS.Timeout | null = null;
  #helloTimer: NodeJS.Timeout | null = null;
  #closed = false;
  #onWelcome: ((w: Welcome) => void) | null = null;
  #hello: ControlMessage | null = null;
  #lastHelloMs = -Infinity;
  /** Called with capture's answer when the node had to register again (capture restarted). */
  onRegisteredAgain: (w: Welcome) => void = () => undefined;
  #onPromote: () => void = () => undefined;
  #onAbort: (reason: string) => void = () => undefined;
  #onDrain: () => void = () => undefined;
  #drainRequested = false;
  #onNoSuccessor: () => void = () => undefined;
  /** Whether the TCP link to capture is up: a node leaving when capture is gone does not wait for an answer. */
  #linkUp = false;
  #onLinkDown: () => void = () => undefined;
  /** Capture's answer to `leaving` when no other node can take the streams. */
  readonly #noSuccessor: Promise<void>;
  /** Control messages from capture the node could not read (counted, never acted on). */
  rejectedCount = 0;
  readonly #rejected: RejectedControlLog;
  /** Resolves when capture makes this node the active one. */
  readonly promoted: Promise<void>;
  /** Resolves with the reason when capture aborts this node's swap. */
  readonly aborted: Promise<string>;
  /** Resolves when capture tells this node to drain (the stream has moved on). */
  readonly drainRequested: Promise<void>;

  constructor(options: NodeControlOptions, log: Logger) {
    this.#options = options;
    this.#log = log;
    this.#rejected = new RejectedControlLog(log, ' from capture', 'quell_inference_control_rejected_total');
    this.#socket = createDealerSocket({ curve: options.curve });
    this.#sender = new ControlSender(this.#socket);
    // Watch before connecting: the socket reports only the events that happen after its first read of them.
    void this.#watchLink();
    this.#socket.connect(options.controlEndpoint);
    this.promoted = new Promise((resolve) => (this.#onPromote = resolve));
    this.aborted = new Promise((resolve) => (this.#onAbort = resolve));
    this.drainRequested = new Promise((resolve) => (this.#onDrain = resolve));
    this.#noSuccessor = new Promise((resolve) => (this.#onNoSuccessor = resolve));
    this.#loop = this.#receive();
  }

  async #watchLink(): Promise<void> {
    try {
      for await (const event of this.#socket.events) {
        if (event.type === 'handshake') this.#linkUp = true;
        else if (event.type === 'disconnect') {
          this.#linkUp = false;
          this.#onLinkDown();
        }
      }
    } catch {
      // The socket closed.
    }
  }

  /** Says hello (again every second until answered) and resolves with capture's welcome. */
  register(): Promise<Welcome> {
    const o = this.#options;
    const hello: ControlMessage = (this.#hello = { type: 'hello', node: o.node, model: o.model, nativeRateHz: o.nativeRateHz, pid: process.pid, metricsPort: o.metricsPort, outputEndpoint: o.outputEndpoint, ...(o.dataKey ? { dataKey: o.dataKey } : {}) });
    return new Promise((resolve) => {
      this.#onWelcome = (w) => {
        if (this.#helloTimer) clearInterval(this.#helloTimer);
        this.#onWelcome = null;
        this.#startHeartbeat();
        resolve(w);
      };
      this.send(hello);
      this.#helloTimer = setInterval(() => this.send(hello), 1000);
      this.#helloTimer.unref();
    });
  }

  #startHeartbeat(): void {
    const busy = this.#options.processingSeconds;
    let lastBusyS = busy?.() ?? 0;
    let lastMs = performance.now();
    this.#heartbeat = setInterval(() => {
      const heartbeat: ControlOf<'heartbeat'> = { type: 'heartbeat', node: this.#options.node, streams: [...this.#lastSeq] };
      if (busy) {
        const busyS = busy();
        const nowMs = performance.now();
        heartbeat.load = Math.max(0, (busyS - lastBusyS) / Math.max(1e-3, (nowMs - lastMs) / 1000));
        lastBusyS = busyS;
        lastMs = nowMs;
      }
      this.send(heartbeat);
    }, this.#options.heartbeatMs);
    this.#heartbeat.unref();
  }

  /** Called after each chunk is processed (warm-up or live): tracks progress and sends the acks capture waits for. */
  processed(header: FrameHeader, warmUp: boolean): void {
    const { stream, seq } = header;
    this.#lastSeq.set(stream, seq);
    if (warmUp) {
      const target = this.#warmTargets.get(stream);
      if (target !== undefined && seqSub(seq, target) >= 0) {
        this.#warmTargets.delete(stream);
        this.send({ type: 'warmed', node: this.#options.node, stream, seq });
      }
      return;
    }
    const h = header.handover;
    if (!h || h.to !== this.#options.node) return;
    const end = seqAdd(h.atSeq, h.fadeChunks);
    if (seqSub(seq, end) >= 0 && this.#progressSent.get(stream) !== end) {
      this.#progressSent.set(stream, end);
      this.send({ type: 'progress', node: this.#options.node, stream, seq });
    }
  }

  /** Forgets a stream that ended. */
  endStream(streamId: number): void {
    this.#lastSeq.delete(streamId);
    this.#progressSent.delete(streamId);
  }

  /**
   * Before stopping (pm2 reload or stop): asks capture to hand this node's
   * streams to the node that replaces it. Resolves `drain` once capture says
   * so (the streams have moved; `drainRequested` runs the drain), `alone`
   * when no other node can take them (or this node never registered, or
   * capture is gone), `timeout` when the hand-over in progress has not
   * completed within `timeoutMs`.
   */
  async leave(timeoutMs: number): Promise<LeaveOutcome> {
    if (this.#drainRequested) return 'drain';
    if (!this.#heartbeat || this.#closed || !this.#linkUp) return 'alone';
    this.send({ type: 'leaving', node: this.#options.node });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<LeaveOutcome>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
    const linkDown = new Promise<LeaveOutcome>((resolve) => (this.#onLinkDown = () => resolve('alone')));
    try {
      return await Promise.race([this.drainRequested.then(() => 'drain' as const), this.#noSuccessor.then(() => 'alone' as const), linkDown, timeout]);
    } finally {
      this.#onLinkDown = () => undefined;
      clearTimeout(timer);
    }
  }

  async #receive(): Promise<void> {
    try {
      for await (const [payload] of receiveMessages(this.#socket)) {
        const read = readControl(payload);
        if (!read.ok) {
          this.rejectedCount++;
          this.#rejected.note(read);
          continue;
        }
        const m = read.message;
        switch (m.type) {
          case 'welcome':
            if (this.#onWelcome) this.#onWelcome({ inputEndpoint: m.inputEndpoint, role: m.role });
            else this.onRegisteredAgain({ inputEndpoint: m.inputEndpoint, role: m.role });
            if (m.role === 'active') this.#onPromote();
            break;
          case 'unknown-node':
            // Every heartbeat to a restarted capture gets this answer: one hello per half second is enough.
            if (this.#hello && performance.now() - this.#lastHelloMs > 500) {
              this.#lastHelloMs = performance.now();
              this.send(this.#hello);
            }
            break;
          case 'warm-up': {
            const done = this.#lastSeq.get(m.stream);
            if (done !== undefined && seqSub(done, m.lastSeq) >= 0) this.send({ type: 'warmed', node: this.#options.node, stream: m.stream, seq: done });
            else this.#warmTargets.set(m.stream, m.lastSeq);
            break;
          }
          case 'promote':
            this.#onPromote();
            break;
          case 'abort':
            this.#log.warn({ reason: m.reason }, 'capture aborted this node');
            this.#onAbort(m.reason);
            break;
          case 'drain':
            this.#drainRequested = true;
            this.#onDrain();
            break;
          case 'no-successor':
            this.#onNoSuccessor();
            break;
          default:
            break;
        }
      }
    } catch (err) {
      if (!this.#closed) this.#log.error({ err }, 'control link failed');
    }
  }

  send(message: ControlMessage): void {
    if (this.#closed) return;
    this.#sender.send(encodeControl(message));
  }

  /** Says `message` (bye or drained) as the last word, then closes. Safe to call twice. */
  async close(last?: ControlMessage): Promise<void> {
    if (this.#closed) return;
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    if (this.#helloTimer) clearInterval(this.#helloTimer);
    if (last) this.send(last);
    await Promise.race([this.#sender.settled(), new Promise((r) => setTimeout(r, 200))]);
    this.#closed = true;
    this.#socket.close();
    await this.#loop;
  }
}
