/**
 * `quell process` on a 5 GiB file with bounded memory (issue 16: "a 5 GB
 * sparse WAV processed with RSS under a stated bound").
 *
 * Input: a sparse RF64 WAV (runtime's buildWavHeader, the writers' 80-byte
 * header with ds64) of 27 963 s of float32 mono at 48 kHz: 5 368 896 000
 * bytes of data (5.0 GiB), holes (zeros) that take no disk space, except a
 * one-second tone at three places: the start, across the 4 GiB mark (of the
 * data and of the file) and the last second. QUELL_LARGE_FILE_S sets another
 * length in seconds (e.g. 2796 for 0.5 GiB, to compare the peaks of a file a
 * tenth as long; a region past the end is left out). The output is written
 * for real (5 GiB), so the scenario needs ~6 GiB free (1 GiB more than the
 * data): it works under QUELL_BENCH_TMP, else os.tmpdir(), else the
 * repository root, the first with room, and sets TMPDIR there for the command
 * (its work folder, where the stream file grows, is then on the same file
 * system as the output). Input and output are deleted at the end.
 *
 * Run: `node packages/cli/dist/main.js process IN.wav OUT.wav --model
 * passthrough --fast --json` as a child process, with `--fast`'s own chunk
 * (100 ms; QUELL_BENCH_CHUNK_MS passes `--chunk-ms`, which does not change
 * the output). Every 250 ms the scenario walks the command's process tree
 * (/proc/PID/stat ppid) and reads each process's VmRSS and VmHWM from
 * /proc/PID/status, and the progress from the size of the stream file in the
 * command's work folder (bytes written / the input's data bytes).
 *
 * The bound, stated before the run and checked after it (exit 1 if not met):
 * - every process (the CLI and each of its three stages) peaks under
 *   MAX_PROCESS_RSS_MIB (400 MiB) of RSS, sampled and by the kernel's VmHWM;
 * - the whole tree together peaks under MAX_TREE_RSS_MIB (1 GiB);
 * - memory does not grow with the file's length: each process's RSS around
 *   90% of the progress exceeds its RSS around 10% by less than
 *   MAX_GROWTH_MIB (48 MiB) over those 4 GiB of audio ("around": the median
 *   of the samples with progress within ±5 points, ~20 samples, so one GC
 *   saw-tooth peak, up to ~25 MiB in playback, does not decide it; the peaks
 *   are bounded by the first two rules). Not less: playback's heap (RssAnon)
 *   takes one step of 20-30 MiB some 20-30 s into the stream, whatever the
 *   file's length (at 40-55% of 5 GiB, 25-30% of 10 GiB, 10-15% of 20 GiB),
 *   and is flat after it: the peaks of 5, 10 and 20 GiB are alike (163, 155,
 *   159 MiB; 130 on 0.5 GiB, which ends before the step). A leak of 250 bytes
 *   per 100 ms chunk (53 MiB over those 4 GiB) still fails;
 * - the command exits 0, the output's header (read with readWavFormat) says
 *   as many frames as the input's, and the three tone seconds and three
 *   seconds in the holes are byte-identical to the input's (passthrough);
 *   only those regions are read, never the whole file.
 *
 * Fields: wall_s (spawn to exit), x_realtime (audio seconds / wall_s),
 * summary (the command's --json: frames, drops, gaps, phases, chunkMs); per
 * process: peak_rss_mib (sampled), hwm_mib (VmHWM, the kernel's peak between
 * samples included), rss_10/50/90_mib (median RSS around 10, 50 and 90% of
 * the progress), max_10/max_90_mib (the largest sample there), growth_mib
 * (rss_90 - rss_10), anon_growth_mib (the same for RssAnon: the heaps, RSS
 * less mapped files; not bounded, it tells a leak from pages of the binary
 * touched late); samples (downsampled to at most 200: t_s, progress, each
 * process's RSS and RssAnon and the tree's sum, MiB); checks (each region
 * compared, frame counts, the output's RIFF id); problems (what broke the
 * bound or a check). The config records NODE_OPTIONS and the load average
 * before and after.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, open, rm, statfs } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildWavHeader, readWavFormat, WAV_HEADER_BYTES } from '@quell/runtime';
import { monotonicNs } from '@quell/protocol';
import { median, printTable, REPO_ROOT, writeResult } from '../lib/results.js';

const RATE_HZ = 48_000;
const BYTES_PER_FRAME = 4;
/** 27 963 s of float32 mono at 48 kHz: 5.0 GiB, whole seconds (as runtime's wav-large.test.ts). */
const AUDIO_SECONDS = Number(process.env.QUELL_LARGE_FILE_S ?? 27_963);
const FRAMES = AUDIO_SECONDS * RATE_HZ;
const DATA_BYTES = FRAMES * BYTES_PER_FRAME;
const MIB = 2 ** 20;
const GIB = 2 ** 30;
/** The bound, per process and for the whole tree. */
const MAX_PROCESS_RSS_MIB = 400;
const MAX_TREE_RSS_MIB = 1024;
/** Largest RSS growth allowed from 10% to 90% of the progress, per process. */
const MAX_GROWTH_MIB = 48;
const SAMPLE_MS = 250;
/** Kill the run past this (a stall must not hold the machine). */
const TIMEOUT_MS = 40 * 60_000;
/** Free space the scenario needs where it works: the output and some room. */
const NEED_FREE_BYTES = DATA_BYTES + GIB;
const QUELL_BIN = fileURLToPath(new URL('../../../packages/cli/dist/main.js', import.meta.url));
const chunkArgs = process.env.QUELL_BENCH_CHUNK_MS ? ['--chunk-ms', process.env.QUELL_BENCH_CHUNK_MS] : [];

/** A one-second tone region, checked in the output; holes are regions with no tone (zeros). */
interface Region {
  name: string;
  startFrame: number;
  frames: number;
  /** Tone frequency in Hz, or 0 for a hole. */
  toneHz: number;
}
const allRegions: Region[] = [
  { name: 'tone at start', startFrame: 0, frames: RATE_HZ, toneHz: 440 },
  // Half a second each side of data byte 4 GiB (the file's 4 GiB mark is 80 bytes, 20 frames, before it).
  { name: 'tone across 4 GiB', startFrame: GIB - RATE_HZ / 2, frames: RATE_HZ, toneHz: 1000 },
  { name: 'tone at end', startFrame: FRAMES - RATE_HZ, frames: RATE_HZ, toneHz: 3000 },
  { name: 'hole at 25%', startFrame: Math.floor(FRAMES / 4), frames: RATE_HZ, toneHz: 0 },
  { name: 'hole at 50%', startFrame: Math.floor(FRAMES / 2), frames: RATE_HZ, toneHz: 0 },
  { name: 'hole at 75%', startFrame: Math.floor((3 * FRAMES) / 4), frames: RATE_HZ, toneHz: 0 },
];
/** The regions inside the file that overlap none listed before them (a file shorter than 5 GiB has fewer). */
const regions = allRegions.filter(
  (r, i) => r.startFrame >= 0 && r.startFrame + r.frames <= FRAMES && !allRegions.slice(0, i).some((o) => r.startFrame < o.startFrame + o.frames && o.startFrame < r.startFrame + r.frames),
);

/** The first of QUELL_BENCH_TMP, os.tmpdir() and the repository root with NEED_FREE_BYTES free. */
async function workBase(): Promise<{ base: string; freeGiB: number }> {
  const candidates = [process.env.QUELL_BENCH_TMP, tmpdir(), REPO_ROOT].filter((p): p is string => !!p);
  for (const base of candidates) {
    const fs = await statfs(base).catch(() => null);
    if (fs && fs.bavail * fs.bsize >= NEED_FREE_BYTES) return { base, freeGiB: (fs.bavail * fs.bsize) / GIB };
  }
  throw new Error(`large-file: none of ${candidates.join(', ')} has ${(NEED_FREE_BYTES / GIB).toFixed(1)} GiB free for the output; set QUELL_BENCH_TMP to a folder that has`);
}

/** Writes the sparse input: the header, holes, and each tone region's samples at its place. */
async function makeSparseInput(path: string): Promise<void> {
  const header = buildWavHeader(RATE_HZ, 1, 'float32', DATA_BYTES);
  const file = await open(path, 'w');
  try {
    await file.write(header, 0, header.length, 0);
    await file.truncate(header.length + DATA_BYTES);
    for (const r of regions.filter((x) => x.toneHz > 0)) {
      const tone = Float32Array.from({ length: r.frames }, (_, i) => 0.5 * Math.sin((2 * Math.PI * r.toneHz * i) / RATE_HZ));
      await file.write(Buffer.from(tone.buffer), 0, tone.byteLength, header.length + r.startFrame * BYTES_PER_FRAME);
    }
  } finally {
    await file.close();
  }
}

/** The bytes of `frames` frames from `startFrame` of a WAV file's data (read at their offset only). */
async function readRegion(path: string, dataOffset: number, startFrame: number, frames: number): Promise<Buffer> {
  const file = await open(path, 'r');
  try {
    const bytes = Buffer.alloc(frames * BYTES_PER_FRAME);
    const { bytesRead } = await file.read(bytes, 0, bytes.length, dataOffset + startFrame * BYTES_PER_FRAME);
    return bytes.subarray(0, bytesRead);
  } finally {
    await file.close();
  }
}

/** pid -> ppid of every process now (from /proc/PID/stat; the name field may hold spaces and parentheses). */
function parentMap(): Map<number, number> {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parents.set(Number(entry), Number(fields[1]));
    } catch {
      // Gone between the listing and the read.
    }
  }
  return parents;
}

/** `root` and all its descendants. */
function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const [pid, ppid] of parentMap()) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  const tree: number[] = [];
  const todo = [root];
  while (todo.length > 0) {
    const pid = todo.pop()!;
    tree.push(pid);
    todo.push(...(children.get(pid) ?? []));
  }
  return tree;
}

/** VmRSS, VmHWM and RssAnon (the heaps: RSS less mapped files and shared memory) of a process, bytes; null once it has gone. */
function memoryOf(pid: number): { rss: number; hwm: number; anon: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'latin1');
    const kib = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
    return { rss: kib('VmRSS'), hwm: kib('VmHWM'), anon: kib('RssAnon') };
  } catch {
    return null;
  }
}

/** A name for a process of the tree: 'cli', the stage its command line runs, or its command name. */
function labelOf(pid: number, root: number): string {
  if (pid === root) return 'cli';
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').join(' ');
    const stage = /\b(capture|inference|playback)\b/.exec(cmdline)?.[1];
    if (stage) return stage;
    return `${readFileSync(`/proc/${pid}/comm`, 'latin1').trim()}-${pid}`;
  } catch {
    return `pid-${pid}`;
  }
}

/** Bytes of the stream file the command is writing in its work folder under `workTmp` (0 before it exists, null after it has moved). */
function streamFileBytes(workTmp: string): number | null {
  try {
    for (const dir of readdirSync(workTmp).filter((d) => d.startsWith('quell-process-'))) {
      for (const f of readdirSync(join(workTmp, dir)).filter((x) => /^stream-\d+\.wav$/.test(x))) return statSync(join(workTmp, dir, f)).size;
    }
    return 0;
  } catch {
    return null;
  }
}

interface Sample {
  tS: number;
  progress: number;
  /** RSS by process label, bytes. */
  rss: Record<string, number>;
  /** RssAnon by process label, bytes. */
  anon: Record<string, number>;
  total: number;
}

interface ProcessPeak {
  label: string;
  pid: number;
  peakRss: number;
  hwm: number;
}

const { base, freeGiB } = await workBase();
const dir = await mkdtemp(join(base, base === REPO_ROOT ? '.quell-bench-large-file-' : 'quell-bench-large-file-'));
const input = join(dir, 'in.wav');
const output = join(dir, 'out.wav');
const workTmp = join(dir, 'tmp');
await mkdir(workTmp);
console.log(
  `large-file: ${AUDIO_SECONDS} s of float32 mono 48 kHz (${(DATA_BYTES / GIB).toFixed(2)} GiB, sparse ${DATA_BYTES + 72 > 0xffff_ffff ? 'RF64' : 'RIFF'}) through quell process --model passthrough --fast in ${dir} (${freeGiB.toFixed(0)} GiB free)\n` +
    `bound: each process's RSS < ${MAX_PROCESS_RSS_MIB} MiB, the tree's < ${MAX_TREE_RSS_MIB} MiB, each process's RSS growth from 10% to 90% of the progress (median around each) < ${MAX_GROWTH_MIB} MiB`,
);

const loadBefore = loadavg();
const samples: Sample[] = [];
const peaks = new Map<number, ProcessPeak>();
let exitCode: number | null = null;
let stdout = '';
let stderr = '';
let wallS = 0;
let timedOut = false;
let timer: NodeJS.Timeout | undefined;
let watchdog: NodeJS.Timeout | undefined;
try {
  await makeSparseInput(input);
  const inFormat = await readWavFormat(input);
  if (inFormat.frameCount !== FRAMES) throw new Error(`the input's header says ${inFormat.frameCount} frames, not ${FRAMES}`);
  const inputBlocks = statSync(input).blocks;
  console.log(`input: ${inFormat.frameCount} frames, ${statSync(input).size} bytes, ${((inputBlocks * 512) / MIB).toFixed(1)} MiB on disk`);

  const started = monotonicNs();
  const child = spawn(process.execPath, [QUELL_BIN, 'process', input, output, '--model', 'passthrough', '--fast', '--json', ...chunkArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TMPDIR: workTmp },
  });
  const root = child.pid!;
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-8000)));
  const labels = new Map<number, string>();
  let progress = 0;
  let lastReport = 0;
  const sample = (): void => {
    const tS = (monotonicNs() - started) / 1e9;
    const written = streamFileBytes(workTmp);
    if (written !== null && written > 0) progress = Math.max(progress, Math.max(0, written - WAV_HEADER_BYTES) / DATA_BYTES);
    const rss: Record<string, number> = {};
    const anon: Record<string, number> = {};
    let total = 0;
    for (const pid of processTree(root)) {
      const mem = memoryOf(pid);
      if (!mem || mem.rss === 0) continue;
      if (!labels.has(pid)) labels.set(pid, labelOf(pid, root));
      const label = labels.get(pid)!;
      rss[label] = (rss[label] ?? 0) + mem.rss;
      anon[label] = (anon[label] ?? 0) + mem.anon;
      total += mem.rss;
      const peak = peaks.get(pid) ?? { label, pid, peakRss: 0, hwm: 0 };
      peak.peakRss = Math.max(peak.peakRss, mem.rss);
      peak.hwm = Math.max(peak.hwm, mem.hwm);
      peaks.set(pid, peak);
    }
    samples.push({ tS, progress, rss, anon, total });
    if (tS - lastReport >= 30) {
      lastReport = tS;
      console.log(`t=${tS.toFixed(0)} s, ${(progress * 100).toFixed(1)}%, RSS ${Object.entries(rss).map(([k, v]) => `${k} ${(v / MIB).toFixed(0)}`).join(', ')} MiB`);
    }
  };
  timer = setInterval(sample, SAMPLE_MS);
  watchdog = setTimeout(() => {
    timedOut = true;
    // Only processes this scenario started: the command and its descendants, by pid.
    for (const pid of processTree(root).reverse()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }, TIMEOUT_MS);
  exitCode = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
  wallS = (monotonicNs() - started) / 1e9;
} catch (err) {
  await rm(dir, { recursive: true, force: true });
  throw err;
} finally {
  clearInterval(timer);
  clearTimeout(watchdog);
}

// The checks: exit code, frame count, regions; read only the regions.
const problems: string[] = [];
const checks: Record<string, string> = {};
let summary: Record<string, unknown> = {};
if (timedOut) problems.push(`timed out after ${TIMEOUT_MS / 60_000} min and was killed`);
if (exitCode !== 0) problems.push(`quell process exited ${exitCode}: ${stderr.trim().split('\n').slice(-5).join(' | ')} ${stdout.slice(0, 2000)}`);
try {
  summary = JSON.parse(stdout) as Record<string, unknown>;
} catch {
  if (exitCode === 0) problems.push(`no JSON summary: ${stdout.slice(0, 300)}`);
}
try {
  if (exitCode === 0) {
    const outFormat = await readWavFormat(output);
    const head = await readRegion(output, 0, 0, 1);
    checks.output_riff_id = head.toString('ascii', 0, 4);
    checks.frames = `${outFormat.frameCount} of ${FRAMES}`;
    if (outFormat.frameCount !== FRAMES) problems.push(`output has ${outFormat.frameCount} frames, input ${FRAMES}`);
    if (outFormat.sampleRateHz !== RATE_HZ || outFormat.channelCount !== 1) problems.push(`output is ${outFormat.sampleRateHz} Hz, ${outFormat.channelCount} channel(s)`);
    const inFormat = await readWavFormat(input);
    for (const r of regions) {
      const a = await readRegion(input, inFormat.dataOffset, r.startFrame, r.frames);
      const b = await readRegion(output, outFormat.dataOffset, r.startFrame, r.frames);
      const inSamples = new Float32Array(a.buffer, a.byteOffset, a.length / 4);
      const outSamples = new Float32Array(b.buffer, b.byteOffset, b.length / 4);
      const toneOk = r.toneHz === 0 ? inSamples.every((x) => x === 0) : inSamples.some((x) => x !== 0);
      if (!toneOk) problems.push(`input region '${r.name}' is not what was written`);
      if (a.equals(b)) {
        checks[r.name] = 'identical';
        continue;
      }
      let maxDiff = 0;
      let first = -1;
      for (let i = 0; i < Math.min(inSamples.length, outSamples.length); i++) {
        const d = Math.abs(inSamples[i] - outSamples[i]);
        if (d > 0 && first < 0) first = i;
        maxDiff = Math.max(maxDiff, d);
      }
      checks[r.name] = `differs: ${outSamples.length} of ${inSamples.length} frames read, first at +${first}, max |diff| ${maxDiff.toExponential(2)}`;
      problems.push(`region '${r.name}' (frames ${r.startFrame}..${r.startFrame + r.frames}) ${checks[r.name]}`);
    }
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}

// Memory: per process and for the tree, at 10, 50 and 90% of the progress.
/** RSS (or RssAnon) of `label` (or of the tree) in the samples with progress within ±5 points of `at`: their median and largest; null when none. */
function rssAround(at: number, label: string | null, field: 'rss' | 'anon' = 'rss'): { median: number; max: number } | null {
  const near = samples.filter((s) => Math.abs(s.progress - at) <= 0.05 && (label === null || s[field][label] !== undefined));
  if (near.length === 0) return null;
  const values = near.map((s) => (label === null ? s.total : s[field][label]));
  return { median: median(values), max: Math.max(...values) };
}
const mib = (bytes: number | null): number | string => (bytes === null ? '-' : bytes / MIB);
const rows: Record<string, string | number>[] = [];
const memory: Record<string, unknown>[] = [];
for (const p of [...peaks.values()].sort((a, b) => a.pid - b.pid)) {
  const [a10, a50, a90] = [0.1, 0.5, 0.9].map((at) => rssAround(at, p.label));
  const [r10, r50, r90] = [a10, a50, a90].map((a) => a?.median ?? null);
  const growth = r10 !== null && r90 !== null ? r90 - r10 : null;
  const [n10, n90] = [0.1, 0.9].map((at) => rssAround(at, p.label, 'anon')?.median ?? null);
  const anonGrowth = n10 !== null && n90 !== null ? n90 - n10 : null;
  const peak = Math.max(p.peakRss, p.hwm);
  const ok = peak < MAX_PROCESS_RSS_MIB * MIB && (growth === null || growth < MAX_GROWTH_MIB * MIB);
  if (peak >= MAX_PROCESS_RSS_MIB * MIB) problems.push(`${p.label} (pid ${p.pid}) peaked at ${(peak / MIB).toFixed(1)} MiB, bound ${MAX_PROCESS_RSS_MIB} MiB`);
  if (growth !== null && growth >= MAX_GROWTH_MIB * MIB) problems.push(`${p.label} (pid ${p.pid}) grew ${(growth / MIB).toFixed(1)} MiB from 10% to 90% of the file, bound ${MAX_GROWTH_MIB} MiB`);
  if (growth === null && ['capture', 'inference', 'playback'].includes(p.label)) problems.push(`${p.label}: no RSS sample near 10% or 90% of the progress`);
  const row = { process: p.label, pid: p.pid, peak_rss_mib: p.peakRss / MIB, hwm_mib: p.hwm / MIB, rss_10_mib: mib(r10), rss_50_mib: mib(r50), rss_90_mib: mib(r90), max_10_mib: mib(a10?.max ?? null), max_90_mib: mib(a90?.max ?? null), growth_mib: mib(growth), anon_growth_mib: mib(anonGrowth), ok: ok ? 'yes' : 'NO' };
  rows.push(row);
  memory.push(row);
}
const treePeak = Math.max(0, ...samples.map((s) => s.total));
const [b10, b50, b90] = [0.1, 0.5, 0.9].map((at) => rssAround(at, null));
const [t10, t50, t90] = [b10, b50, b90].map((a) => a?.median ?? null);
if (treePeak >= MAX_TREE_RSS_MIB * MIB) problems.push(`the tree peaked at ${(treePeak / MIB).toFixed(1)} MiB, bound ${MAX_TREE_RSS_MIB} MiB`);
const treeRow = { process: 'all (sum)', pid: '-', peak_rss_mib: treePeak / MIB, hwm_mib: '-', rss_10_mib: mib(t10), rss_50_mib: mib(t50), rss_90_mib: mib(t90), max_10_mib: mib(b10?.max ?? null), max_90_mib: mib(b90?.max ?? null), growth_mib: t10 !== null && t90 !== null ? (t90 - t10) / MIB : '-', anon_growth_mib: '-', ok: treePeak < MAX_TREE_RSS_MIB * MIB ? 'yes' : 'NO' };
rows.push(treeRow);
memory.push(treeRow);

const phases = summary.phases as { startSeconds: number; streamSeconds: number; finishSeconds: number } | undefined;
printTable(
  `large-file: ${(DATA_BYTES / GIB).toFixed(2)} GiB (${AUDIO_SECONDS} s) through quell process --fast, wall ${wallS.toFixed(1)} s, ${(AUDIO_SECONDS / wallS).toFixed(0)}x real time` +
    (phases ? ` (start ${phases.startSeconds.toFixed(2)} s, stream ${phases.streamSeconds.toFixed(1)} s, finish ${phases.finishSeconds.toFixed(2)} s)` : '') +
    `; RSS (MiB), bound < ${MAX_PROCESS_RSS_MIB} per process, < ${MAX_TREE_RSS_MIB} in all, growth 10%->90% (medians) < ${MAX_GROWTH_MIB}`,
  rows,
);
printTable(
  'large-file: output checks',
  Object.entries(checks).map(([check, result]) => ({ check, result })),
);

// At most 200 samples in the result, evenly spaced (the last one kept).
const step = Math.max(1, Math.ceil(samples.length / 200));
const kept = samples.filter((_, i) => i % step === 0 || i === samples.length - 1).map((s) => ({
  t_s: Number(s.tS.toFixed(2)),
  progress: Number(s.progress.toFixed(4)),
  total_mib: Number((s.total / MIB).toFixed(1)),
  ...Object.fromEntries(Object.entries(s.rss).map(([k, v]) => [`${k}_mib`, Number((v / MIB).toFixed(1))])),
  ...Object.fromEntries(Object.entries(s.anon).map(([k, v]) => [`${k}_anon_mib`, Number((v / MIB).toFixed(1))])),
}));
const resultPath = writeResult(
  'large-file',
  {
    audioSeconds: AUDIO_SECONDS,
    frames: FRAMES,
    dataBytes: DATA_BYTES,
    format: 'float32 mono 48 kHz, sparse RF64 (buildWavHeader)',
    command: `quell process IN OUT --model passthrough --fast --json ${chunkArgs.join(' ')}`.trim(),
    workDir: base,
    freeGiBBefore: Number(freeGiB.toFixed(1)),
    sampleMs: SAMPLE_MS,
    nodeOptions: process.env.NODE_OPTIONS ?? '',
    loadavgBefore: loadBefore,
    loadavgAfter: loadavg(),
    bound: { maxProcessRssMiB: MAX_PROCESS_RSS_MIB, maxTreeRssMiB: MAX_TREE_RSS_MIB, maxGrowth10to90MiB: MAX_GROWTH_MIB },
  },
  {
    exitCode,
    wall_s: wallS,
    x_realtime: AUDIO_SECONDS / wallS,
    summary,
    memory,
    checks,
    problems,
    samples: kept,
  },
);
console.log(`\nwrote ${resultPath}`);
if (problems.length > 0) {
  console.log(`\nlarge-file: FAILED the bound or the checks:\n- ${problems.join('\n- ')}`);
  process.exit(1);
}
console.log('\nlarge-file: within the bound, output checked');
