import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeFrame, FrameFlags, PROTOCOL_VERSION, type FrameHeader } from '@quell/protocol';
import { createLogger, SendQueue } from '@quell/runtime';
import type * as zmq from 'zeromq';
import { InferenceMetrics } from '../metrics.js';
import type { Processor, StreamProcessor } from '../processors/processor.js';
import { StreamTable } from '../streams/stream-table.js';
import { DropInjector } from './drop-injector.js';
import { ModelRunner } from './model-runner.js';

/** A recurrent toy model: output = input + state; a sample of exactly 1 (the clipped spike) poisons its state with NaN for good. */
class ToyModel implements Processor {
  readonly name = 'toy';
  readonly nativeRateHz = 0;
  readonly hopFrames = 1;
  streamsCreated = 0;
  createStream(): StreamProcessor {
    this.streamsCreated++;
    let state = 0;
    return {
      latencyFrames: 0,
      process(input: Float32Array, output: Float32Array): void {
        for (let i = 0; i < input.length; i++) {
          if (input[i] === 1) state = Number.NaN;
          output[i] = input[i] + state;
        }
      },
      close() {},
    };
  }
  async close(): Promise<void> {}
}

function header(seq: number, end = false): FrameHeader {
  return { v: PROTOCOL_VERSION, stream: 7, seq, ts: seq * 4, captureTimeUs: Date.now() * 1000, sampleRateHz: 48_000, channelCount: 1, frameCount: 4, flags: end ? FrameFlags.END_OF_STREAM : 0, delayFrames: 0 };
}

/** A runner over the toy model whose output frames land in `sent`. */
function toyRunner(): { runner: ModelRunner; model: ToyModel; metrics: InferenceMetrics; queue: SendQueue; sent: Buffer[][] } {
  const sent: Buffer[][] = [];
  const socket = { send: async (parts: Buffer[]) => void sent.push(parts) } as unknown as zmq.Writable;
  const queue = new SendQueue(socket, 100);
  const metrics = new InferenceMetrics(queue, 'toy', 'n');
  const model = new ToyModel();
  const runner = new ModelRunner(new StreamTable(model, metrics.streams), queue, metrics, createLogger('inference', 'silent'), true, new DropInjector(0));
  return { runner, model, metrics, queue, sent };
}

describe('ModelRunner: numbers', () => {
  it('clips input to ±1, and a non-finite output drops that chunk, counts it and resets the stream, so later chunks come out clean', async () => {
    const { runner, model, metrics, queue, sent } = toyRunner();
    await runner.process(header(0), Float32Array.from([0.1, 0.2, 0.3, 0.4]));
    await runner.process(header(1), Float32Array.from([0.1, 1e30, -1e6, 0.4]));
    await runner.process(header(2), Float32Array.from([0.5, 0.5, 0.5, 0.5]));
    await runner.process(header(3, true), Float32Array.from([0.25, 0.25, 0.25, 0.25]));
    await queue.drain(1000);
    await queue.close();
    const frames = sent.map((parts) => decodeFrame(parts as [Buffer, Buffer]));
    assert.deepEqual(frames.map((f) => (f.ok ? f.header.seq : -1)), [0, 2, 3], 'seq 1 dropped');
    for (const f of frames) assert.ok(f.ok && f.samples.every(Number.isFinite));
    assert.equal(metrics.clippedSamples, 2);
    assert.equal(metrics.drops['bad-output'], 1);
    assert.equal(metrics.streams.get(7)?.drops['bad-output'], 1);
    assert.equal(model.streamsCreated, 2, 'the poisoned state was replaced');
  });

  it('a non-finite output on the last chunk still ends the stream, with silence', async () => {
    const { runner, queue, sent } = toyRunner();
    await runner.process(header(0, true), Float32Array.from([1, 0, 0, 0]));
    await queue.drain(1000);
    await queue.close();
    const last = decodeFrame(sent[0] as [Buffer, Buffer]);
    assert.ok(last.ok && (last.header.flags & FrameFlags.END_OF_STREAM) !== 0 && last.samples.every((x) => x === 0));
  });

  it('a chunk in another rate or channel count than its stream is refused and counted as format; the stream goes on with its state', async () => {
    const { runner, model, metrics, queue, sent } = toyRunner();
    await runner.process(header(0), Float32Array.from([0.1, 0.1, 0.1, 0.1]));
    await runner.process({ ...header(1), sampleRateHz: 16_000 }, Float32Array.from([0.2, 0.2, 0.2, 0.2]));
    await runner.process({ ...header(2), channelCount: 2, frameCount: 2 }, Float32Array.from([0.2, 0.2, 0.2, 0.2]));
    runner.warmUp({ ...header(3), sampleRateHz: 44_100, flags: FrameFlags.WARM_UP }, Float32Array.from([0.2, 0.2, 0.2, 0.2]));
    await runner.process(header(4, true), Float32Array.from([0.3, 0.3, 0.3, 0.3]));
    await queue.drain(1000);
    await queue.close();
    const frames = sent.map((parts) => decodeFrame(parts as [Buffer, Buffer]));
    assert.deepEqual(frames.map((f) => (f.ok ? [f.header.seq, f.header.sampleRateHz] : -1)), [[0, 48_000], [4, 48_000]]);
    assert.equal(metrics.drops.format, 3);
    assert.equal(model.streamsCreated, 1, 'the stream kept its state');
  });
});
