import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { writeWav } from '@quell/runtime';
import { alignedNcc, ensureTestPulse, makeTones, quantile } from '@quell/runtime/testing';
import { DeviceSource } from './device-source.js';

const run = promisify(execFile);
const RATE_HZ = 48000;
const CHUNK_FRAMES = 480;

describe('DeviceSource against the test PulseAudio daemon', () => {
  let dir = '';
  before(async () => {
    await ensureTestPulse();
    dir = await mkdtemp(join(tmpdir(), 'quell-device-source-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('captures what paplay plays into quell_test_in (NCC >= 0.95) in 10 ms chunks', { timeout: 30_000 }, async (t) => {
    const reference = makeTones([440, 1000], 2000, RATE_HZ);
    const wavPath = join(dir, 'tones.wav');
    await writeWav(wavPath, reference, RATE_HZ, 1);

    // The ALSA 'pulse' device records from PULSE_SOURCE: here the monitor of the sink paplay plays into.
    process.env.PULSE_SOURCE = 'quell_test_in.monitor';
    const chunks: Float32Array[] = [];
    const arrivalsMs: number[] = [];
    const captureTimesUs: number[] = [];
    const source = new DeviceSource({
      device: 'pulse',
      sampleRateHz: RATE_HZ,
      channelCount: 1,
      deviceChannelCount: 2, // the monitor is stereo; DeviceSource downmixes
      chunkFrames: CHUNK_FRAMES,
      onChunk: (samples, captureTimeUs) => {
        chunks.push(samples);
        arrivalsMs.push(performance.now());
        captureTimesUs.push(captureTimeUs);
      },
    });
    try {
      await source.start();
      // An idle null sink renders up to 2 s ahead, so a new recorder on its monitor may wait that long for
      // its first frames (real devices start at once). Play only once capture flows, plus 300 ms of silence.
      const deadline = performance.now() + 5000;
      while (chunks.length === 0 && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.ok(chunks.length > 0, 'no chunk within 5 s of start()');
      await new Promise((resolve) => setTimeout(resolve, 300));
      await run('paplay', ['--device=quell_test_in', wavPath], { timeout: 10_000 });
      await new Promise((resolve) => setTimeout(resolve, 300));
    } finally {
      await source.close();
      await source.close(); // safe twice
      delete process.env.PULSE_SOURCE;
    }

    assert.ok(chunks.every((c) => c.length === CHUNK_FRAMES), 'every chunk is chunkFrames long');
    const recorded = new Float32Array(chunks.length * CHUNK_FRAMES);
    chunks.forEach((c, i) => recorded.set(c, i * CHUNK_FRAMES));
    const { ncc, lagFrames } = alignedNcc(reference, recorded);

    const intervalsMs = arrivalsMs.slice(1).map((a, i) => a - arrivalsMs[i]);
    const stepsUs = captureTimesUs.slice(1).map((c, i) => c - captureTimesUs[i]);
    const q = (p: number): string => quantile(intervalsMs, p).toFixed(2);
    const lat = source.deliveryLatency;
    t.diagnostic(`NCC ${ncc.toFixed(4)} at lag ${lagFrames} frames; ${chunks.length} chunks, ${source.receivedBytes} bytes`);
    t.diagnostic(`chunk interval ms: p1 ${q(0.01)} p10 ${q(0.1)} p50 ${q(0.5)} p90 ${q(0.9)} p99 ${q(0.99)} max ${q(1)}`);
    t.diagnostic(`callback-to-delivery latency ms: p50 ${(lat.quantile(0.5) * 1e3).toFixed(2)} p99 ${(lat.quantile(0.99) * 1e3).toFixed(2)} max ${(lat.max * 1e3).toFixed(2)}`);
    t.diagnostic(`overflows ${source.overflowCount} (${source.lostFrameCount} frames), errors ${source.errorCount}`);

    assert.ok(ncc >= 0.95, `NCC ${ncc} < 0.95`);
    assert.ok(Math.abs(quantile(intervalsMs, 0.5) - 10) < 2, `median chunk interval ${q(0.5)} ms is not ~10 ms`);
    assert.ok(Math.abs(quantile(stepsUs, 0.5) - 10_000) < 100, 'captureTimeUs advances 10 ms per chunk');
    assert.equal(source.errorCount, 0);
    assert.equal(source.listenerErrorCount, 0);
  });
});

describe('DeviceSource options', () => {
  it('constructor throws TypeError for an unsupported channel mapping', () => {
    assert.throws(() => new DeviceSource({ channelCount: 2, deviceChannelCount: 3, onChunk: () => {} }), TypeError);
    assert.throws(() => new DeviceSource({ chunkFrames: 0, onChunk: () => {} }), TypeError);
  });
});
