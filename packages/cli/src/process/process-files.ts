import { copyFile, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { readWavFormat, scrapeMetrics, sumSamples, type MetricSample } from '@quell/runtime';
import { ledgerImbalances, streamLedgers, type StreamLedger } from '../status/ledger.js';
import type { FileJob } from './inputs.js';
import { ProgressReporter } from './progress.js';
import { splitJobs } from './split-jobs.js';
import { StageProcess, type StageMessage } from './stage-process.js';

export interface ProcessOptions {
  model: string;
  /** Chunk length, ms; default FAST_CHUNK_MS with `fast`, else REALTIME_CHUNK_MS. */
  chunkMs?: number;
  fast: boolean;
  /** Pipelines (three stages each) at once, ≥ 1; default the machine's cores (os.availableParallelism()); never more than the inputs. */
  jobs?: number;
  progress: 'auto' | 'quiet';
  /** Extra flags for the inference stage (e.g. --model-dir). */
  inferenceArgs?: string[];
}

/** One input's account: frames in, frames in its output, and any way its stream's ledger failed to balance. */
export interface FileResult {
  input: string;
  output: string;
  framesIn: number;
  /** Frames in the output file as written (0 when there is none). */
  framesWritten: number;
  /** ledgerImbalances() of its stream (docs/METRICS.md#the-ledger); empty when every chunk is accounted for. */
  imbalances: string[];
}

export interface ProcessSummary {
  model: string;
  files: number;
  /** Pipelines that ran at once (each its own three stages). */
  jobs: number;
  /** Chunk length the stages moved, ms. */
  chunkMs: number;
  /** Frames written, all outputs together (= framesIn when every output is complete). */
  frames: number;
  framesIn: number;
  framesWritten: number;
  audioSeconds: number;
  drops: number;
  gaps: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  wallSeconds: number;
  realtimeFactor: number;
  /**
   * Where the wall time went, seconds: `startSeconds` until every job's three
   * stages were ready (processes started, model loaded and warmed up),
   * `streamSeconds` from then until the last stream ended at playback,
   * `finishSeconds` the rest (ledgers, outputs read back and renamed, stages
   * stopped). Jobs overlap, so with several these are of the slowest.
   */
  phases: { startSeconds: number; streamSeconds: number; finishSeconds: number };
  outputs: string[];
  /** Per input, in order. */
  results: FileResult[];
  /** Inputs whose output is not to be trusted, with why (the command then exits 1; such an output is not left under its name). */
  failed: { input: string; reason: string }[];
}

interface StreamEnd extends StageMessage {
  streamId: number;
  framesPlayed: number;
  gaps: number;
  latencyP50S: number;
  latencyP99S: number;
}

const FIRST_STREAM_ID = 1;

/** The temporary name an output is written under, in its own folder, until it is complete and verified. */
export function partialName(output: string): string {
  return join(dirname(output), `.${basename(output)}.quell-${process.pid}.partial`);
}

/** Moves a finished stream file to `to` (any file system): renamed when it can be, else copied then removed. */
async function move(from: string, to: string): Promise<void> {
  await rename(from, to).catch(async (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EXDEV') throw err;
    await copyFile(from, to);
    await rm(from);
  });
}

/** A stream's counted drops as `stage reason count` phrases, bad-output aside (reported on its own). */
function droppedBy(ledger: StreamLedger): string[] {
  const out: string[] = [];
  for (const stage of ['capture', 'inference', 'playback'] as const) {
    for (const [reason, count] of Object.entries(ledger[stage]?.dropsByReason ?? {})) if (count > 0 && reason !== 'bad-output') out.push(`${stage} ${reason} ${count}`);
  }
  return out;
}

function dropsOf(samples: MetricSample[], stage: string): number {
  return sumSamples(samples, `quell_${stage}_drops_total`);
}

/** Chunk length of real-time runs, ms: a live call's chunk. */
export const REALTIME_CHUNK_MS = 10;

/**
 * Chunk length of `--fast` runs, ms. Each chunk costs every stage a fixed
 * amount (messages, metrics, event-loop turns: ~330 µs of CPU across the three
 * stages per chunk, about as much as DTLN's model time for 10 ms of audio),
 * so offline runs move fewer, larger chunks. The output does not depend on it:
 * every model is chunk-size invariant (same samples whatever the chunking,
 * test/integration/process-command.test.ts checks DTLN's output bit for bit
 * against 10 ms chunks). Measured with bench/scenarios/process.bench.ts.
 */
export const FAST_CHUNK_MS = 100;

/** One input with what its header says. */
interface Input {
  /** Position in the command's inputs. */
  index: number;
  job: FileJob;
  framesIn: number;
  sampleRateHz: number;
}

/** What one pipeline (three stages) did for its inputs. */
interface PipelineOutcome {
  results: { index: number; result: FileResult; reason: string | null }[];
  ends: StreamEnd[];
  drops: number;
  gaps: number;
  /** performance.now() when its three stages were ready, and when its last stream ended. */
  readyMs: number;
  endedMs: number;
}

/**
 * Runs the three stages as real child processes on free loopback ports,
 * streams every input through them (each file its own stream), and writes
 * the outputs aligned with the inputs. `jobs` pipelines run at once (each its
 * own three stages, started once for all its files), the inputs split
 * between them by length.
 */
export async function processFiles(jobs: FileJob[], options: ProcessOptions): Promise<ProcessSummary> {
  const startedMs = performance.now();
  const chunkMs = options.chunkMs ?? (options.fast ? FAST_CHUNK_MS : REALTIME_CHUNK_MS);
  // Headers only: the inputs are streamed by capture, never read whole here.
  const inputs: Input[] = [];
  for (const [index, job] of jobs.entries()) {
    const format = await readWavFormat(job.input);
    inputs.push({ index, job, framesIn: format.frameCount, sampleRateHz: format.sampleRateHz });
  }
  const totalFrames = inputs.reduce((sum, i) => sum + i.framesIn, 0);
  const audioSeconds = inputs.reduce((sum, i) => sum + i.framesIn / i.sampleRateHz, 0);
  const groups = splitJobs(
    inputs.map((i) => i.framesIn / i.sampleRateHz),
    options.jobs ?? availableParallelism(),
  );
  const progress = new ProgressReporter(
    inputs.map((i) => ({ name: basename(i.job.input), frameCount: i.framesIn, sampleRateHz: i.sampleRateHz })),
    { mode: options.progress },
  );
  // The first pipeline to fail stops the others; its error is the command's.
  const abort = new AbortController();
  let firstError: unknown;
  try {
    const settled = await Promise.allSettled(
      groups.map((group) =>
        runPipeline(
          group.map((i) => inputs[i]),
          chunkMs,
          options,
          progress,
          abort.signal,
        ).catch((err: unknown) => {
          if (!abort.signal.aborted) {
            firstError = err;
            abort.abort();
          }
          throw err;
        }),
      ),
    );
    if (abort.signal.aborted) throw firstError;
    const outcomes = settled.map((s) => (s as PromiseFulfilledResult<PipelineOutcome>).value);
    const byIndex = outcomes.flatMap((o) => o.results).sort((a, b) => a.index - b.index);
    const results = byIndex.map((r) => r.result);
    const failed = byIndex.filter((r) => r.reason !== null).map((r) => ({ input: r.result.input, reason: r.reason! }));
    const outputs = byIndex.filter((r) => r.reason === null).map((r) => r.result.output);
    const framesWritten = results.reduce((sum, r) => sum + r.framesWritten, 0);
    const ends = outcomes.flatMap((o) => o.ends);
    const median = (xs: number[]): number => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
    const endMs = performance.now();
    const wallSeconds = (endMs - startedMs) / 1000;
    const readyMs = Math.max(...outcomes.map((o) => o.readyMs));
    const endedMs = Math.max(...outcomes.map((o) => o.endedMs));
    return {
      model: options.model,
      files: jobs.length,
      jobs: groups.length,
      chunkMs,
      frames: framesWritten,
      framesIn: totalFrames,
      framesWritten,
      audioSeconds,
      drops: outcomes.reduce((sum, o) => sum + o.drops, 0),
      gaps: outcomes.reduce((sum, o) => sum + o.gaps, 0),
      latencyP50Ms: median(ends.map((e) => e.latencyP50S * 1000)),
      latencyP99Ms: Math.max(0, ...ends.map((e) => e.latencyP99S * 1000)),
      wallSeconds,
      realtimeFactor: audioSeconds / wallSeconds,
      phases: { startSeconds: (readyMs - startedMs) / 1000, streamSeconds: (endedMs - readyMs) / 1000, finishSeconds: (endMs - endedMs) / 1000 },
      outputs,
      results,
      failed,
    };
  } finally {
    progress.stop();
  }
}

/** One pipeline: three stages for `inputs`, one stream each, in order; outputs checked and moved into place. */
async function runPipeline(inputs: Input[], chunkMs: number, options: ProcessOptions, progress: ProgressReporter, abort: AbortSignal): Promise<PipelineOutcome> {
  const workDir = await mkdtemp(join(tmpdir(), 'quell-process-'));
  const quietLogs = ['--log-level', 'warn', '--metrics-port', '0'];
  const playback = new StageProcess('playback', [
    '--endpoint', 'tcp://127.0.0.1:*',
    '--sink', 'file',
    '--output', join(workDir, 'stream-{stream}.wav'),
    '--stream-idle-timeout-s', '3',
    ...quietLogs,
  ]);
  const capture = new StageProcess('capture', [
    '--source', 'file',
    '--files', JSON.stringify(inputs.map((i) => i.job.input)),
    '--pace', options.fast ? 'fast' : 'realtime',
    '--chunk-ms', String(chunkMs),
    '--control', 'tcp://127.0.0.1:*',
    '--stream-id', String(FIRST_STREAM_ID),
    ...quietLogs,
  ]);
  const stages: StageProcess[] = [playback, capture];
  const ended = new Map<number, StreamEnd>();
  // Stream FIRST_STREAM_ID + k carries inputs[k].
  const inputOf = (streamId: number): Input | undefined => inputs[streamId - FIRST_STREAM_ID];
  const aborted = new Promise<never>((_, reject) => {
    if (abort.aborted) reject(new Error('stopped: another job failed'));
    abort.addEventListener('abort', () => reject(new Error('stopped: another job failed')), { once: true });
  });
  aborted.catch(() => undefined);
  try {
    const [playbackInfo, captureInfo] = await Promise.race([Promise.all([playback.ready, capture.ready]), aborted]);
    const inference = new StageProcess('inference', [
      '--model', options.model,
      '--control', String(captureInfo.control),
      '--output-endpoint', String(playbackInfo.endpoint),
      '--backpressure', options.fast ? 'block' : 'drop',
      ...quietLogs,
      ...(options.inferenceArgs ?? []),
    ]);
    stages.push(inference);
    await Promise.race([inference.ready, aborted]);
    const readyMs = performance.now();
    const allEnded = new Promise<void>((resolve) => {
      playback.onMessage((m) => {
        if (m.type === 'progress') {
          for (const s of m.streams as { streamId: number; framesPlayed: number }[]) {
            const input = inputOf(s.streamId);
            if (input && !ended.has(s.streamId)) progress.update(input.index, s.framesPlayed);
          }
        } else if (m.type === 'stream-end') {
          const end = m as StreamEnd;
          ended.set(end.streamId, end);
          const input = inputOf(end.streamId);
          if (input) progress.finish(input.index);
        }
        if (ended.size === inputs.length) resolve();
      });
    });
    const stageDied = Promise.race(
      stages.map((s) => s.exited.then((code) => Promise.reject(new Error(`${s.stage} stopped unexpectedly (exit ${code}): ${s.stderrTail}`)))),
    );
    await Promise.race([allEnded, stageDied, aborted]);
    const endedMs = performance.now();
    const scraped = await Promise.all(
      [captureInfo, inference.ready, playbackInfo].map(async (info) => scrapeMetrics(`http://127.0.0.1:${(await info).metricsPort}/metrics`)),
    );
    const ledgers = new Map(streamLedgers({ capture: scraped[0], inference: [scraped[1]], playback: scraped[2] }).map((l) => [l.stream, l]));
    const results: PipelineOutcome['results'] = [];
    for (const [k, input] of inputs.entries()) {
      const { job, framesIn } = input;
      const stream = String(FIRST_STREAM_ID + k);
      const reasons: string[] = [];
      const badOutput = sumSamples(scraped[1], 'quell_inference_stream_drops_total', { stream, reason: 'bad-output' });
      if (badOutput > 0) reasons.push(`the model gave non-finite or implausible output for ${badOutput} chunk(s), concealed in the output (check the input for absurd sample values)`);
      const ledger = ledgers.get(stream);
      const imbalances = ledger ? ledgerImbalances(ledger) : ['no stage reported the stream'];
      if (imbalances.length > 0) reasons.push(`frames unaccounted for (${imbalances.join('; ')})`);
      const dropped = ledger ? droppedBy(ledger) : [];
      if (dropped.length > 0) reasons.push(`chunks dropped (${dropped.join(', ')}), concealed in the output`);
      // The proof: the output holds as many frames as the input (the file sink trims the model latency), read back from the file.
      const streamFile = join(workDir, `stream-${stream}.wav`);
      const written = await readWavFormat(streamFile).then(
        (f) => f.frameCount,
        () => 0,
      );
      if (written !== framesIn) reasons.push(`output has ${written} of ${framesIn} frames (${framesIn - written} missing)`);
      const result: FileResult = { input: job.input, output: job.output, framesIn, framesWritten: written, imbalances };
      if (reasons.length > 0) {
        results.push({ index: input.index, result, reason: `${reasons.join('; ')}; ${job.output} not written` });
        continue;
      }
      // Complete and verified: into the output's folder under a temporary name, then renamed (atomic within a folder).
      const partial = partialName(job.output);
      await mkdir(dirname(job.output), { recursive: true });
      try {
        await move(streamFile, partial);
        await rename(partial, job.output);
      } catch (err) {
        await rm(partial, { force: true });
        throw err;
      }
      results.push({ index: input.index, result, reason: null });
    }
    return {
      results,
      ends: [...ended.values()],
      drops: dropsOf(scraped[0], 'capture') + dropsOf(scraped[1], 'inference') + dropsOf(scraped[2], 'playback'),
      gaps: sumSamples(scraped[2], 'quell_playback_gaps_total'),
      readyMs,
      endedMs,
    };
  } finally {
    await Promise.all(stages.map((s) => s.stop()));
    await rm(workDir, { recursive: true, force: true });
  }
}

export function formatSummary(s: ProcessSummary): string {
  return (
    `quell process: ${s.files} file(s) in ${s.jobs} job(s), ${s.framesIn} frames in (${s.audioSeconds.toFixed(1)} s), ${s.framesWritten} written, with ${s.model}: ` +
    `drops ${s.drops}, gaps ${s.gaps}, latency p50 ${s.latencyP50Ms.toFixed(1)} ms p99 ${s.latencyP99Ms.toFixed(1)} ms, ` +
    `wall ${s.wallSeconds.toFixed(2)} s, ${s.realtimeFactor.toFixed(1)}x real time`
  );
}
