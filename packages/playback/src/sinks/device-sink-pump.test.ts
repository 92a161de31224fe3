import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { FakePortAudio } from '@quell/runtime/testing';
import { DeviceSink } from './device-sink.js';

function floats(piece: Buffer): number[] {
  const out: number[] = [];
  for (let i = 0; i < piece.length; i += 4) out.push(piece.readFloatLE(i));
  return out;
}

describe('DeviceSink with a fake PortAudio', () => {
  it('hands one block per device request; a short queue is padded with silence and counted as an underrun', async () => {
    const portAudio = new FakePortAudio();
    const sink = new DeviceSink({ portAudio, framesPerBuffer: 4, maxQueuedFrames: 16 });
    await sink.start();
    const stream = portAudio.lastStream;
    stream.holdWrites = true;
    stream.releaseWrites(); // nothing held yet: the first (silent) block is out
    assert.equal(stream.written.length, 1);
    assert.equal(sink.underrunCount, 0, 'silence before the first write() is not an underrun');
    sink.write(Float32Array.of(1, 2, 3, 4, 5, 6));
    assert.equal(sink.queuedFrames, 6);
    stream.releaseWrites(); // device took block 1: block 2 = frames 1..4
    await sleep(1);
    assert.deepEqual(floats(stream.written[1]), [1, 2, 3, 4]);
    assert.equal(sink.queuedFrames, 2);
    stream.releaseWrites(); // block 3 = frames 5, 6 and two frames of silence
    await sleep(1);
    assert.deepEqual(floats(stream.written[2]), [5, 6, 0, 0]);
    assert.equal(sink.underrunCount, 1);
    assert.equal(sink.underrunFrameCount, 2);
    await sink.close();
    await sink.close();
  });

  it('counts a device request later than the audio queued ahead of it as a stall, with the time it went without audio', async () => {
    const portAudio = new FakePortAudio();
    // 4800 frames at 48 kHz: 100 ms blocks, 2 queued in naudiodon + 3 in the device = 500 ms ahead; a stall is a gap over 505 ms.
    const sink = new DeviceSink({ portAudio, framesPerBuffer: 4800 });
    await sink.start();
    const stream = portAudio.lastStream;
    stream.holdWrites = true;
    sink.write(new Float32Array(4800));
    for (let i = 0; i < 6; i++) {
      stream.releaseWrites();
      await sleep(10);
    }
    assert.equal(sink.stallCount, 0, 'requests well within the audio queued ahead');
    await sleep(700);
    stream.releaseWrites();
    await sleep(1);
    assert.equal(sink.stallCount, 1);
    assert.ok(sink.stalledSeconds >= 0.2 && sink.stalledSeconds < 5, `${sink.stalledSeconds} s without audio (a gap of 700 ms or more, less 500 ms queued)`);
    await sink.close();
  });

  it('onDemand runs before each block is taken, so a block written there plays in that block', async () => {
    const portAudio = new FakePortAudio();
    let demands = 0;
    const sink = new DeviceSink({
      portAudio,
      framesPerBuffer: 4,
      onDemand: () => {
        demands++;
        sink.write(Float32Array.of(demands, demands, demands, demands));
      },
    });
    await sink.start();
    const stream = portAudio.lastStream;
    stream.holdWrites = true;
    stream.releaseWrites();
    await sleep(1);
    stream.releaseWrites();
    await sleep(1);
    assert.deepEqual(floats(stream.written[0]), [1, 1, 1, 1]);
    assert.deepEqual(floats(stream.written[1]), [2, 2, 2, 2]);
    assert.equal(sink.underrunCount, 0);
    await sink.close();
  });

  it('reopens the device after a write error', async () => {
    const portAudio = new FakePortAudio();
    const sink = new DeviceSink({ portAudio, framesPerBuffer: 4 });
    await sink.start();
    portAudio.lastStream.holdWrites = true;
    await sleep(5);
    portAudio.lastStream.releaseWrites(new Error('device gone'));
    assert.equal(sink.errorCount, 1);
    await sleep(150);
    assert.equal(portAudio.streams.length, 2);
    assert.equal(sink.reopenCount, 1);
    await sink.close();
  });
});
