import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DriftCorrector } from './drift-corrector.js';
import { fitSine } from '@quell/runtime/testing';

const RATE_HZ = 48_000;
const CHUNK_FRAMES = 480;
const SINE_HZ = 997;
const AMPLITUDE = 0.5;

/** A tiny deterministic PRNG (mulberry32) for the network jitter. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface SimResult {
  underruns: number;
  overflows: number;
  /** Largest |mean level over 1 s - target| after the settle time, s. */
  worstSettledErrorS: number;
  /** Trim the controller settled at, ppm. */
  finalTrimPpm: number;
  /** Largest sample-to-sample step of the output after playing started. */
  maxStep: number;
  /** Worst THD+N over the analysed windows, dB. */
  worstThdNDb: number;
  targetS: number;
  wallS: number;
}

/**
 * One simulated hour: the sender's clock runs `driftPpm` faster than the device; chunks of 10 ms of a 997 Hz sine
 * arrive with up to `jitterMs` of random network delay; the device pulls 10 ms blocks on its own clock. The event
 * loop below merges both clocks in time order.
 */
function simulate(driftPpm: number | ((deviceS: number) => number), durationS: number, jitterMs: number, settleS: number | ((deviceS: number) => boolean)): SimResult {
  const driftAt = typeof driftPpm === 'number' ? () => driftPpm : driftPpm;
  const settled = typeof settleS === 'number' ? (t: number) => t >= settleS : settleS;
  const started = performance.now();
  const corrector = new DriftCorrector({ sampleRateHz: RATE_HZ, channelCount: 1, chunkFrames: CHUNK_FRAMES });
  const random = prng(42);
  const chunk = new Float32Array(CHUNK_FRAMES);
  const block = new Float32Array(CHUNK_FRAMES);
  const blockS = CHUNK_FRAMES / RATE_HZ;
  // The sine as a rotating phasor: one complex multiply per sample, renormalised per chunk.
  const step = (2 * Math.PI * SINE_HZ) / RATE_HZ;
  const cosStep = Math.cos(step);
  const sinStep = Math.sin(step);
  let re = 1;
  let im = 0;
  let chunkIndex = 0;
  // Capture time of the end of the next chunk on the device's time line; the sender's clock may change rate.
  let captureS = CHUNK_FRAMES / (RATE_HZ * (1 + driftAt(0) * 1e-6));
  let nextArrivalS = captureS + random() * jitterMs * 1e-3;
  let blockIndex = 0;
  let last = Number.NaN;
  let maxStep = 0;
  let windowSumS = 0;
  let windowTargetSumS = 0;
  let windowCount = 0;
  let worstErrorS = 0;
  let worstThdNDb = -Infinity;
  const analysis = new Float32Array(8 * CHUNK_FRAMES);
  let analysisFill = -1;
  const analyseEveryBlocks = Math.round(300 / blockS);
  const endBlocks = Math.round(durationS / blockS);
  while (blockIndex < endBlocks) {
    const deviceS = (blockIndex + 1) * blockS;
    // Every chunk that arrived before this device request goes in first.
    while (nextArrivalS <= deviceS) {
      for (let i = 0; i < CHUNK_FRAMES; i++) {
        chunk[i] = AMPLITUDE * im;
        const r = re * cosStep - im * sinStep;
        im = re * sinStep + im * cosStep;
        re = r;
      }
      const norm = 1 / Math.hypot(re, im);
      re *= norm;
      im *= norm;
      corrector.arrive(CHUNK_FRAMES, nextArrivalS);
      corrector.write(chunk);
      chunkIndex++;
      // Capture time of the next chunk plus a fresh network delay; order is kept since jitter < a chunk.
      captureS += CHUNK_FRAMES / (RATE_HZ * (1 + driftAt(captureS) * 1e-6));
      nextArrivalS = captureS + random() * jitterMs * 1e-3;
    }
    const status = corrector.read(block, CHUNK_FRAMES, deviceS);
    blockIndex++;
    if (status === 'prefilling') continue;
    // The first second holds the onset of a sine that starts abruptly at frame 0 (band-limiting rings there).
    if (deviceS >= 1) {
      for (let i = 0; i < CHUNK_FRAMES; i++) {
        const d = Math.abs(block[i] - last);
        if (d > maxStep) maxStep = d;
        last = block[i];
      }
    } else {
      last = block[CHUNK_FRAMES - 1];
    }
    if (settled(deviceS)) {
      windowSumS += corrector.levelS;
      windowTargetSumS += corrector.targetS;
      if (++windowCount === 100) {
        const errorS = Math.abs(windowSumS - windowTargetSumS) / windowCount;
        if (errorS > worstErrorS) worstErrorS = errorS;
        windowSumS = 0;
        windowTargetSumS = 0;
        windowCount = 0;
      }
    }
    // Every 5 simulated minutes (and at the end), THD+N over 8 consecutive blocks (80 ms).
    if (blockIndex % analyseEveryBlocks === 0 || blockIndex === endBlocks - 8) analysisFill = 0;
    if (analysisFill >= 0) {
      analysis.set(block, analysisFill * CHUNK_FRAMES);
      if (++analysisFill === 8) {
        const thd = fitSine(analysis, RATE_HZ, SINE_HZ, { refineFrequency: true }).residualDb;
        if (thd > worstThdNDb) worstThdNDb = thd;
        analysisFill = -1;
      }
    }
  }
  return {
    underruns: corrector.underrunCount,
    overflows: corrector.overflowCount,
    worstSettledErrorS: worstErrorS,
    finalTrimPpm: corrector.controller.trimPpm,
    maxStep,
    worstThdNDb,
    targetS: corrector.targetS,
    wallS: (performance.now() - started) / 1000,
  };
}

const SINE_MAX_STEP = AMPLITUDE * 2 * Math.sin(Math.PI * SINE_HZ / RATE_HZ);

describe('DriftCorrector on a simulated clock', () => {
  it('read() holds the level at target with the sender 300 ppm faster for 1 h, then 300 ppm slower for 1 h: no underruns, no overflows, a clean sine', () => {
    const hourS = 3600;
    // The level is judged from 10 minutes into each hour (the loop settles in about two).
    const r = simulate((t) => (t < hourS ? 300 : -300), 2 * hourS, 2, (t) => t % hourS >= 600);
    console.log(`drift +300 then -300 ppm: ${JSON.stringify({ ...r, worstSettledErrorMs: r.worstSettledErrorS * 1e3, targetMs: r.targetS * 1e3 })}`);
    assert.equal(r.underruns, 0);
    assert.equal(r.overflows, 0);
    assert.ok(r.worstSettledErrorS <= 0.002, `level within 2 ms of target after settling, worst ${r.worstSettledErrorS * 1e3} ms`);
    assert.ok(Math.abs(r.finalTrimPpm + 300) < 30, `trim ${r.finalTrimPpm} ppm follows the drift of -300 ppm`);
    assert.ok(r.maxStep <= SINE_MAX_STEP * 1.01, `max step ${r.maxStep} vs the sine's ${SINE_MAX_STEP}`);
    assert.ok(r.worstThdNDb < -60, `THD+N ${r.worstThdNDb} dB`);
    assert.ok(r.wallS < 60, `simulated two hours in ${r.wallS} s`);
  });

  it('target rises with arrival jitter and stays within its bounds', () => {
    const calm = simulate(0, 30, 1, 10);
    const jittery = simulate(0, 30, 25, 10);
    assert.ok(jittery.targetS > calm.targetS + 0.01, `target ${calm.targetS} -> ${jittery.targetS}`);
    assert.ok(jittery.targetS <= 0.2);
    assert.equal(jittery.underruns, 0);
  });

  it('read() answers prefilling (silence, not an underrun) until the level reaches the target', () => {
    const corrector = new DriftCorrector({ sampleRateHz: RATE_HZ, channelCount: 1, chunkFrames: CHUNK_FRAMES });
    const out = new Float32Array(CHUNK_FRAMES).fill(1);
    assert.equal(corrector.read(out, CHUNK_FRAMES, 0), 'prefilling');
    assert.ok(out.every((v) => v === 0));
    assert.equal(corrector.underrunCount, 0);
  });

  it('read() counts an underrun and pads with silence once the input runs dry', () => {
    const corrector = new DriftCorrector({ sampleRateHz: RATE_HZ, channelCount: 2, chunkFrames: CHUNK_FRAMES, target: { minTargetS: 0.01, marginS: 0, startTargetS: 0 } });
    const chunk = new Float32Array(CHUNK_FRAMES * 2).fill(0.25);
    const out = new Float32Array(CHUNK_FRAMES * 2);
    for (let i = 0; i < 2; i++) {
      corrector.arrive(CHUNK_FRAMES, i * 0.01);
      corrector.write(chunk);
    }
    assert.equal(corrector.read(out, CHUNK_FRAMES, 0.02), 'ok');
    assert.equal(corrector.read(out, CHUNK_FRAMES, 0.03), 'underrun');
    assert.equal(corrector.underrunCount, 1);
    assert.equal(out[out.length - 1], 0);
  });

  it('write() refuses a chunk that does not fit and counts an overflow', () => {
    const corrector = new DriftCorrector({ sampleRateHz: RATE_HZ, channelCount: 1, chunkFrames: CHUNK_FRAMES, capacityFrames: 800 });
    const chunk = new Float32Array(CHUNK_FRAMES);
    assert.equal(corrector.write(chunk), 'ok');
    assert.equal(corrector.write(chunk), 'overflow');
    assert.equal(corrector.overflowCount, 1);
  });
});
