import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { before, describe, it } from 'node:test';
import { AudioDeviceError } from '@quell/runtime';
import { alignedNcc, ensureTestPulse, makeTones } from '@quell/runtime/testing';
import { DeviceSink } from './device-sink.js';

const RATE_HZ = 48000;
const CHUNK_FRAMES = 480;

describe('DeviceSink against the test PulseAudio daemon', () => {
  before(async () => {
    await ensureTestPulse();
  });

  it('plays a signal into quell_test_out that parec records from its monitor (NCC >= 0.95)', { timeout: 30_000 }, async (t) => {
    const reference = makeTones([440, 1000], 2000, RATE_HZ);
    const parec = spawn('parec', ['--device=quell_test_out.monitor', '--format=float32le', `--rate=${RATE_HZ}`, '--channels=1', '--raw', '--latency-msec=10']);
    const pieces: Buffer[] = [];
    parec.stdout.on('data', (piece: Buffer) => pieces.push(piece));
    const parecExit = new Promise((resolve) => parec.on('close', resolve));

    // The ALSA 'pulse' device plays to PULSE_SINK.
    process.env.PULSE_SINK = 'quell_test_out';
    const sink = new DeviceSink({ device: 'pulse', sampleRateHz: RATE_HZ, channelCount: 1, framesPerBuffer: CHUNK_FRAMES });
    const depths: number[] = [];
    let underrunsWhileFeeding = -1;
    try {
      await sink.start();
      await new Promise((resolve) => setTimeout(resolve, 300));
      // Feed like a jitter buffer would: keep about two chunks queued, checking every 2 ms.
      let offset = 0;
      await new Promise<void>((resolve) => {
        const timer = setInterval(() => {
          depths.push(sink.queuedFrames);
          while (offset < reference.length && sink.queuedFrames < 2 * CHUNK_FRAMES) {
            assert.equal(sink.write(reference.subarray(offset, offset + CHUNK_FRAMES)), 'ok');
            offset += CHUNK_FRAMES;
          }
          if (offset >= reference.length) {
            underrunsWhileFeeding = sink.underrunCount;
            clearInterval(timer);
            resolve();
          }
        }, 2);
      });
      await new Promise((resolve) => setTimeout(resolve, 400));
    } finally {
      await sink.close();
      await sink.close(); // safe twice
      delete process.env.PULSE_SINK;
      parec.kill('SIGTERM');
      await parecExit;
    }

    const bytes = Buffer.concat(pieces);
    const recorded = new Float32Array(Math.floor(bytes.length / 4));
    for (let i = 0; i < recorded.length; i++) recorded[i] = bytes.readFloatLE(i * 4);
    const { ncc, lagFrames } = alignedNcc(reference, recorded);
    const meanDepth = depths.reduce((a, b) => a + b, 0) / Math.max(1, depths.length);
    t.diagnostic(`NCC ${ncc.toFixed(4)} at lag ${lagFrames} frames; recorded ${recorded.length} frames`);
    t.diagnostic(`underruns while feeding ${underrunsWhileFeeding}; in all ${sink.underrunCount} (${sink.underrunFrameCount} frames, the silent tail after the signal included), dropped ${sink.droppedFrameCount}, mean queued ${meanDepth.toFixed(0)} frames`);

    assert.ok(ncc >= 0.95, `NCC ${ncc} < 0.95`);
    assert.equal(sink.writtenFrameCount, reference.length);
    assert.equal(sink.errorCount, 0);
    assert.throws(() => sink.write(new Float32Array(CHUNK_FRAMES)), (err: unknown) => err instanceof AudioDeviceError && err.code === 'ERR_AUDIO_DEVICE_CLOSED');
  });
});

describe('DeviceSink without a device', () => {
  it('write() queues frames and drops a chunk that does not fit, counting it', () => {
    const sink = new DeviceSink({ channelCount: 2, maxQueuedFrames: 960 });
    assert.equal(sink.write(new Float32Array(2 * 480)), 'ok');
    assert.equal(sink.write(new Float32Array(2 * 480)), 'ok');
    assert.equal(sink.queuedFrames, 960);
    assert.equal(sink.write(new Float32Array(2 * 480)), 'dropped');
    assert.equal(sink.droppedFrameCount, 480);
    assert.throws(() => sink.write(new Float32Array(3)), TypeError);
  });
});
