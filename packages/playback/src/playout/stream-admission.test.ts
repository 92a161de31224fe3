import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PROTOCOL_VERSION, type FrameHeader } from '@quell/protocol';
import { StreamAdmission } from './stream-admission.js';

const OPTIONS = { maxStreams: 4, maxNewStreamsPerS: 10, minChunkS: 0.001, unplayableForMs: 5000 };
const header = (stream: number, frameCount = 480, sampleRateHz = 48_000): FrameHeader => ({ v: PROTOCOL_VERSION, stream, seq: 0, ts: 0, captureTimeUs: 0, sampleRateHz, channelCount: 1, frameCount, flags: 0, delayFrames: 0 });

describe('StreamAdmission', () => {
  it('refuses beyond maxStreams open streams', () => {
    const a = new StreamAdmission(OPTIONS);
    assert.equal(a.admit(header(1), 3, 0), null);
    assert.equal(a.admit(header(2), 4, 0), 'stream-cap');
  });

  it('lets maxNewStreamsPerS streams open at once, then that many per second', () => {
    const a = new StreamAdmission(OPTIONS);
    const opened = Array.from({ length: 15 }, (_, i) => a.admit(header(i), 0, 0)).filter((r) => r === null).length;
    assert.equal(opened, 10);
    assert.equal(a.admit(header(99), 0, 50), 'stream-rate');
    assert.equal(a.admit(header(99), 0, 120), null, 'one more token after 100 ms');
  });

  it('refuses a first chunk shorter than the clock minimum: 1 frame at 384 kHz, but not 48 frames at 48 kHz', () => {
    const a = new StreamAdmission(OPTIONS);
    assert.equal(a.admit(header(1, 1, 384_000), 0, 0), 'format');
    assert.equal(a.admit(header(1, 48, 48_000), 0, 0), null);
    assert.equal(new StreamAdmission({ ...OPTIONS, minChunkS: 0 }).admit(header(1, 1, 384_000), 0, 0), null, 'no minimum for arrival-driven sinks');
  });

  it('remembers an unplayable stream for a while only', () => {
    const a = new StreamAdmission(OPTIONS);
    a.markUnplayable(7, 0);
    assert.equal(a.admit(header(7), 0, 4999), 'unplayable');
    assert.equal(a.admit(header(7), 0, 5000), null);
  });
});
