import { encodeFrame, FrameFlags, monotonicNs, seqAdd, wallClockUs, type FrameHeader } from '@quell/protocol';
import type { Logger, SendQueue } from '@quell/runtime';
import { PrefixViews } from '../dsp/prefix-views.js';
import type { InferenceMetrics, InferenceStreamCounts } from '../metrics.js';
import { StreamFormatChangeError, type StreamState, type StreamTable } from '../streams/stream-table.js';
import type { DropInjector } from './drop-injector.js';
import { OVERLOAD_GUARD_OFF, OverloadGuard, RESET_MODEL, RUN_MODEL, type OverloadPolicy } from './overload-guard.js';
import { DEFAULT_OUTPUT_LIMIT, limitInput, plausibleOutput } from './sample-limits.js';

/** The real-time policies of the runner (see config.ts for each option and its default). */
export interface RunnerPolicyConfig {
  maxInputAgeMs: number;
  overloadPolicy: OverloadPolicy;
  overloadEnterMs: number;
  overloadExitMs: number;
  overloadHoldMs: number;
  testModelLoadMs: number;
}

/**
 * Runs each received chunk through its stream's model and hands the result
 * to the send queue, keeping seq, ts and capture time so playback can
 * reorder and measure end-to-end latency. At end-of-stream it flushes the
 * model's latency with silence so the output is as long as the input.
 */
export class ModelRunner {
  readonly #streams: StreamTable;
  readonly #queue: SendQueue;
  readonly #metrics: InferenceMetrics;
  readonly #log: Logger;
  readonly #blocking: boolean;
  readonly #dropInjector: DropInjector;
  /** Streams already logged as refused or failing, so a bad stream logs once, not once per chunk. */
  readonly #loggedStreams = new Set<number>();
  /** Input older than this is dropped as stale, µs; 0 = never (always 0 when blocking: offline runs have no deadline). */
  readonly #maxInputAgeUs: number;
  readonly #guard: OverloadGuard;
  readonly #testModelLoadNs: number;
  /** Output of warm-up chunks, discarded. */
  readonly #warmScratch = new PrefixViews();
  /** Largest plausible |output| sample of this model. */
  readonly #outputLimit: number;

  /**
   * `blocking` (offline, `--backpressure block`) or no `policy`: no deadline, so
   * neither stale drops nor the overload guard apply.
   */
  constructor(streams: StreamTable, queue: SendQueue, metrics: InferenceMetrics, log: Logger, blocking: boolean, dropInjector: DropInjector, policy?: RunnerPolicyConfig, outputLimit = DEFAULT_OUTPUT_LIMIT) {
    this.#streams = streams;
    this.#queue = queue;
    this.#metrics = metrics;
    this.#log = log;
    this.#blocking = blocking;
    this.#dropInjector = dropInjector;
    const realTime = blocking ? undefined : policy;
    this.#maxInputAgeUs = realTime ? realTime.maxInputAgeMs * 1000 : 0;
    this.#guard = new OverloadGuard(
      realTime
        ? {
            policy: realTime.overloadPolicy,
            enterAgeMs: realTime.overloadEnterMs,
            exitAgeMs: Math.min(realTime.overloadExitMs, realTime.overloadEnterMs),
            holdMs: realTime.overloadHoldMs,
          }
        : OVERLOAD_GUARD_OFF,
      log,
    );
    this.#testModelLoadNs = (policy?.testModelLoadMs ?? 0) * 1e6;
    this.#outputLimit = outputLimit;
    metrics.overload = this.#guard.counts;
  }

  async process(header: FrameHeader, samples: Float32Array): Promise<void> {
    const m = this.#metrics;
    m.chunksReceived++;
    // A stream with per-stream counters (state here, or ended moments ago) counts from here; a new stream's first chunk once its state exists.
    const known = m.streams.get(header.stream);
    if (known) {
      known.chunksReceived++;
      known.framesReceived += header.frameCount;
    }
    const nowMs = performance.now();
    m.lastInputMs = nowMs;
    const ageUs = wallClockUs() - header.captureTimeUs;
    m.inputAge.record(ageUs / 1e6);
    this.#guard.observe(ageUs / 1000, nowMs);
    // Real time: a chunk this old would be played late; dropping it lets the stream catch up (playback conceals the gap).
    if (this.#maxInputAgeUs > 0 && ageUs > this.#maxInputAgeUs && (header.flags & FrameFlags.END_OF_STREAM) === 0) {
      m.drops.stale++;
      if (known) {
        known.drops.stale++;
        known.framesDropped += header.frameCount;
      }
      return;
    }
    let stream: StreamState;
    try {
      stream = this.#streams.get(header.stream, header.sampleRateHz, header.channelCount, performance.now());
    } catch (err) {
      const reason = err instanceof StreamFormatChangeError ? 'format' : 'bad-stream';
      m.drops[reason]++;
      if (known) {
        known.drops[reason]++;
        known.framesDropped += header.frameCount;
      }
      if (this.#logOnce(header.stream)) this.#log.warn({ streamId: header.stream, reason: (err as Error).message }, reason === 'format' ? 'chunk in another format than its stream refused (further ones are only counted)' : 'stream refused by the model');
      return;
    }
    m.activeStreams = this.#streams.size;
    const endOfStream = (header.flags & FrameFlags.END_OF_STREAM) !== 0;
    const latency = stream.processor.latencyFrames;
    const plan = this.#guard.plan(header.stream, header.sampleRateHz, header.channelCount, latency, nowMs);
    if ((plan & RESET_MODEL) !== 0) {
      // The model missed the audio of the degraded period: start it afresh (same latency) and let it warm up.
      this.#streams.delete(header.stream);
      stream = this.#streams.get(header.stream, header.sampleRateHz, header.channelCount, nowMs);
    }
    const counts = stream.counts;
    if (counts !== known) {
      counts.chunksReceived++;
      counts.framesReceived += header.frameCount;
    }
    const startedNs = monotonicNs();
    m.clippedSamples += limitInput(samples);
    const output = new Float32Array(samples.length);
    try {
      if ((plan & RUN_MODEL) !== 0) {
        stream.processor.process(samples, output);
        if (this.#testModelLoadNs > 0) this.#busyWait(startedNs);
      }
      this.#guard.mix(header.stream, samples, output, (plan & RUN_MODEL) !== 0);
    } catch (err) {
      m.drops['process-error']++;
      counts.drops['process-error']++;
      counts.framesDropped += header.frameCount;
      if (this.#logOnce(header.stream)) this.#log.error({ streamId: header.stream, err }, 'model failed on a chunk (further failures of this stream are only counted)');
      return;
    }
    if (!plausibleOutput(output, this.#outputLimit)) {
      // The model's state is poisoned (a NaN stays in a recurrent state for good): start it afresh. Playback conceals the chunk;
      // the last one still goes, silent, so the stream ends where it should.
      m.drops['bad-output']++;
      counts.drops['bad-output']++;
      // The last chunk still goes (silent), so in the stream's ledger it is sent, not dropped: its frames are not lost.
      if (!endOfStream) counts.framesDropped += header.frameCount;
      if (this.#logOnce(header.stream)) this.#log.error({ streamId: header.stream, seq: header.seq }, 'model output was non-finite or implausible: stream state reset, chunk dropped (further ones are only counted)');
      this.#streams.delete(header.stream);
      if (!endOfStream) return;
      output.fill(0);
      stream = this.#streams.get(header.stream, header.sampleRateHz, header.channelCount, nowMs);
    }
    const elapsedS = (monotonicNs() - startedNs) / 1e9;
    m.chunkProcessing.record(elapsedS);
    m.processingSecondsWindow += elapsedS;
    m.processingSecondsTotal += elapsedS;
    m.audioSecondsWindow += header.frameCount / header.sampleRateHz;
    m.audioFramesProcessed += header.frameCount;
    counts.processing.record(elapsedS);
    counts.processingSecondsWindow += elapsedS;
    counts.audioSecondsWindow += header.frameCount / header.sampleRateHz;
    const lsnrDb = stream.processor.lsnrDb;
    if (lsnrDb !== undefined && m.lsnrByStream.size < 1024) m.lsnrByStream.set(header.stream, lsnrDb);
    header.delayFrames += latency;
    header.flags = endOfStream && latency > 0 ? header.flags & ~FrameFlags.END_OF_STREAM : header.flags;
    await this.#send(header, output, counts);
    if (!endOfStream) return;
    if (latency > 0) await this.#flushTail(stream, header);
    this.#guard.forget(header.stream);
    this.#streams.delete(header.stream);
    m.lsnrByStream.delete(header.stream);
    m.activeStreams = this.#streams.size;
  }

  /**
   * Warm-up input (FrameFlags.WARM_UP, docs/SWAP.md): runs the chunk through
   * its stream's model so the state settles before this node's output is
   * heard, and sends nothing. Warm-up chunks are up to ~1 s old by design, so
   * the stale-input and overload policies do not apply. End-of-stream drops
   * the stream's state. Returns false when the stream or chunk was refused.
   */
  warmUp(header: FrameHeader, samples: Float32Array): boolean {
    let stream: StreamState;
    this.#metrics.clippedSamples += limitInput(samples);
    try {
      stream = this.#streams.get(header.stream, header.sampleRateHz, header.channelCount, performance.now());
      stream.processor.process(samples, this.#warmScratch.prefix(samples.length));
    } catch (err) {
      const reason = err instanceof StreamFormatChangeError ? 'format' : 'process-error';
      this.#metrics.drops[reason]++;
      const known = this.#metrics.streams.get(header.stream);
      if (known) known.drops[reason]++;
      return false;
    }
    this.#metrics.warmUpChunks++;
    if (header.flags & FrameFlags.END_OF_STREAM) this.#streams.delete(header.stream);
    this.#metrics.activeStreams = this.#streams.size;
    return true;
  }

  /** Pushes `latencyFrames` of silence through the model so the tail comes out, as one final chunk. */
  async #flushTail(stream: StreamState, last: FrameHeader): Promise<void> {
    const latency = stream.processor.latencyFrames;
    const silence = new Float32Array(latency * stream.channelCount);
    const output = new Float32Array(silence.length);
    stream.processor.process(silence, output);
    // While degraded the tail is what is left in the dry delay line.
    this.#guard.mix(stream.streamId, silence, output, true);
    const tail: FrameHeader = {
      ...last,
      seq: seqAdd(last.seq, 1),
      ts: seqAdd(last.ts, last.frameCount),
      frameCount: latency,
      flags: last.flags | FrameFlags.END_OF_STREAM,
    };
    stream.counts.tailChunks++;
    stream.counts.tailFrames += latency;
    await this.#send(tail, output, stream.counts);
  }

  /** Test hook: spins until `loadNs` after `startedNs`, emulating a heavier model. */
  #busyWait(startedNs: number): void {
    const until = startedNs + this.#testModelLoadNs;
    while (monotonicNs() < until);
  }

  /** True the first time a stream is reported; the set is bounded so stream-id churn cannot grow it. */
  #logOnce(streamId: number): boolean {
    if (this.#loggedStreams.has(streamId)) return false;
    if (this.#loggedStreams.size >= 1024) this.#loggedStreams.clear();
    this.#loggedStreams.add(streamId);
    return true;
  }

  async #send(header: FrameHeader, output: Float32Array, counts: InferenceStreamCounts): Promise<void> {
    if (this.#dropInjector.shouldDrop()) {
      this.#metrics.drops.injected++;
      counts.drops.injected++;
      counts.framesDropped += header.frameCount;
      return;
    }
    const parts = encodeFrame(header, output);
    // put() is false only once the queue closed (stopping): the chunk never left.
    const queued = this.#blocking ? await this.#queue.put(parts) : this.#queue.offer(parts);
    if (queued) {
      counts.chunksSent++;
      counts.framesSent += header.frameCount;
    } else {
      this.#metrics.drops['queue-full']++;
      counts.drops['queue-full']++;
      counts.framesDropped += header.frameCount;
    }
  }
}
