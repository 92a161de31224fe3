import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { createLogger } from '@quell/runtime';
import { FakePortAudio } from '@quell/runtime/testing';
import { DevicePlayout, type DeviceStream } from './device-playout.js';

const FRAMES = 480;
const log = createLogger('test', 'silent');

/** A stream whose jitter buffer holds `chunks` chunks of 0.5; each pull takes one, if any. */
class FakeStream implements DeviceStream {
  readonly streamId = 7;
  readonly sampleRateHz = 48_000;
  readonly channelCount = 1;
  readonly finished = false;
  pulls = 0;
  readonly #chunk = new Float32Array(FRAMES).fill(0.5);
  constructor(public chunks: number) {}
  get heldFrames(): number {
    return this.chunks * FRAMES;
  }
  discardOldest(keepChunks: number): number {
    const dropped = Math.max(0, this.chunks - keepChunks);
    this.chunks -= dropped;
    return dropped;
  }
  pullClocked(): Float32Array | null {
    this.pulls++;
    if (this.chunks === 0) return null;
    this.chunks--;
    return this.#chunk;
  }
}

function playout(portAudio: FakePortAudio): DevicePlayout {
  return new DevicePlayout({
    portAudio,
    sampleRateHz: 48_000,
    channelCount: 2,
    framesPerBuffer: FRAMES,
    target: { minTargetS: 0.03, maxTargetS: 0.03 },
    controller: {},
    maxExcessS: 0.2,
    log,
    onStreamFinished: () => undefined,
  });
}

describe('DevicePlayout with a fake PortAudio', () => {
  it('pump plays the stream once its level reaches the target, copying mono to both device channels', async () => {
    const portAudio = new FakePortAudio();
    const p = playout(portAudio);
    await p.start();
    const device = portAudio.lastStream;
    device.holdWrites = true;
    const stream = new FakeStream(6);
    p.play(stream, FRAMES);
    for (let i = 0; i < 4; i++) {
      device.releaseWrites();
      await sleep(1);
    }
    const last = device.written.at(-1)!;
    assert.ok(Math.abs(last.readFloatLE(4 * 2 * 200) - 0.5) < 1e-3 && Math.abs(last.readFloatLE(4 * (2 * 200 + 1)) - 0.5) < 1e-3, 'audio in both channels');
    assert.equal(p.underrunCount, 0);
    await p.close();
  });

  it('pump never pulls from an empty jitter buffer: the corrector underruns (counted) and the stream position is kept', async () => {
    const portAudio = new FakePortAudio();
    const p = playout(portAudio);
    await p.start();
    const device = portAudio.lastStream;
    device.holdWrites = true;
    const stream = new FakeStream(5);
    p.play(stream, FRAMES);
    for (let i = 0; i < 12; i++) {
      device.releaseWrites();
      await sleep(1);
    }
    assert.equal(stream.chunks, 0);
    assert.equal(stream.pulls, 5, 'one pull per chunk, none on an empty buffer');
    assert.equal(p.underrunCount, 1, 'one underrun, then it prefills again');
    await p.close();
  });

  it('start() counts a device that cannot be opened and retries it with backoff', async () => {
    const portAudio = new FakePortAudio();
    portAudio.failOpens = 2;
    const p = playout(portAudio);
    await p.start();
    assert.equal(p.errorCount, 1);
    await sleep(400);
    assert.equal(p.errorCount, 2);
    assert.equal(p.reopenCount, 1);
    assert.equal(portAudio.streams.length, 1);
    await p.close();
  });
});
