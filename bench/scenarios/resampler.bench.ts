/**
 * Resampler benchmark: Quell's streaming PolyphaseResampler (Kaiser, 100 dB
 * stopband, flat to 0.875 of the lower Nyquist; dot products in WebAssembly
 * SIMD) against two WebAssembly libraries, measured side by side in one run with the same signals:
 * - `speex qN`: the Speex resampler (npm speex-resampler) at quality 10 (its
 *   best), 7 (the package's default) and 5 (Speex's desktop setting). The
 *   package only takes and returns int16 PCM, so every pass quantizes to 16
 *   bits (floats are scaled by 32768 and rounded here) and `processChunk`
 *   allocates a Buffer per call; its figures include both. The quantization
 *   alone puts a floor under its quality: `int16 floor` below the table is the
 *   THD+N of the 1 kHz test tone rounded to int16 once.
 * - `libsamplerate best|medium`: libsamplerate (npm
 *   @alexanderolsen/libsamplerate-js) SRC_SINC_BEST_QUALITY and
 *   SRC_SINC_MEDIUM_QUALITY through its `full` API, which keeps the converter's
 *   state across calls (the `simple` API starts afresh every call), float32,
 *   into a reused output array.
 * All three stream: each keeps its filter state across 10 ms chunks.
 *
 * One row per resampler and device rate (48 000 and 44 100 Hz; the 16 kHz
 * models' side is 16 000 Hz). Fields:
 * - down_us, up_us: µs per 10 ms chunk device→16 kHz and 16 kHz→device, a
 *   long signal fed in 10 ms chunks: after WARM_UP_CHUNKS, the mean over
 *   CHUNKS_PER_ROUND chunks, median of ROUNDS rounds that take turns among the
 *   resamplers (so a busy moment on a shared machine hits one round, not one
 *   resampler).
 * - down_ratio, up_ratio: that time over Quell's in the same direction.
 * - thdn_db: THD+N of a 1 kHz sine (amplitude 0.5, 1 s) through the round
 *   trip device→16 kHz→device in 10 ms chunks, least-squares tone fit
 *   (fitSine) over the steady middle (0.1 s cut at each end).
 * - passband_db: the largest |gain| in dB of tones from 100 Hz to 7 kHz
 *   through the same round trip.
 * - alias_db: the worst residual, relative to the input's power, of a tone
 *   from 8.5 kHz up to 23 kHz (below the device's Nyquist) downsampled
 *   device→16 kHz, where all of it is alias. `< -90` (speex only): its int16
 *   output was all zeros, the residual under half an LSB (-90.3 dB for this
 *   tone) rounded away.
 * - delay_ms: round-trip latency in a fixed-rate stream (not a quality axis,
 *   but what the resampler adds to a call's latency): where an impulse comes
 *   out, plus the frames the resampler still holds back at the end.
 *   libsamplerate withholds its first outputs instead of delaying the signal
 *   (its first 10 ms chunk at 16 kHz gives 17 frames, not 160), which a
 *   real-time consumer must pad, so it counts.
 */
import libsamplerate from '@alexanderolsen/libsamplerate-js';
import speexResampler from 'speex-resampler';
import { PolyphaseResampler } from '@quell/inference';
import { monotonicNs } from '@quell/protocol';
import { fitSine } from '@quell/runtime/testing';
import { median, printTable, writeResult } from '../lib/results.js';

const MODEL_RATE_HZ = 16_000;
const DEVICE_RATES_HZ = [48_000, 44_100];
const WARM_UP_CHUNKS = 300;
const CHUNKS_PER_ROUND = 1_000;
const ROUNDS = 5;
const AMPLITUDE = 0.5;
const PASSBAND_TONES_HZ = [100, 300, 1000, 2000, 3000, 4000, 5000, 6000, 6500, 7000];
const ALIAS_TONES_HZ = [8500, 9000, 10_000, 12_000, 16_000, 20_000, 22_000, 23_000];

/** One stream of a resampler as the bench drives it: a chunk in, whatever is ready out. */
interface StreamingResampler {
  /** Resamples `input` into the start of `output` and returns the frames written. */
  process(input: Float32Array, output: Float32Array): number;
}

interface Candidate {
  name: string;
  create(inRateHz: number, outRateHz: number): Promise<StreamingResampler>;
}

const SpeexResampler = speexResampler.default;

function speexStream(inRateHz: number, outRateHz: number, quality: number): StreamingResampler {
  const resampler = new SpeexResampler(1, inRateHz, outRateHz, quality);
  // Room for a chunk of 10 ms and whatever a first stage hands on beyond that.
  const pcm = new Int16Array(2 * (inRateHz / 100) + 64);
  const pcmBytes = Buffer.from(pcm.buffer);
  return {
    process(input, output) {
      for (let i = 0; i < input.length; i++) pcm[i] = Math.max(-32768, Math.min(32767, Math.round(input[i] * 32768)));
      const out = resampler.processChunk(pcmBytes.subarray(0, 2 * input.length));
      const samples = new Int16Array(out.buffer, out.byteOffset, out.length >> 1);
      for (let i = 0; i < samples.length; i++) output[i] = samples[i] / 32768;
      return samples.length;
    },
  };
}

type SincConverter = 'SRC_SINC_BEST_QUALITY' | 'SRC_SINC_MEDIUM_QUALITY';

async function libsamplerateStream(inRateHz: number, outRateHz: number, converter: SincConverter): Promise<StreamingResampler> {
  const src = await libsamplerate.create(1, inRateHz, outRateHz, { converterType: libsamplerate.ConverterType[converter] });
  const written = { frames: 0 };
  return {
    process(input, output) {
      src.full(input, output, written);
      return written.frames;
    },
  };
}

const CANDIDATES: Candidate[] = [
  { name: 'quell polyphase', create: async (inHz, outHz) => new PolyphaseResampler(inHz, outHz) },
  ...[10, 7, 5].map((q) => ({ name: `speex q${q}`, create: async (inHz: number, outHz: number) => speexStream(inHz, outHz, q) })),
  { name: 'libsamplerate best', create: (inHz, outHz) => libsamplerateStream(inHz, outHz, 'SRC_SINC_BEST_QUALITY') },
  { name: 'libsamplerate medium', create: (inHz, outHz) => libsamplerateStream(inHz, outHz, 'SRC_SINC_MEDIUM_QUALITY') },
];

function tone(frequencyHz: number, rateHz: number, frames: number): Float32Array {
  const x = new Float32Array(frames);
  for (let i = 0; i < frames; i++) x[i] = AMPLITUDE * Math.sin((2 * Math.PI * frequencyHz * i) / rateHz);
  return x;
}

/** Room for any chunk's output, whatever a library holds back and releases later. */
function outputBuffer(inFrames: number, inRateHz: number, outRateHz: number): Float32Array {
  return new Float32Array(2 * Math.ceil((inFrames * outRateHz) / inRateHz) + 64);
}

/** Streams `x` through `resampler` in 10 ms chunks and returns everything it put out. */
function streamThrough(resampler: StreamingResampler, x: Float32Array, inRateHz: number, outRateHz: number): Float32Array {
  const chunk = inRateHz / 100;
  const tmp = outputBuffer(chunk, inRateHz, outRateHz);
  const out = new Float32Array(Math.ceil((x.length * outRateHz) / inRateHz) + tmp.length);
  let n = 0;
  for (let i = 0; i < x.length; i += chunk) {
    const k = resampler.process(x.subarray(i, i + chunk), tmp);
    out.set(tmp.subarray(0, k), n);
    n += k;
  }
  return out.subarray(0, n);
}

/** device → 16 kHz → device, each 10 ms chunk passed on as soon as the first stage gives it back. */
async function roundTrip(candidate: Candidate, rateHz: number, x: Float32Array): Promise<Float32Array> {
  const down = await candidate.create(rateHz, MODEL_RATE_HZ);
  const up = await candidate.create(MODEL_RATE_HZ, rateHz);
  const chunk = rateHz / 100;
  const mid = outputBuffer(chunk, rateHz, MODEL_RATE_HZ);
  const tmp = outputBuffer(mid.length, MODEL_RATE_HZ, rateHz);
  const out = new Float32Array(x.length + tmp.length);
  let n = 0;
  for (let i = 0; i < x.length; i += chunk) {
    const m = down.process(x.subarray(i, i + chunk), mid);
    const k = m === 0 ? 0 : up.process(mid.subarray(0, m), tmp);
    out.set(tmp.subarray(0, k), n);
    n += k;
  }
  return out.subarray(0, n);
}

/** The steady middle of a stream's output: 0.1 s cut at each end. */
function middle(y: Float32Array, rateHz: number): Float32Array {
  return y.subarray(Math.round(0.1 * rateHz), y.length - Math.round(0.1 * rateHz));
}

async function quality(candidate: Candidate, rateHz: number): Promise<Record<string, string | number>> {
  const thdn = fitSine(middle(await roundTrip(candidate, rateHz, tone(1000, rateHz, rateHz)), rateHz), rateHz, 1000).residualDb;
  let passband = 0;
  for (const f of PASSBAND_TONES_HZ) {
    const fit = fitSine(middle(await roundTrip(candidate, rateHz, tone(f, rateHz, rateHz / 2)), rateHz), rateHz, f);
    passband = Math.max(passband, Math.abs(20 * Math.log10(fit.amplitude / AMPLITUDE)));
  }
  let alias = -Infinity;
  for (const f of ALIAS_TONES_HZ.filter((hz) => hz < rateHz / 2)) {
    const down = await candidate.create(rateHz, MODEL_RATE_HZ);
    const seg = middle(streamThrough(down, tone(f, rateHz, rateHz / 2), rateHz, MODEL_RATE_HZ), MODEL_RATE_HZ);
    let energy = 0;
    for (const s of seg) energy += s * s;
    alias = Math.max(alias, 10 * Math.log10(energy / seg.length / (AMPLITUDE * AMPLITUDE * 0.5)));
  }
  const impulse = new Float32Array(Math.round(0.3 * rateHz));
  const at = Math.round(0.1 * rateHz);
  impulse[at] = AMPLITUDE;
  const response = await roundTrip(candidate, rateHz, impulse);
  let peak = 0;
  for (let i = 1; i < response.length; i++) if (Math.abs(response[i]) > Math.abs(response[peak])) peak = i;
  const heldBack = impulse.length - response.length;
  return {
    thdn_db: thdn,
    passband_db: passband,
    // All-zero int16 output: the residual rounded away, so only its bound is known.
    alias_db: alias === -Infinity ? '< -90' : alias,
    delay_ms: ((peak - at + heldBack) / rateHz) * 1000,
  };
}

/** Median over rounds of the mean µs per 10 ms chunk, every candidate's rounds taking turns. */
async function speeds(inRateHz: number, outRateHz: number): Promise<number[]> {
  const chunk = inRateHz / 100;
  // One second of two tones and noise, cycled; the content does not change a FIR's cost.
  const signal = new Float32Array(inRateHz);
  let seed = 1;
  for (let i = 0; i < signal.length; i++) {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    signal[i] = 0.2 * Math.sin((2 * Math.PI * 440 * i) / inRateHz) + 0.1 * Math.sin((2 * Math.PI * 3100 * i) / inRateHz) + 0.1 * (seed / 2 ** 32 - 0.5);
  }
  const chunks = Array.from({ length: 100 }, (_, i) => signal.subarray(i * chunk, (i + 1) * chunk));
  const output = outputBuffer(chunk, inRateHz, outRateHz);
  const streams = await Promise.all(CANDIDATES.map((c) => c.create(inRateHz, outRateHz)));
  const next = streams.map(() => 0);
  const run = (c: number, count: number): void => {
    const stream = streams[c];
    for (let i = 0; i < count; i++) stream.process(chunks[next[c]++ % chunks.length], output);
  };
  streams.forEach((_, c) => run(c, WARM_UP_CHUNKS));
  const rounds: number[][] = streams.map(() => []);
  for (let r = 0; r < ROUNDS; r++) {
    for (let c = 0; c < streams.length; c++) {
      const started = monotonicNs();
      run(c, CHUNKS_PER_ROUND);
      rounds[c].push((monotonicNs() - started) / CHUNKS_PER_ROUND / 1000);
    }
  }
  return rounds.map(median);
}

await SpeexResampler.initPromise;
const rows: Record<string, string | number>[] = [];
for (const rateHz of DEVICE_RATES_HZ) {
  const down = await speeds(rateHz, MODEL_RATE_HZ);
  const up = await speeds(MODEL_RATE_HZ, rateHz);
  for (let c = 0; c < CANDIDATES.length; c++) {
    rows.push({
      device_hz: rateHz,
      resampler: CANDIDATES[c].name,
      down_us: down[c],
      up_us: up[c],
      down_ratio: down[c] / down[0],
      up_ratio: up[c] / up[0],
      ...(await quality(CANDIDATES[c], rateHz)),
    });
  }
}
const int16FloorDb = fitSine(tone(1000, 48_000, 48_000).map((v) => Math.round(v * 32768) / 32768), 48_000, 1000).residualDb;
// printTable keeps two decimals; passband deviations of Quell and libsamplerate best are far below that.
const shown = rows.map((r) => ({ ...r, passband_db: (r.passband_db as number).toFixed(4) }));
printTable('resampler: µs per 10 ms chunk (streaming) and round-trip quality, Quell vs Speex and libsamplerate (WebAssembly)', shown);
console.log(`int16 floor: THD+N of the 1 kHz tone rounded to int16 once ${int16FloorDb.toFixed(1)} dB`);
const config = {
  modelRateHz: MODEL_RATE_HZ,
  warmUpChunks: WARM_UP_CHUNKS,
  chunksPerRound: CHUNKS_PER_ROUND,
  rounds: ROUNDS,
  amplitude: AMPLITUDE,
  passbandTonesHz: PASSBAND_TONES_HZ,
  aliasTonesHz: ALIAS_TONES_HZ,
};
console.log(`\nwrote ${writeResult('resampler', config, { rows, int16FloorDb })}`);
