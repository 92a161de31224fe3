import { decodeFrame, FrameFlags, Pacer, realTimeClock, type FrameHeader, type PacerClock } from '@quell/protocol';
import { attach, createLinkSecurity, createPullSocket, deviceBufferFrames, LATENCY_PRESETS, loopFailure, MetricsServer, onLinkClosed, receiveMessages, RejectedFrameLog, notifyParent, quiet, stageDeviceTarget, StartupError, type Logger, type StageHandle } from '@quell/runtime';
import type { PlaybackConfig } from './config.js';
import { DevicePlayout } from './playout/device-playout.js';
import { DevicePlayouts } from './playout/device-playouts.js';
import { parseRoutes } from './playout/device-routes.js';
import { StreamPlayout, type StreamSummary } from './playout/stream-playout.js';
import { PlaybackMetrics } from './metrics.js';
import { createSink } from './sinks/create-sink.js';
import { StreamAdmission } from './playout/stream-admission.js';

/** A clocked stream's first chunk must last this long: its clock ticks once per chunk. */
const MIN_CLOCKED_CHUNK_S = 0.001;
/** A playout clock further behind than this (the process was held up) skips ahead instead of ticking through the backlog. */
const MAX_CLOCK_BEHIND_NS = 200e6;
/** Samples an arrival-driven stream writes before the receive loop yields to the event loop (~2 ms of copying). */
const DRAIN_SLICE_SAMPLES = 192_000;
/** A stream the sink refused is not tried again for this long. */
const UNPLAYABLE_FOR_MS = 5000;

export interface PlaybackStage extends StageHandle {
  readonly metricsPort: number;
  readonly metrics: PlaybackMetrics;
}

/**
 * playback: receiver → jitter buffer → sink, one StreamPlayout per stream.
 * File sinks are driven by arrivals; the null sink by a playout clock per
 * stream, which is where underruns happen. The device sink is clocked by the
 * device: DevicePlayout ticks the jitter buffer whenever the device takes a
 * block and holds the buffer at a target level by drift correction.
 */
export async function createPlaybackStage(config: PlaybackConfig, log: Logger, clock: PacerClock = realTimeClock): Promise<PlaybackStage> {
  const deviceMode = config.sink === 'device';
  const clocked = !deviceMode && (config.clock === 'realtime' || (config.clock === 'auto' && config.sink !== 'file'));
  const security = await createLinkSecurity(config, 'playback', [{ endpoint: config.endpoint, mode: config.connect ? 'connect' : 'bind' }]);
  const input = createPullSocket({ highWaterMarkChunks: config.highWaterMarkChunks, curve: security.curve[0] });
  await attach(input, config.endpoint, config.connect ? 'connect' : 'bind').catch((err: Error) => {
    throw new StartupError('ERR_BIND', `cannot bind ${config.endpoint} (${err.message}): pick another --endpoint`);
  });
  const streams = new Map<number, StreamPlayout>();
  const lastSeenMs = new Map<number, number>();
  const jitterView = {
    get depth() {
      let depth = 0;
      for (const s of streams.values()) depth += s.jitter.depth;
      return depth;
    },
    get streamCount() {
      return streams.size;
    },
  };
  const metrics = new PlaybackMetrics(jitterView, config.prefillChunks);
  onLinkClosed(input, () => metrics.inputLinksClosed++);
  const metricsServer = new MetricsServer(metrics.stage.registry);
  const metricsPort = await metricsServer.listen(config.metricsHost, config.metricsPort).catch((err: Error) => {
    input.close();
    throw new StartupError('ERR_BIND', `cannot serve metrics on ${config.metricsHost}:${config.metricsPort} (${err.message}): pick another --metrics-port`);
  });
  const preset = LATENCY_PRESETS[config.latency];
  const targetMinMs = config.targetMinMs || preset.targetMinMs;
  const targetMarginMs = config.targetMarginMs || preset.targetMarginMs;
  const devicePlayouts = deviceMode
    ? new DevicePlayouts(stageDeviceTarget(config.device), parseRoutes(config.route), (target) =>
        new DevicePlayout({
          device: target.device,
          pulseDevice: target.pulseDevice,
          sampleRateHz: config.deviceRateHz,
          channelCount: config.deviceChannels || 1,
          framesPerBuffer: deviceBufferFrames(config.latency, config.deviceRateHz, config.framesPerBuffer),
          target: { minTargetS: targetMinMs / 1000, maxTargetS: Math.max(targetMinMs, config.targetMaxMs) / 1000, marginS: targetMarginMs / 1000 },
          controller: { maxTrimPpm: config.driftMaxTrimPpm },
          maxExcessS: Math.max(targetMinMs, config.targetMaxMs) / 1000,
          log,
          onStreamFinished: (s) => {
            const stream = streams.get(s.streamId);
            if (stream) void finish(stream);
          },
        }),
      )
    : undefined;
  if (devicePlayouts) {
    metrics.device = devicePlayouts;
    metrics.addDeviceState(devicePlayouts);
    await devicePlayouts.start();
  }
  const clockLoops = new Set<Promise<void>>();
  const admission = new StreamAdmission({ maxStreams: config.maxStreams, maxNewStreamsPerS: config.maxNewStreamsPerS, minChunkS: clocked ? MIN_CLOCKED_CHUNK_S : 0, unplayableForMs: UNPLAYABLE_FOR_MS });
  /** Streams whose dry chunks were refused for their format (logged once each). */
  const dryFormatLogged = new Set<number>();
  let closing = false;

  async function finish(stream: StreamPlayout): Promise<void> {
    if (streams.get(stream.streamId) !== stream) return;
    streams.delete(stream.streamId);
    lastSeenMs.delete(stream.streamId);
    dryFormatLogged.delete(stream.streamId);
    devicePlayouts?.for(stream.streamId).detach(stream);
    await stream.close().catch((err: Error) => {
      metrics.sinkErrors++;
      log.error({ err, streamId: stream.streamId }, 'sink failed to finalise');
    });
    const summary: StreamSummary = stream.summary();
    log.info(summary, 'stream finished');
    notifyParent({ type: 'stream-end', ...summary });
  }

  async function runClock(stream: StreamPlayout, chunkFrames: number): Promise<void> {
    let pacer = new Pacer(clock, chunkFrames, stream.sampleRateHz);
    while (!closing && streams.get(stream.streamId) === stream && !stream.finished) {
      const latenessNs = await pacer.next();
      if (latenessNs > MAX_CLOCK_BEHIND_NS) {
        metrics.clockResets++;
        stream.clockSkipped();
        pacer = new Pacer(clock, chunkFrames, stream.sampleRateHz);
      }
      stream.tick();
      // A pacer that is behind resolves in a microtask: yield every tick so receiving and /metrics always get their turn.
      // (Yielding only when a chunk behind saved a promise per tick but let a scrape flood cost 2 underruns in a fresh-clone run.)
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    await finish(stream);
  }

  /** Device sink: another stream is live on `playout`'s device (it sent something within --device-takeover-ms). */
  function deviceBusy(playout: DevicePlayout, nowMs: number): boolean {
    for (const [id, seen] of lastSeenMs) if (streams.has(id) && devicePlayouts?.for(id) === playout && nowMs - seen < config.deviceTakeoverMs) return true;
    return false;
  }

  async function openStream(h: FrameHeader): Promise<StreamPlayout> {
    const fadeFrames = Math.round((config.fadeMs / 1000) * h.sampleRateHz);
    const format = { streamId: h.stream, sampleRateHz: h.sampleRateHz, channelCount: h.channelCount, fadeFrames, metrics };
    let stream: StreamPlayout;
    const devicePlayout = devicePlayouts?.for(h.stream);
    if (devicePlayout) {
      devicePlayout.assertPlayable(h.sampleRateHz, h.channelCount);
      // One stream plays on a device at a time: a new one takes over only from a stream gone quiet (deviceBusy).
      for (const old of [...streams.values()]) if (devicePlayouts?.for(old.streamId) === devicePlayout) await finish(old);
      const chunkFrames = Math.max(1, h.frameCount);
      // Start playing once the jitter buffer holds the smallest target; the drift corrector takes it from there.
      const prefillChunks = Math.max(config.prefillChunks, Math.ceil((targetMinMs / 1000) * h.sampleRateHz / chunkFrames));
      stream = new StreamPlayout({ ...format, destination: devicePlayout.destination, options: { ...config, prefillChunks } });
      devicePlayout.play(stream, chunkFrames);
    } else {
      const sink = await createSink(config, h.stream, h.sampleRateHz, h.channelCount, h.delayFrames);
      stream = new StreamPlayout({ ...format, sink, options: config });
    }
    streams.set(h.stream, stream);
    log.info({ streamId: h.stream, sampleRateHz: h.sampleRateHz, channelCount: h.channelCount, destination: stream.destination }, 'stream started');
    if (clocked) {
      const loop = runClock(stream, Math.max(1, h.frameCount));
      clockLoops.add(loop);
      void loop.finally(() => clockLoops.delete(loop));
    }
    return stream;
  }

  /**
   * A dry-path chunk (capture's unprocessed copy): kept by its stream for
   * --conceal dry, never written to the jitter buffer, never opens a stream.
   */
  function receiveDry(h: FrameHeader, samples: Float32Array): void {
    metrics.dryChunksReceived++;
    const stream = streams.get(h.stream);
    if (config.conceal !== 'dry') metrics.dryDrops.disabled++;
    else if (!stream) metrics.dryDrops['no-stream']++;
    else if (stream.sampleRateHz !== h.sampleRateHz || stream.channelCount !== h.channelCount) {
      metrics.dryDrops.format++;
      if (!dryFormatLogged.has(h.stream)) {
        dryFormatLogged.add(h.stream);
        log.warn({ streamId: h.stream }, `dry chunks of stream ${h.stream} are ${h.sampleRateHz} Hz × ${h.channelCount} ch, the processed stream ${stream.sampleRateHz} Hz × ${stream.channelCount} ch: no dry concealment for it`);
      }
    } else {
      stream.receiveDry(h.seq, h.ts, samples, h.frameCount);
      // A stream the dry path keeps alive is not idle (an inference outage can outlast the idle timeout).
      lastSeenMs.set(h.stream, performance.now());
    }
  }

  const rejectedLog = new RejectedFrameLog(log, 'quell_playback_rejected_messages_total');
  async function receive(): Promise<void> {
    for await (const parts of receiveMessages(input)) {
      const frame = decodeFrame(parts);
      if (!frame.ok) {
        metrics.rejected[frame.reason]++;
        rejectedLog.note(frame);
        continue;
      }
      const h = frame.header;
      if (h.flags & FrameFlags.DRY) {
        receiveDry(h, frame.samples);
        continue;
      }
      metrics.chunksReceived++;
      let stream = streams.get(h.stream);
      if (stream && (stream.sampleRateHz !== h.sampleRateHz || stream.channelCount !== h.channelCount)) {
        // A format change inside a stream is refused: reopening would restart (or truncate) its file or device stream.
        stream.refuse('format', h.frameCount);
        continue;
      }
      if (!stream) {
        const nowMs = performance.now();
        const refusal = devicePlayouts && deviceBusy(devicePlayouts.for(h.stream), nowMs) ? 'device-busy' : admission.admit(h, streams.size, nowMs);
        if (refusal) {
          metrics.drops[refusal]++;
          continue;
        }
        try {
          stream = await openStream(h);
        } catch (err) {
          // A stream the device cannot play (other rate, too many channels): counted, logged, its chunks dropped for a while.
          admission.markUnplayable(h.stream, nowMs);
          metrics.sinkErrors++;
          metrics.drops.unplayable++;
          log.error({ err: (err as Error).message, streamId: h.stream }, 'cannot play stream');
          continue;
        }
      }
      lastSeenMs.set(h.stream, performance.now());
      const status = stream.receive(h, frame.samples);
      if (devicePlayouts) {
        if (status === 'ok' || status === 'resync') devicePlayouts.for(h.stream).arrive(stream, h.frameCount);
      } else if (!clocked) {
        while (stream.drainReady(DRAIN_SLICE_SAMPLES)) await new Promise<void>((resolve) => setImmediate(resolve));
        if (stream.finished) await finish(stream);
        else {
          // A file sink behind its disk: stop reading until it catches up, so the sender waits (--fast) instead of audio being lost.
          const backlog = stream.sinkBacklog();
          if (backlog) await backlog;
        }
      }
    }
  }

  const { failed, fail } = loopFailure();
  const loop = receive().catch((err: Error) => {
    log.error({ err }, 'playback receive loop failed');
    fail(new Error(`the receive loop failed (${err.message})`));
  });
  const housekeeping = setInterval(() => {
    const cutoff = performance.now() - config.streamIdleTimeoutS * 1000;
    for (const [id, seen] of lastSeenMs) {
      const stream = streams.get(id);
      if (stream && seen < cutoff) void finish(stream);
    }
    if (streams.size > 0) notifyParent({ type: 'progress', streams: [...streams.values()].map((s) => ({ streamId: s.streamId, framesPlayed: s.summary().framesPlayed })) });
  }, 250);
  housekeeping.unref();
  log.info({ endpoint: config.endpoint, sink: config.sink, clock: clocked ? 'realtime' : 'arrival', conceal: config.conceal, metricsPort }, 'playback started');

  let closed: Promise<void> | null = null;
  return {
    metricsPort,
    info: { endpoint: input.lastEndpoint ?? config.endpoint, metricsPort },
    metrics,
    failed,
    close() {
      closed ??= (async () => {
        clearInterval(housekeeping);
        // Give chunks already on the wire a moment to land before closing.
        await quiet(() => metrics.chunksReceived, 50, 600);
        closing = true;
        input.close();
        await security.close();
        await loop;
        await Promise.all(clockLoops);
        for (const stream of [...streams.values()]) {
          if (!clocked && !devicePlayouts) stream.drainReady();
          await finish(stream);
        }
        await devicePlayouts?.close();
        await metricsServer.close();
      })();
      return closed;
    },
  };
}

