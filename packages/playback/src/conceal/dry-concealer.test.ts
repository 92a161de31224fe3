import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Concealer } from './concealer.js';
import { DryConcealer } from './dry-concealer.js';
import { DryRing } from './dry-ring.js';

const RATE = 48_000;
const CHUNK = 480;
const FADE = 480;
const AMPLITUDE = 0.8;
const WET_GAIN = 0.5;

function maxStep(x: Float32Array, from = 1, to = x.length): number {
  let worst = 0;
  for (let i = Math.max(1, from); i < to; i++) worst = Math.max(worst, Math.abs(x[i] - x[i - 1]));
  return worst;
}

/** The dry (capture) signal at stream position `pos`. */
function dryAt(frequencyHz: number, pos: number): number {
  return AMPLITUDE * Math.sin((2 * Math.PI * frequencyHz * pos) / RATE);
}

function chunkOf(frequencyHz: number, k: number, delayFrames: number, gain: number): Float32Array {
  const x = new Float32Array(CHUNK);
  for (let f = 0; f < CHUNK; f++) x[f] = gain * dryAt(frequencyHz, k * CHUNK + f - delayFrames);
  return x;
}

/**
 * Plays `chunks` chunks of a sine through a DryConcealer: the dry chunk k
 * (undelayed, as capture sends it) arrives first, then the wet chunk k
 * (gain 0.5, `delayFrames` late, as inference sends it) unless k is in `lost`.
 */
function play(frequencyHz: number, chunks: number, lost: Set<number>, delayFrames: number): { out: Float32Array; dryChunks: number } {
  const concealer = new Concealer(1, FADE);
  const dry = new DryConcealer(concealer, 1, FADE, 16);
  const out = new Float32Array(chunks * CHUNK);
  let dryChunks = 0;
  for (let k = 0; k < chunks; k++) {
    dry.ring.write(k, k * CHUNK, chunkOf(frequencyHz, k, 0, 1), CHUNK);
    const dst = out.subarray(k * CHUNK, (k + 1) * CHUNK);
    if (lost.has(k)) {
      if (dry.conceal(k, dst)) dryChunks++;
    } else {
      dry.play(k, chunkOf(frequencyHz, k, delayFrames, WET_GAIN), delayFrames, dst);
    }
  }
  return { out, dryChunks };
}

describe('DryRing', () => {
  it('reads the dry frames of a chunk delayed by delayFrames, across two chunks', () => {
    const ring = new DryRing(2, 8);
    for (let k = 0; k < 6; k++) {
      const x = new Float32Array(CHUNK * 2);
      for (let f = 0; f < CHUNK; f++) {
        x[2 * f] = k * CHUNK + f;
        x[2 * f + 1] = -(k * CHUNK + f);
      }
      ring.write(k, 1000 + k * CHUNK, x, CHUNK);
    }
    const out = new Float32Array(CHUNK * 2);
    assert.ok(ring.read(4, 100, out));
    for (let f = 0; f < CHUNK; f++) {
      assert.equal(out[2 * f], 4 * CHUNK - 100 + f);
      assert.equal(out[2 * f + 1], -(4 * CHUNK - 100 + f));
    }
    // A chunk past the newest is extrapolated from it: seq 6 delayed by one chunk is chunk 5.
    assert.ok(ring.read(6, CHUNK, out));
    assert.equal(out[0], 5 * CHUNK);
    assert.equal(ring.covers(6, 0, CHUNK), false, 'chunk 6 has not arrived');
    assert.equal(ring.covers(0, 1, CHUNK), false, 'the frame before chunk 0 was never held');
  });

  it('forgets chunks overwritten by newer ones and restarts on a far seq', () => {
    const ring = new DryRing(1, 4);
    for (let k = 0; k < 8; k++) ring.write(k, k * CHUNK, new Float32Array(CHUNK).fill(k), CHUNK);
    assert.equal(ring.covers(3, 0, CHUNK), false);
    assert.equal(ring.covers(4, 0, CHUNK), true);
    ring.write(1000, 0, new Float32Array(CHUNK).fill(9), CHUNK);
    assert.equal(ring.covers(7, 0, CHUNK), false, 'old timeline gone');
    const out = new Float32Array(CHUNK);
    assert.ok(ring.read(1000, 0, out));
    assert.equal(out[0], 9);
  });
});

describe('DryConcealer', () => {
  const DELAY = 100;
  const lost = new Set([6, 7, 8, 9, 10, 15]);

  it('fills a missing wet chunk with the dry chunk aligned by the wet delay, and plays wet wherever it exists', () => {
    const { out, dryChunks } = play(440, 20, lost, DELAY);
    assert.equal(dryChunks, lost.size);
    // Inside the outage (past the first chunk's splice) the output is the dry signal, delayed as the wet one.
    for (const k of [7, 8, 9]) {
      for (let f = 0; f < CHUNK; f++) assert.ok(Math.abs(out[k * CHUNK + f] - dryAt(440, k * CHUNK + f - DELAY)) < 1e-6, `chunk ${k} frame ${f}`);
    }
    // Wet chunks away from a switch are the wet signal exactly: dry never replaces wet that is there.
    for (const k of [0, 1, 2, 3, 4, 5, 12, 13, 14, 17, 18, 19]) {
      const wet = chunkOf(440, k, DELAY, WET_GAIN);
      for (let f = 0; f < CHUNK; f++) assert.equal(out[k * CHUNK + f], wet[f], `chunk ${k} frame ${f}`);
    }
  });

  for (const frequencyHz of [100, 440, 3000]) {
    it(`switches wet → dry → wet on a ${frequencyHz} Hz sine with no step larger than the dry sine's own`, () => {
      const { out } = play(frequencyHz, 20, lost, DELAY);
      let signal = 0;
      for (let i = 1; i < out.length; i++) signal = Math.max(signal, Math.abs(dryAt(frequencyHz, i) - dryAt(frequencyHz, i - 1)));
      for (const k of [6, 11, 15, 16]) {
        const around = maxStep(out, k * CHUNK - 10, (k + 1) * CHUNK);
        assert.ok(around <= signal * 1.0001, `chunk ${k}: step ${around} vs signal ${signal}`);
      }
      assert.ok(out.every((x) => Number.isFinite(x)));
    });
  }

  it('without dry frames (or before any wet chunk gave the delay) it fades to silence like the concealer', () => {
    const concealer = new Concealer(1, FADE);
    const dry = new DryConcealer(concealer, 1, FADE, 16);
    const out = new Float32Array(CHUNK);
    dry.ring.write(0, 0, chunkOf(440, 0, 0, 1), CHUNK);
    assert.equal(dry.conceal(0, out), false, 'delay unknown before the first wet chunk');
    dry.play(1, chunkOf(440, 1, 0, WET_GAIN), 0, out);
    assert.equal(dry.conceal(2, out), false, 'dry chunk 2 never arrived');
    assert.equal(out[CHUNK - 1], 0);
    assert.equal(dry.canConceal(2, CHUNK), false);
  });
});
