/**
 * Inference benchmark: how close Quell's inference gets to the raw
 * onnxruntime-node floor, per model, measured side by side in one run.
 *
 * Variants per model (dtln, gtcrn, deepfilternet3):
 * - `floor (public API)`: onnxruntime-node's async session.run calls for one
 *   model hop, state fed back (bench/lib/ort-floor.ts); not for deepfilternet3,
 *   whose streaming graphs exist only inside Quell.
 * - `floor (native)`: the same calls on the native session run synchronously
 *   into preallocated outputs: the least ONNX Runtime itself costs. Ratios
 *   are to this, the stricter floor; `ratio_to_public` to the other.
 * - `processor @native`: Quell's StreamProcessor in this process at the
 *   model's own rate, fed one hop at a time (adds framing, FFT, masks, DSP).
 * - `stage @native`: the real inference stage process, fed as fast as it
 *   takes 10 ms chunks of speech at the model's own rate by a real capture
 *   stage; time read from quell_inference_chunk_processing_seconds (the
 *   model call path of the stage: framing, DSP, model).
 * - `stage @native own core`: the same with the inference stage's main
 *   thread pinned to a CPU of its own (taskset) and every other thread of the
 *   three stages on the others, as the floor loop has a core to itself. The
 *   difference to `stage @native` is the scheduler placing capture, playback
 *   and ZeroMQ's I/O threads on the stage's core in the middle of hops.
 * - `stage @48k`: the same at a 48 kHz device rate, so 16 kHz models add
 *   streaming resampling both ways and the high-band path.
 * - `quell process --fast`: the whole pipeline on a 48 kHz file, wall clock.
 * - `floor (native) real time` and `stage @native real time`: the same two at
 *   the cadence of a live call: one 10 ms chunk's hops every 10 ms (the stage
 *   fed by a real-time capture). Idle gaps between hops make every hop slower
 *   (caches and the core go cold), so these two are compared with each other,
 *   in REALTIME_REPEATS (3) alternating pairs (median of the paired ratios).
 * Every other row is back to back (as fast as it goes). `ratio_to_floor` is to
 * the native floor of the same cadence.
 * Back-to-back rows process the same audio: 10 passes of the recording (106 s),
 * so the floor and processor loops time as many hops as the stage runs. With
 * 3 passes (32 s, under a second of work) the stage's first chunks, when all
 * three processes start at once, were ~4% of its mean and the floor's were not:
 * six alternating pairs of 3-pass and 12-pass DTLN runs measured a median 1.12x
 * against 1.08x.
 * The back-to-back native floor and `stage @native` (and `own core`) run REPEATS (5) times,
 * alternating, each stage run next to its own floor run: the rows give the
 * median of each and `ratio_to_floor` the median of the paired ratios, so one
 * disturbed run on a shared machine does not make the result (`runs` lists
 * every pair).
 * Fields: us_per_hop (mean µs per model hop; stage chunks are converted by
 * hop/chunk duration), p99_us_per_hop (floor and processor only), ratio_to_floor, ratio_to_public,
 * x_realtime (audio seconds per processing second). Goal: stage @native within 1.2x of the floor;
 * the @48k row shows what device-rate resampling adds on top.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { StageProcess } from '@quell/cli';
import { createProcessor, DEFAULT_MODEL_STORE_DIR, fetchModels, PolyphaseResampler } from '@quell/inference';
import { resolveTestAudio } from '@quell/inference/testing';
import { monotonicNs } from '@quell/protocol';
import { encodeWav, readWav, scrapeMetrics, sumSamples } from '@quell/runtime';
import { floorHop } from '../lib/ort-floor.js';
import { median, percentiles, printTable, writeResult } from '../lib/results.js';
import { timeHops } from '../lib/time-hops.js';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const PASSES = 10;
const REPEATS = 5;
// Real-time pairs take the recording's length (10.6 s) each in wall time.
const REALTIME_REPEATS = 3;
// The own-core rows need a second CPU and util-linux's taskset.
const PIN = availableParallelism() >= 2 && spawnSync('taskset', ['-V']).status === 0;
const MODELS: Record<string, { rateHz: number; hopFrames: number }> = {
  dtln: { rateHz: 16_000, hopFrames: 128 },
  gtcrn: { rateHz: 16_000, hopFrames: 256 },
  deepfilternet3: { rateHz: 48_000, hopFrames: 480 },
};

/** Runs `hop` at a live cadence: every 10 ms, the hops a 10 ms chunk at `rateHz` completes. Mean µs per hop. */
async function pacedFloorUsPerHop(hop: () => Promise<void> | void, hopFrames: number, rateHz: number, seconds: number): Promise<number> {
  const chunkFrames = rateHz / 100;
  let pending = 0;
  let hops = 0;
  let totalNs = 0;
  for (let chunk = 0; chunk < seconds * 100; chunk++) {
    await new Promise((r) => setTimeout(r, 10));
    pending += chunkFrames;
    const t = monotonicNs();
    for (; pending >= hopFrames; pending -= hopFrames, hops++) await hop();
    totalNs += monotonicNs() - t;
  }
  return totalNs / hops / 1000;
}

/** With `ownCore`, the inference main thread gets the last CPU to itself; every other thread of the three stages shares the rest. */
function pin(stages: StageProcess[], inference: StageProcess | undefined): void {
  const cpus = availableParallelism();
  const others = `0-${cpus - 2}`;
  for (const stage of stages) spawnSync('taskset', ['-a', '-p', '-c', others, String(stage.child.pid)]);
  if (inference) spawnSync('taskset', ['-p', '-c', String(cpus - 1), String(inference.child.pid)]);
}

async function stageRun(model: string, input: string, rateHz: number, pace: 'fast' | 'realtime' = 'fast', ownCore = false): Promise<{ usPerChunk: number; audioS: number; processingS: number }> {
  const playback = new StageProcess('playback', ['--endpoint', 'tcp://127.0.0.1:*', '--sink', 'null', '--clock', 'arrival', '--metrics-port', '0', '--log-level', 'warn']);
  const capture = new StageProcess('capture', ['--control', 'tcp://127.0.0.1:*', '--source', 'file', '--files', input, '--pace', pace, '--metrics-port', '0', '--log-level', 'warn']);
  const ends: unknown[] = [];
  playback.onMessage((m) => m.type === 'stream-end' && ends.push(m));
  const [pb, cap] = await Promise.all([playback.ready, capture.ready]);
  if (ownCore) pin([playback, capture], undefined);
  const inference = new StageProcess('inference', ['--control', String(cap.control), '--output-endpoint', String(pb.endpoint), '--model', model, '--backpressure', 'block', '--metrics-port', '0', '--log-level', 'warn']);
  const info = await inference.ready;
  if (ownCore) pin([inference], inference);
  while (ends.length === 0) await new Promise((r) => setTimeout(r, 100));
  const m = await scrapeMetrics(`http://127.0.0.1:${info.metricsPort}/metrics`);
  await Promise.all([capture.stop(), inference.stop(), playback.stop()]);
  const processingS = sumSamples(m, 'quell_inference_chunk_processing_seconds_sum');
  const chunks = sumSamples(m, 'quell_inference_chunk_processing_seconds_count');
  const audioS = sumSamples(m, 'quell_inference_audio_frames_processed_total') / rateHz;
  return { usPerChunk: (processingS / chunks) * 1e6, audioS, processingS };
}

function processFast(model: string, input: string, output: string): number {
  const bin = fileURLToPath(new URL('../../../packages/cli/dist/main.js', import.meta.url));
  const r = spawnSync(process.execPath, [bin, 'process', input, output, '--model', model, '--fast', '--json']);
  if (r.status !== 0) throw new Error(r.stderr.toString());
  return (JSON.parse(r.stdout.toString()) as { realtimeFactor: number }).realtimeFactor;
}

await fetchModels(Object.keys(MODELS));
const dir = await mkdtemp(join(tmpdir(), 'quell-bench-'));
const speech = (await readWav(await resolveTestAudio('speech_noisy_snr0_48k.wav'))).samples;
const long = new Float32Array(speech.length * PASSES);
for (let i = 0; i < long.length; i++) long[i] = speech[i % speech.length];
const input = join(dir, 'speech48k.wav');
await writeFile(input, encodeWav(long, 48_000, 1));
const to16k = new PolyphaseResampler(48_000, 16_000);
const long16 = new Float32Array(to16k.maxOutputFrames(long.length));
const input16 = join(dir, 'speech16k.wav');
const speech16 = long16.subarray(0, to16k.process(long, long16));
await writeFile(input16, encodeWav(speech16, 16_000, 1));
// One pass of the recording for the real-time rows (they take its length in wall time).
const REALTIME_S = speech.length / 48_000;
const once48 = join(dir, 'speech48k-once.wav');
const once16 = join(dir, 'speech16k-once.wav');
await writeFile(once48, encodeWav(speech, 48_000, 1));
await writeFile(once16, encodeWav(speech16.subarray(0, Math.floor(speech16.length / PASSES)), 16_000, 1));

const rows: Record<string, string | number>[] = [];
const runs: Record<string, string | number[]>[] = [];
for (const [model, { rateHz, hopFrames }] of Object.entries(MODELS)) {
  const hopS = hopFrames / rateHz;
  // The hops the stage runs for the long input at this rate.
  const hops = Math.floor((long.length / 48_000) * rateHz / hopFrames);
  const nativeFloorHop = await floorHop(model, DEFAULT_MODEL_STORE_DIR, 'native');
  const floorRuns: ReturnType<typeof percentiles>[] = [];
  const stageNativeUsPerHop: number[] = [];
  const stageNativeRuns: Awaited<ReturnType<typeof stageRun>>[] = [];
  const ownCoreUsPerHop: number[] = [];
  const nativeInput = rateHz === 48_000 ? input : input16;
  for (let run = 0; run < REPEATS; run++) {
    floorRuns.push(percentiles(await timeHops(nativeFloorHop, hops)));
    const atNative = await stageRun(model, nativeInput, rateHz);
    stageNativeRuns.push(atNative);
    stageNativeUsPerHop.push(atNative.usPerChunk / (0.01 / hopS));
    if (PIN) ownCoreUsPerHop.push((await stageRun(model, nativeInput, rateHz, 'fast', true)).usPerChunk / (0.01 / hopS));
  }
  const floor = { mean: median(floorRuns.map((f) => f.mean)), p99: median(floorRuns.map((f) => f.p99)) };
  const nativeUsPerHop = median(stageNativeUsPerHop);
  const nativeRatio = median(stageNativeUsPerHop.map((us, i) => us / floorRuns[i].mean));
  const atNative = stageNativeRuns[stageNativeUsPerHop.indexOf(nativeUsPerHop)];
  const publicFloor = model === 'deepfilternet3' ? undefined : percentiles(await timeHops(await floorHop(model, DEFAULT_MODEL_STORE_DIR, 'public'), hops));
  const toPublic = (us: number): number | string => (publicFloor ? us / publicFloor.mean : '-');
  const processor = await createProcessor(model, { modelDir: DEFAULT_MODEL_STORE_DIR });
  const stream = processor.createStream(rateHz, 1);
  const hopIn = new Float32Array(hopFrames).map((_, i) => Math.sin(i) * 0.1);
  const hopOut = new Float32Array(hopFrames);
  const native = percentiles(await timeHops(() => stream.process(hopIn, hopOut), hops));
  stream.close();
  await processor.close();
  const stage = rateHz === 48_000 ? atNative : await stageRun(model, input, 48_000);
  const stageUsPerHop = stage.usPerChunk / (0.01 / hopS);
  const pacedFloorUsPerHops: number[] = [];
  const realtimeRuns: Awaited<ReturnType<typeof stageRun>>[] = [];
  for (let run = 0; run < REALTIME_REPEATS; run++) {
    pacedFloorUsPerHops.push(await pacedFloorUsPerHop(nativeFloorHop, hopFrames, rateHz, REALTIME_S));
    realtimeRuns.push(await stageRun(model, rateHz === 48_000 ? once48 : once16, rateHz, 'realtime'));
  }
  const realtimeUsPerHops = realtimeRuns.map((r) => r.usPerChunk / (0.01 / hopS));
  const pacedFloorUs = median(pacedFloorUsPerHops);
  const realtimeUsPerHop = median(realtimeUsPerHops);
  const realtime = realtimeRuns[realtimeUsPerHops.indexOf(realtimeUsPerHop)];
  const realtimeRatio = median(realtimeUsPerHops.map((us, i) => us / pacedFloorUsPerHops[i]));
  const wallX = processFast(model, input, join(dir, `${model}.wav`));
  if (publicFloor) {
    rows.push({ model, variant: 'floor (public API)', us_per_hop: publicFloor.mean, p99_us_per_hop: publicFloor.p99, ratio_to_floor: publicFloor.mean / floor.mean, ratio_to_public: 1, x_realtime: hopS / (publicFloor.mean / 1e6) });
  }
  rows.push({ model, variant: 'floor (native)', us_per_hop: floor.mean, p99_us_per_hop: floor.p99, ratio_to_floor: 1, ratio_to_public: toPublic(floor.mean), x_realtime: hopS / (floor.mean / 1e6) });
  rows.push({ model, variant: 'processor @native', us_per_hop: native.mean, p99_us_per_hop: native.p99, ratio_to_floor: native.mean / floor.mean, ratio_to_public: toPublic(native.mean), x_realtime: hopS / (native.mean / 1e6) });
  rows.push({ model, variant: 'stage @native', us_per_hop: nativeUsPerHop, p99_us_per_hop: '-', ratio_to_floor: nativeRatio, ratio_to_public: toPublic(nativeUsPerHop), x_realtime: atNative.audioS / atNative.processingS });
  if (PIN) {
    const ownCoreUs = median(ownCoreUsPerHop);
    const ownCoreRatio = median(ownCoreUsPerHop.map((us, i) => us / floorRuns[i].mean));
    rows.push({ model, variant: 'stage @native own core', us_per_hop: ownCoreUs, p99_us_per_hop: '-', ratio_to_floor: ownCoreRatio, ratio_to_public: toPublic(ownCoreUs), x_realtime: hopS / (ownCoreUs / 1e6) });
  }
  runs.push({ model, floor_us_per_hop: floorRuns.map((f) => f.mean), stage_native_us_per_hop: stageNativeUsPerHop, stage_native_own_core_us_per_hop: ownCoreUsPerHop, floor_real_time_us_per_hop: pacedFloorUsPerHops, stage_real_time_us_per_hop: realtimeUsPerHops });
  rows.push({ model, variant: 'stage @48k', us_per_hop: stageUsPerHop, p99_us_per_hop: '-', ratio_to_floor: stageUsPerHop / floor.mean, ratio_to_public: toPublic(stageUsPerHop), x_realtime: stage.audioS / stage.processingS });
  rows.push({ model, variant: 'floor (native) real time', us_per_hop: pacedFloorUs, p99_us_per_hop: '-', ratio_to_floor: 1, ratio_to_public: '-', x_realtime: hopS / (pacedFloorUs / 1e6) });
  rows.push({ model, variant: 'stage @native real time', us_per_hop: realtimeUsPerHop, p99_us_per_hop: '-', ratio_to_floor: realtimeRatio, ratio_to_public: '-', x_realtime: realtime.audioS / realtime.processingS });
  rows.push({ model, variant: 'quell process --fast', us_per_hop: '-', p99_us_per_hop: '-', ratio_to_floor: '-', ratio_to_public: '-', x_realtime: wallX });
}
printTable('inference: Quell vs the raw onnxruntime floor (goal: stage within 1.2x of the floor at the same cadence)', rows);
console.log(`\nwrote ${writeResult('inference', { passes: PASSES, repeats: REPEATS, realtimeRepeats: REALTIME_REPEATS, chunkMs: 10, deviceRateHz: 48_000, input: `${PASSES}x speech_noisy_snr0_48k.wav` }, { rows, runs })}`);
