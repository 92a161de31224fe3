import { copyFile, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { readWavFormat, scrapeMetrics, sumSamples, type MetricSample } from '@quell/runtime';
import { ledgerImbalances, streamLedgers, type StreamLedger } from '../status/ledger.js';
import type { FileJob } from './inputs.js';
import { ProgressReporter } from './progress.js';
import { StageProcess, type StageMessage } from './stage-process.js';

export interface ProcessOptions {
  model: string;
  chunkMs: number;
  fast: boolean;
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

/**
 * Runs the three stages as real child processes on free loopback ports,
 * streams every input through them (each file its own stream), and writes
 * the outputs aligned with the inputs. Stages are started once for all files.
 */
export async function processFiles(jobs: FileJob[], options: ProcessOptions): Promise<ProcessSummary> {
  const startedMs = performance.now();
  let totalFrames = 0;
  let audioSeconds = 0;
  // Headers only: the inputs are streamed by capture, never read whole here.
  const framesIn: number[] = [];
  for (const job of jobs) {
    const format = await readWavFormat(job.input);
    framesIn.push(format.frameCount);
    totalFrames += format.frameCount;
    audioSeconds += format.frameCount / format.sampleRateHz;
  }
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
    '--files', JSON.stringify(jobs.map((j) => j.input)),
    '--pace', options.fast ? 'fast' : 'realtime',
    '--chunk-ms', String(options.chunkMs),
    '--control', 'tcp://127.0.0.1:*',
    '--stream-id', String(FIRST_STREAM_ID),
    ...quietLogs,
  ]);
  const stages: StageProcess[] = [playback, capture];
  const ended = new Map<number, StreamEnd>();
  const inFlight = new Map<number, number>();
  const progress = new ProgressReporter(totalFrames, options.progress);
  try {
    const [playbackInfo, captureInfo] = await Promise.all([playback.ready, capture.ready]);
    const inference = new StageProcess('inference', [
      '--model', options.model,
      '--control', String(captureInfo.control),
      '--output-endpoint', String(playbackInfo.endpoint),
      '--backpressure', options.fast ? 'block' : 'drop',
      ...quietLogs,
      ...(options.inferenceArgs ?? []),
    ]);
    stages.push(inference);
    await inference.ready;
    const allEnded = new Promise<void>((resolve) => {
      playback.onMessage((m) => {
        if (m.type === 'progress') {
          for (const s of m.streams as { streamId: number; framesPlayed: number }[]) inFlight.set(s.streamId, s.framesPlayed);
        } else if (m.type === 'stream-end') {
          const end = m as StreamEnd;
          ended.set(end.streamId, end);
          inFlight.delete(end.streamId);
        }
        let done = 0;
        for (const e of ended.values()) done += e.framesPlayed;
        for (const f of inFlight.values()) done += f;
        progress.update(done);
        if (ended.size === jobs.length) resolve();
      });
    });
    const stageDied = Promise.race(
      stages.map((s) => s.exited.then((code) => Promise.reject(new Error(`${s.stage} stopped unexpectedly (exit ${code}): ${s.stderrTail}`)))),
    );
    await Promise.race([allEnded, stageDied]);
    const scraped = await Promise.all(
      [captureInfo, inference.ready, playbackInfo].map(async (info) => scrapeMetrics(`http://127.0.0.1:${(await info).metricsPort}/metrics`)),
    );
    const drops = dropsOf(scraped[0], 'capture') + dropsOf(scraped[1], 'inference') + dropsOf(scraped[2], 'playback');
    const gaps = sumSamples(scraped[2], 'quell_playback_gaps_total');
    const ledgers = new Map(streamLedgers({ capture: scraped[0], inference: [scraped[1]], playback: scraped[2] }).map((l) => [l.stream, l]));
    const failed: ProcessSummary['failed'] = [];
    const results: FileResult[] = [];
    const outputs: string[] = [];
    for (let i = 0; i < jobs.length; i++) {
      const job = jobs[i];
      const stream = String(FIRST_STREAM_ID + i);
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
      if (written !== framesIn[i]) reasons.push(`output has ${written} of ${framesIn[i]} frames (${framesIn[i] - written} missing)`);
      results.push({ input: job.input, output: job.output, framesIn: framesIn[i], framesWritten: written, imbalances });
      if (reasons.length > 0) {
        failed.push({ input: job.input, reason: `${reasons.join('; ')}; ${job.output} not written` });
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
      outputs.push(job.output);
    }
    const framesWritten = results.reduce((sum, r) => sum + r.framesWritten, 0);
    const ends = [...ended.values()];
    const median = (xs: number[]): number => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
    const wallSeconds = (performance.now() - startedMs) / 1000;
    return {
      model: options.model,
      files: jobs.length,
      frames: framesWritten,
      framesIn: totalFrames,
      framesWritten,
      audioSeconds,
      drops,
      gaps,
      latencyP50Ms: median(ends.map((e) => e.latencyP50S * 1000)),
      latencyP99Ms: Math.max(0, ...ends.map((e) => e.latencyP99S * 1000)),
      wallSeconds,
      realtimeFactor: audioSeconds / wallSeconds,
      outputs,
      results,
      failed,
    };
  } finally {
    progress.stop();
    await Promise.all(stages.map((s) => s.stop()));
    await rm(workDir, { recursive: true, force: true });
  }
}

export function formatSummary(s: ProcessSummary): string {
  return (
    `quell process: ${s.files} file(s), ${s.framesIn} frames in (${s.audioSeconds.toFixed(1)} s), ${s.framesWritten} written, with ${s.model}: ` +
    `drops ${s.drops}, gaps ${s.gaps}, latency p50 ${s.latencyP50Ms.toFixed(1)} ms p99 ${s.latencyP99Ms.toFixed(1)} ms, ` +
    `wall ${s.wallSeconds.toFixed(2)} s, ${s.realtimeFactor.toFixed(1)}x real time`
  );
}
