import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PROTOCOL_VERSION, type HandoverInfo } from '@quell/protocol';
import { JitterBuffer } from '../jitter/jitter-buffer.js';
import { HandoverMixer } from './handover-mixer.js';

const F = 4;
const H: HandoverInfo = { from: 'A', to: 'B', atSeq: 10, fadeChunks: 2 };

function chunk(value: number): Float32Array {
  return new Float32Array(F).fill(value);
}

function setup(): { jitter: JitterBuffer; mixer: HandoverMixer; put: (node: string, seq: number, value: number, handover?: HandoverInfo) => string } {
  const jitter = new JitterBuffer({ capacityChunks: 16, prefillChunks: 0, reorderWindowChunks: 3 });
  const mixer = new HandoverMixer(1, 16);
  jitter.setHold((seq) => mixer.waitsFor(seq), 8);
  const put = (node: string, seq: number, value: number, handover?: HandoverInfo): string =>
    mixer.receive(jitter, { v: PROTOCOL_VERSION, stream: 1, seq, ts: seq * F, captureTimeUs: seq, sampleRateHz: 48_000, channelCount: 1, frameCount: F, flags: 0, delayFrames: 0, node, ...(handover ? { handover } : {}) }, chunk(value));
  return { jitter, mixer, put };
}

/** Plays everything ready (arrival-driven) and returns the first sample of each chunk played, by seq. */
function drain(jitter: JitterBuffer): Map<number, Float32Array> {
  const out = new Map<number, Float32Array>();
  for (;;) {
    const { status, chunk: c } = jitter.readReady();
    if (status === 'wait') return out;
    if (c) out.set(c.seq, Float32Array.from(c.samples));
  }
}

describe('HandoverMixer', () => {
  it('keeps the old copy before atSeq, crossfades atSeq…atSeq+fade-1 with weights summing to 1, then plays the new copy', () => {
    const { jitter, mixer, put } = setup();
    for (let seq = 8; seq < 10; seq++) assert.equal(put('A', seq, 1), 'ok');
    for (let seq = 10; seq < 14; seq++) {
      assert.equal(put('A', seq, 1, H), 'ok');
      assert.equal(put('B', seq, 0, H), seq < 12 ? 'mixed' : 'replaced');
    }
    const played = drain(jitter);
    assert.deepEqual([...played.keys()], [8, 9, 10, 11, 12, 13]);
    assert.ok(played.get(9)!.every((x) => x === 1));
    // Old = 1, new = 0: the mix is the old weight, falling from 1 to 0 across the 8 frames of the fade.
    const fade = [...played.get(10)!, ...played.get(11)!];
    for (let i = 1; i < fade.length; i++) assert.ok(fade[i] < fade[i - 1]);
    assert.ok(fade[0] > 0.95 && fade[7] < 0.05);
    assert.ok(played.get(12)!.every((x) => x === 0));
  });

  it('arrival-driven reads wait for the second copy of a crossfade chunk, and play the first copy once enough newer chunks wait', () => {
    const { jitter, put } = setup();
    put('A', 9, 1);
    put('A', 10, 1, H);
    assert.deepEqual([...drain(jitter).keys()], [9]);
    put('B', 10, 0, H);
    assert.deepEqual([...drain(jitter).keys()], [10]);
    // B stops delivering: A's copies play once 8 newer chunks wait (B's copy would have been a fallback).
    for (let seq = 11; seq < 20; seq++) put('A', seq, 1, H);
    assert.ok([...drain(jitter).keys()].includes(11));
  });

  it('a chunk from the old node at or past atSeq without the hand-over stamp (rollback) makes the old node preferred again', () => {
    const { jitter, put } = setup();
    put('A', 10, 1, H);
    put('B', 10, 0, H);
    put('A', 11, 1);
    assert.equal(put('B', 11, 0, undefined), 'duplicate');
    const played = drain(jitter);
    assert.ok(played.get(11)!.every((x) => x === 1));
  });

  it('a new-node copy that comes after its slot was played counts as a fallback, not as a drop', () => {
    const { jitter, mixer, put } = setup();
    put('A', 12, 1, H);
    for (let seq = 13; seq < 22; seq++) put('A', seq, 1, H);
    drain(jitter);
    assert.equal(put('B', 12, 0, H), 'overlap');
    assert.equal(mixer.fallbacks, 1);
  });
});
