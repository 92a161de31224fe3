import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, it } from 'node:test';
import { decodeControl, decodeFrame, encodeControl, encodeFrame, PROTOCOL_VERSION, type ControlMessage, type ControlOf, type FrameHeader } from '@quell/protocol';
import { createDealerSocket, createLogger, createPullSocket, zeroCounts } from '@quell/runtime';
import type * as zmq from 'zeromq';
import { CAPTURE_DROP_REASONS } from '../sender/chunk-sender.js';
import { InferenceRouter } from './inference-router.js';

const FADE_CHUNKS = 3;

/** An inference node's two sockets, driven by hand: it says what the test tells it to and records what capture sends. */
class HandNode {
  readonly id: string;
  readonly messages: ControlMessage[] = [];
  readonly frames: FrameHeader[] = [];
  readonly #control: zmq.Dealer = createDealerSocket({});
  readonly #input: zmq.Pull = createPullSocket({ highWaterMarkChunks: 1000 });
  readonly #loops: Promise<void>[];

  constructor(id: string, controlEndpoint: string) {
    this.id = id;
    this.#control.connect(controlEndpoint);
    this.#loops = [this.#receiveControl(), this.#receiveFrames()];
  }

  async #receiveControl(): Promise<void> {
    try {
      for await (const [payload] of this.#control) {
        const m = decodeControl(payload);
        if (m) this.messages.push(m);
      }
    } catch {
      // Closed.
    }
  }

  async #receiveFrames(): Promise<void> {
    try {
      for await (const parts of this.#input) {
        const f = decodeFrame(parts);
        if (f.ok) this.frames.push(f.header);
      }
    } catch {
      // Closed.
    }
  }

  send(message: ControlMessage): Promise<void> {
    return this.#control.send(encodeControl(message));
  }

  /** The first message of `type` capture sent this node, waiting up to 2 s. */
  async next<T extends ControlMessage['type']>(type: T): Promise<ControlOf<T>> {
    for (let i = 0; i < 200; i++) {
      const m = this.messages.find((x) => x.type === type);
      if (m) return m as ControlOf<T>;
      await sleep(10);
    }
    throw new Error(`${this.id} got no ${type}; got ${this.messages.map((m) => m.type).join(', ')}`);
  }

  got(type: ControlMessage['type']): boolean {
    return this.messages.some((m) => m.type === type);
  }

  async register(): Promise<ControlOf<'welcome'>> {
    await this.send({ type: 'hello', node: this.id, model: 'gain', nativeRateHz: 48_000, pid: process.pid, metricsPort: 0, outputEndpoint: 'tcp://127.0.0.1:1' });
    const welcome = await this.next('welcome');
    this.#input.connect(welcome.inputEndpoint);
    return welcome;
  }

  async close(): Promise<void> {
    this.#control.close();
    this.#input.close();
    await Promise.all(this.#loops);
  }
}

function header(seq: number): FrameHeader {
  return { v: PROTOCOL_VERSION, stream: 1, seq, ts: seq * 480, captureTimeUs: Date.now() * 1000, sampleRateHz: 48_000, channelCount: 1, frameCount: 480, flags: 0, delayFrames: 0 };
}

describe('InferenceRouter: a node leaving (pm2 reload or stop)', () => {
  let router: InferenceRouter | null = null;
  const nodes: HandNode[] = [];
  let seq = 0;

  async function open(): Promise<InferenceRouter> {
    router = await InferenceRouter.open(
      {
        controlEndpoint: 'tcp://127.0.0.1:*',
        curve: undefined,
        warmUpChunks: 10,
        sendQueueChunks: 100,
        highWaterMarkChunks: 1000,
        // The hand-driven nodes send no heartbeats: nothing here may time out.
        nodeTimeoutMs: 60_000,
        warmUpTimeoutMs: 60_000,
        swapTimeoutMs: 60_000,
        maxLagChunks: 1000,
        fadeChunks: FADE_CHUNKS,
        drops: zeroCounts(CAPTURE_DROP_REASONS),
        swapDuration: { record: () => undefined },
      },
      createLogger('capture', 'silent'),
    );
    seq = 0;
    return router;
  }

  function node(id: string): HandNode {
    const n = new HandNode(id, router!.controlEndpoint);
    nodes.push(n);
    return n;
  }

  /** Offers the next chunk of stream 1; null when a node took it, else the drop reason. */
  function offer(): string | null {
    const h = header(seq++);
    return router!.offer(encodeFrame(h, new Float32Array(480)), h);
  }

  /** Offers chunks every 5 ms until `done()` holds. */
  async function offerUntil(done: () => boolean, what: string): Promise<void> {
    for (let i = 0; i < 400 && !done(); i++) {
      assert.equal(offer(), null);
      await sleep(5);
    }
    assert.ok(done(), what);
  }

  afterEach(async () => {
    for (const n of nodes.splice(0)) await n.close();
    await router?.close();
    router = null;
  });

  it('with no other node, capture answers no-successor and the node stays active', async () => {
    const r = await open();
    const a = node('a');
    assert.equal((await a.register()).role, 'active');
    await offerUntil(() => a.frames.length >= 5, 'a gets chunks');
    await a.send({ type: 'leaving', node: 'a' });
    await a.next('no-successor');
    assert.equal(a.got('drain'), false);
    assert.deepEqual(r.nodes().map((n) => [n.node, n.role]), [['a', 'active']]);
  });

  it('the active node leaving during a swap keeps every chunk until the hand-over completes, then is drained', async () => {
    const r = await open();
    const a = node('a');
    await a.register();
    await offerUntil(() => a.frames.length >= 20, 'a gets chunks');
    const b = node('b');
    assert.equal((await b.register()).role, 'candidate');
    const warmUp = await b.next('warm-up');
    await a.send({ type: 'leaving', node: 'a' });
    // While b warms up, a keeps the stream: no answer to its leaving yet.
    await offerUntil(() => b.frames.some((f) => f.seq === warmUp.lastSeq), 'b gets its warm-up');
    assert.equal(a.got('drain') || a.got('no-successor'), false);
    await b.send({ type: 'warmed', node: 'b', stream: 1, seq: warmUp.lastSeq });
    await offerUntil(() => b.frames.some((f) => f.handover), 'both nodes get the hand-over chunks');
    const atSeq = b.frames.find((f) => f.handover)!.handover!.atSeq;
    await offerUntil(() => b.frames.some((f) => f.seq === atSeq + FADE_CHUNKS), 'b gets the chunk past the fade');
    assert.equal(a.got('drain'), false, 'a is not drained before b has processed the fade');
    await b.send({ type: 'progress', node: 'b', stream: 1, seq: atSeq + FADE_CHUNKS });
    await a.next('drain');
    await b.next('promote');
    assert.equal(a.got('no-successor'), false);
    assert.deepEqual(r.counts.swaps, { completed: 1, 'rolled-back': 0 });
    assert.deepEqual(r.routes().map((x) => x.node), ['b']);
    await sleep(50);
    // a got every live chunk up to the end of the fade, in order; b every one from atSeq on.
    const aLive = a.frames.map((f) => f.seq);
    assert.deepEqual(aLive, Array.from({ length: aLive.length }, (_, i) => i));
    assert.ok(aLive.at(-1)! >= atSeq + FADE_CHUNKS - 1, `a served through the fade (last ${aLive.at(-1)}, fade ends ${atSeq + FADE_CHUNKS - 1})`);
    await a.send({ type: 'drained', node: 'a' });
    for (let i = 0; i < 100 && r.nodes().length > 1; i++) await sleep(10);
    assert.deepEqual(r.nodes().map((n) => [n.node, n.role]), [['b', 'active']]);
    assert.equal(offer(), null, 'b takes the next chunk');
  });

  it('a swap that rolls back while the active node is leaving answers it no-successor', async () => {
    const r = await open();
    const a = node('a');
    await a.register();
    await offerUntil(() => a.frames.length >= 5, 'a gets chunks');
    const b = node('b');
    await b.register();
    await a.send({ type: 'leaving', node: 'a' });
    await sleep(50);
    await b.send({ type: 'bye', node: 'b' });
    await a.next('no-successor');
    assert.equal(a.got('drain'), false);
    assert.deepEqual(r.counts.swaps, { completed: 0, 'rolled-back': 1 });
    assert.deepEqual(r.routes().map((x) => x.node), ['a']);
  });

  it('an active node that says bye during a swap leaves the streams to the candidate at once', async () => {
    const r = await open();
    const a = node('a');
    await a.register();
    await offerUntil(() => a.frames.length >= 5, 'a gets chunks');
    const b = node('b');
    await b.register();
    await b.next('warm-up');
    await a.send({ type: 'bye', node: 'a' });
    await b.next('promote');
    assert.deepEqual(r.counts.swaps, { completed: 1, 'rolled-back': 0 });
    assert.deepEqual(r.nodes().map((n) => [n.node, n.role]), [['b', 'active']]);
    assert.equal(offer(), null, 'b takes the next chunk (not a no-node drop)');
  });
});
