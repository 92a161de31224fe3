import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Concealer } from './concealer.js';

const RATE = 48_000;
const CHUNK = 480;
// 10 ms: a fade gentler than the slowest sine it must hide (a quarter period of 25 Hz).
const FADE = 480;

function maxStep(x: Float32Array, from = 1, to = x.length): number {
  let worst = 0;
  for (let i = Math.max(1, from); i < to; i++) worst = Math.max(worst, Math.abs(x[i] - x[i - 1]));
  return worst;
}

/** Plays a sine chunk by chunk, losing the chunks in `lost`; returns the output. */
function playWithLoss(frequencyHz: number, chunks: number, lost: Set<number>, channels = 1): Float32Array {
  const concealer = new Concealer(channels, FADE);
  const out = new Float32Array(chunks * CHUNK * channels);
  for (let k = 0; k < chunks; k++) {
    const dst = out.subarray(k * CHUNK * channels, (k + 1) * CHUNK * channels);
    if (lost.has(k)) {
      concealer.conceal(dst);
      continue;
    }
    const src = new Float32Array(CHUNK * channels);
    for (let f = 0; f < CHUNK; f++) for (let c = 0; c < channels; c++) src[f * channels + c] = 0.8 * Math.sin((2 * Math.PI * frequencyHz * (k * CHUNK + f)) / RATE + c);
    concealer.play(src, dst);
  }
  return out;
}

describe('Concealer', () => {
  for (const frequencyHz of [50, 440, 3000]) {
    it(`conceals lost chunks of a ${frequencyHz} Hz sine with no step larger than the sine's own`, () => {
      const lost = new Set([3, 7, 8, 15]);
      const out = playWithLoss(frequencyHz, 20, lost);
      const clean = playWithLoss(frequencyHz, 20, new Set());
      const signalStep = maxStep(clean);
      assert.ok(maxStep(out) <= signalStep * 1.0001, `max step ${maxStep(out)} vs signal ${signalStep}`);
      // The lost chunks really are quiet after the fade (not a copy of the signal).
      const tail = out.subarray(3 * CHUNK + FADE, 4 * CHUNK);
      assert.ok(tail.every((x) => x === 0));
      assert.ok(out.every((x) => Number.isFinite(x)));
    });
  }

  it('keeps stereo channels apart when reversing', () => {
    const out = playWithLoss(440, 6, new Set([2]), 2);
    const first = out.subarray(2 * CHUNK * 2, 2 * CHUNK * 2 + 2);
    const prev = out.subarray(2 * CHUNK * 2 - 2, 2 * CHUNK * 2);
    assert.ok(Math.abs(first[0] - prev[0]) < 0.05 && Math.abs(first[1] - prev[1]) < 0.05);
  });

  it('plays silence when nothing has been played yet', () => {
    const c = new Concealer(1, 240);
    const out = new Float32Array(CHUNK).fill(1);
    c.conceal(out);
    assert.ok(out.every((x) => x === 0));
  });
});
