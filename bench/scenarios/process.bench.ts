/**
 * `quell process --fast` throughput against the bare ONNX Runtime floor, side
 * by side in one run on the same audio (issue 16: the `--fast` pipeline is to
 * reach at least 0.8x the floor's throughput).
 *
 * Audio: 6 passes of speech_noisy_snr0_48k.wav (63.6 s at 48 kHz, mono, the
 * file issue 16 measured), written once as a 48 kHz WAV and, resampled, as a
 * 16 kHz WAV (DTLN's own rate: no resampling in the stage).
 *
 * Variants, each run REPEATS (3) times in alternation, every `quell process`
 * run next to a floor run of its own:
 * - `floor (native)`: DTLN's two graphs called back to back on the native
 *   session, synchronously into preallocated outputs, state fed back
 *   (bench/lib/ort-floor.ts), for as many hops as the file holds at 16 kHz:
 *   the least ONNX Runtime itself costs for this audio, with no start-up, no
 *   file I/O, no FFT, no resampling.
 * - `process dtln` (`--fast`, the default chunk of `--fast`), `process dtln
 *   --chunk-ms 10` (the real-time chunk), `process dtln 16k` (the 16 kHz file):
 *   the whole command as a user runs it (`node quell process IN OUT --fast
 *   --json`), wall clock from spawn to exit: three stage processes started,
 *   the model loaded and warmed up, the file read, processed, written, read
 *   back and verified.
 * - `process passthrough` (default `--fast` chunk and `--chunk-ms 10`): the
 *   same pipeline with no model: what the three stages cost by themselves.
 *   Its ratio is to DTLN's floor too (passthrough's own floor is zero), so it
 *   reads as the share of the floor's time the pipeline alone takes.
 * - `start-up`: `process passthrough` on a 0.5 s file: the fixed cost.
 * - `folder ... --jobs N` (when the CLI has `--jobs`): a folder of 4 files
 *   (one pass each, 42.4 s in all) through DTLN, with 1 job and with one job
 *   per core; its floor is the single-core floor for 42.4 s.
 * Fields: wall_s (median wall seconds), x_realtime (audio seconds per wall
 * second), ratio_to_floor (median of the paired ratios floor seconds / wall
 * seconds, i.e. throughput / the floor's throughput; goal >= 0.8 for `process
 * dtln`), failed_runs (runs that exited non-zero, left out of the medians;
 * their first line is in `runs`), start_s / stream_s / finish_s (the command's own account of its
 * wall time, `phases` in its JSON: stages starting and the model loading;
 * streaming, first chunk to last; checking outputs and stopping the stages),
 * stream_ratio (floor seconds / stream_s: the throughput while audio flows,
 * start-up and shut-down left out), identical (the DTLN outputs of the default `--fast` chunk and of
 * 10 ms chunks compared sample for sample: 'yes' or the largest difference).
 * The config records the load average before and after the run.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_MODEL_STORE_DIR, fetchModels, PolyphaseResampler } from '@quell/inference';
import { resolveTestAudio } from '@quell/inference/testing';
import { monotonicNs } from '@quell/protocol';
import { encodeWav, readWav } from '@quell/runtime';
import { floorHop } from '../lib/ort-floor.js';
import { median, printTable, writeResult } from '../lib/results.js';

const PASSES = 6;
const REPEATS = 3;
const FOLDER_FILES = 4;
const HOP_FRAMES = 128;
const MODEL_RATE_HZ = 16_000;
const QUELL_BIN = fileURLToPath(new URL('../../../packages/cli/dist/main.js', import.meta.url));

interface ProcessRun {
  /** Wall seconds from spawn to exit. */
  wallS: number;
  /** The summary's phases (absent before they were reported). */
  phases?: { startSeconds: number; streamSeconds: number; finishSeconds: number };
}

/** Runs `quell process ... --fast --json` to completion. */
function quellProcess(args: string[]): Promise<ProcessRun> {
  return new Promise((resolve, reject) => {
    const started = monotonicNs();
    const child = spawn(process.execPath, [QUELL_BIN, 'process', ...args, '--fast', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      const wallS = (monotonicNs() - started) / 1e9;
      if (code === 0) resolve({ wallS, phases: (JSON.parse(stdout) as { phases?: ProcessRun['phases'] }).phases });
      else reject(new Error(`quell process ${args.join(' ')} exited ${code}: ${stderr}`));
    });
  });
}

/** Seconds the native floor takes for `hops` DTLN hops, after 200 to warm up (one timer around the loop). */
function floorSeconds(hop: () => Promise<void> | void, hops: number): number {
  for (let i = 0; i < 200; i++) void hop();
  const started = monotonicNs();
  for (let i = 0; i < hops; i++) void hop();
  return (monotonicNs() - started) / 1e9;
}

/** 'yes' when two WAV files hold the same samples, else the largest absolute difference (or a length mismatch). */
async function compare(a: string, b: string): Promise<string> {
  const [x, y] = [(await readWav(a)).samples, (await readWav(b)).samples];
  if (x.length !== y.length) return `length ${x.length} vs ${y.length}`;
  let maxDiff = 0;
  for (let i = 0; i < x.length; i++) maxDiff = Math.max(maxDiff, Math.abs(x[i] - y[i]));
  return maxDiff === 0 ? 'yes' : maxDiff.toExponential(2);
}

const hasJobs = await new Promise<boolean>((resolve) => {
  const child = spawn(process.execPath, [QUELL_BIN, 'process', '--help'], { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.once('close', () => resolve(out.includes('--jobs')));
});

await fetchModels(['dtln']);
const loadBefore = loadavg();
const dir = await mkdtemp(join(tmpdir(), 'quell-bench-process-'));
const speech = (await readWav(await resolveTestAudio('speech_noisy_snr0_48k.wav'))).samples;
const long = new Float32Array(speech.length * PASSES);
for (let i = 0; i < long.length; i++) long[i] = speech[i % speech.length];
const audioS = long.length / 48_000;
const in48 = join(dir, 'speech48k.wav');
await writeFile(in48, encodeWav(long, 48_000, 1));
const to16k = new PolyphaseResampler(48_000, MODEL_RATE_HZ);
const long16 = new Float32Array(to16k.maxOutputFrames(long.length));
const in16 = join(dir, 'speech16k.wav');
await writeFile(in16, encodeWav(long16.subarray(0, to16k.process(long, long16)), MODEL_RATE_HZ, 1));
const short = join(dir, 'short-in.wav');
await writeFile(short, encodeWav(speech.subarray(0, 24_000), 48_000, 1));
const folder = join(dir, 'folder');
await mkdir(folder);
for (let i = 0; i < FOLDER_FILES; i++) await writeFile(join(folder, `speech-${i}.wav`), encodeWav(speech, 48_000, 1));
const folderAudioS = (FOLDER_FILES * speech.length) / 48_000;

const hops = Math.floor((audioS * MODEL_RATE_HZ) / HOP_FRAMES);
const folderHops = Math.floor((folderAudioS * MODEL_RATE_HZ) / HOP_FRAMES);
const floorHopRun = await floorHop('dtln', DEFAULT_MODEL_STORE_DIR, 'native');
const out = (name: string): string => join(dir, `${name}.wav`);

interface Variant {
  name: string;
  audioS: number;
  /** Hops of the floor it is compared with. */
  hops: number;
  run: () => Promise<ProcessRun>;
}
const cores = availableParallelism();
const variants: Variant[] = [
  { name: 'process dtln', audioS, hops, run: () => quellProcess([in48, out('dtln'), '--model', 'dtln']) },
  { name: 'process dtln --chunk-ms 10', audioS, hops, run: () => quellProcess([in48, out('dtln-10ms'), '--model', 'dtln', '--chunk-ms', '10']) },
  { name: 'process dtln 16k', audioS, hops, run: () => quellProcess([in16, out('dtln-16k'), '--model', 'dtln']) },
  { name: 'process passthrough', audioS, hops, run: () => quellProcess([in48, out('pass'), '--model', 'passthrough']) },
  { name: 'process passthrough --chunk-ms 10', audioS, hops, run: () => quellProcess([in48, out('pass-10ms'), '--model', 'passthrough', '--chunk-ms', '10']) },
  { name: 'start-up (passthrough, 0.5 s)', audioS: 0.5, hops: Math.floor((0.5 * MODEL_RATE_HZ) / HOP_FRAMES), run: () => quellProcess([short, out('short'), '--model', 'passthrough']) },
];
for (const jobs of hasJobs ? [1, cores] : [0]) {
  const outDir = join(dir, `folder-out-${jobs}`);
  variants.push({
    name: jobs === 0 ? `folder ${FOLDER_FILES} files dtln` : `folder ${FOLDER_FILES} files dtln --jobs ${jobs}`,
    audioS: folderAudioS,
    hops: folderHops,
    run: async () => {
      await rm(outDir, { recursive: true, force: true });
      return quellProcess([folder, '--out-dir', outDir, '--model', 'dtln', ...(jobs === 0 ? [] : ['--jobs', String(jobs)])]);
    },
  });
}

const floorRuns: number[] = [];
const wall = new Map<string, number[]>(variants.map((v) => [v.name, []]));
const ratios = new Map<string, number[]>(variants.map((v) => [v.name, []]));
const phases = new Map<string, NonNullable<ProcessRun['phases']>[]>(variants.map((v) => [v.name, []]));
const streamRatios = new Map<string, number[]>(variants.map((v) => [v.name, []]));
const failures = new Map<string, string[]>(variants.map((v) => [v.name, []]));
for (let repeat = 0; repeat < REPEATS; repeat++) {
  for (const v of variants) {
    // Each run next to a floor run of its own, so a change in the machine's load moves both.
    const floorS = floorSeconds(floorHopRun, v.hops);
    if (v.hops === hops) floorRuns.push(floorS);
    const run = await v.run().catch((err: Error) => {
      // A failed run (exit 1: an output that did not check out) is counted and shown, not timed.
      failures.get(v.name)!.push(err.message.split('\n')[0].slice(0, 300));
      return null;
    });
    if (!run) continue;
    wall.get(v.name)!.push(run.wallS);
    ratios.get(v.name)!.push(floorS / run.wallS);
    if (run.phases) {
      phases.get(v.name)!.push(run.phases);
      streamRatios.get(v.name)!.push(floorS / run.phases.streamSeconds);
    }
  }
}
const identical = await compare(out('dtln'), out('dtln-10ms')).catch(() => 'no output');
const floorS = median(floorRuns);
const dash = (values: number[]): number | string => (values.length > 0 ? median(values) : '-');
const rows: Record<string, string | number>[] = [
  { variant: 'floor (native) dtln', wall_s: floorS, x_realtime: audioS / floorS, ratio_to_floor: 1, start_s: '-', stream_s: floorS, finish_s: '-', stream_ratio: 1, identical: '-', failed_runs: 0 },
];
for (const v of variants) {
  const wallS = dash(wall.get(v.name)!);
  const p = phases.get(v.name)!;
  rows.push({
    variant: v.name,
    wall_s: wallS,
    x_realtime: typeof wallS === 'number' ? v.audioS / wallS : '-',
    ratio_to_floor: dash(ratios.get(v.name)!),
    start_s: dash(p.map((x) => x.startSeconds)),
    stream_s: dash(p.map((x) => x.streamSeconds)),
    finish_s: dash(p.map((x) => x.finishSeconds)),
    stream_ratio: dash(streamRatios.get(v.name)!),
    identical: v.name === 'process dtln' ? identical : '-',
    failed_runs: failures.get(v.name)!.length,
  });
}
const loadAfter = loadavg();
printTable(`process: quell process --fast against the bare ONNX Runtime floor on ${audioS.toFixed(1)} s (goal: process dtln >= 0.8x the floor's throughput)`, rows);
const runs = Object.fromEntries([['floor_s', floorRuns], ...[...wall].map(([name, values]) => [name, { wall_s: values, phases: phases.get(name), failures: failures.get(name) }])]);
console.log(
  `\nwrote ${writeResult(
    'process',
    { passes: PASSES, repeats: REPEATS, audioS, inputRateHz: 48_000, input: `${PASSES}x speech_noisy_snr0_48k.wav`, folderFiles: FOLDER_FILES, loadavgBefore: loadBefore, loadavgAfter: loadAfter },
    { rows, runs },
  )}`,
);
await rm(dir, { recursive: true, force: true });
