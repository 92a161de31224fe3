import { decodeFrame, FrameFlags, Pacer, realTimeClock, type FrameHeader, type PacerClock } from '@quell/protocol';
import { attach, createPullSocket, MetricsServer, notifyParent, quiet, StartupError, type Logger, type StageHandle } from '@quell/runtime';
import type { PlaybackConfig } from './config.js';
import { StreamPlayout, type StreamSummary } from './jitter/stream-playout.js';
import { PlaybackMetrics } from './metrics.js';
import { createSink } from './sinks/create-sink.js';

export interface PlaybackStage extends StageHandle {
  readonly metricsPort: number;
  readonly metrics: PlaybackMetrics;
}

/**
 * playback: receiver → jitter buffer → sink, one StreamPlayout per stream.
 * File sinks are driven by arrivals; the null sink (and later devices) by a
 * playout clock per stream, which is where underruns happen.
 */
export async function createPlaybackStage(config: PlaybackConfig, log: Logger, clock: PacerClock = realTimeClock): Promise<PlaybackStage> {
  const clocked = config.clock === 'realtime' || (config.clock === 'auto' && config.sink !== 'file');
  const input = createPullSocket({ highWaterMarkChunks: config.highWaterMarkChunks });
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
  const metricsServer = new MetricsServer(metrics.stage.registry);
  const metricsPort = await metricsServer.listen(config.metricsHost, config.metricsPort).catch((err: Error) => {
    input.close();
    throw new StartupError('ERR_BIND', `cannot serve metrics on ${config.metricsHost}:${config.metricsPort} (${err.message}): pick another --metrics-port`);
  });
  const clockLoops = new Set<Promise<void>>();
  let closing = false;

  async function finish(stream: StreamPlayout): Promise<void> {
    if (streams.get(stream.streamId) !== stream) return;
    streams.delete(stream.streamId);
    lastSeenMs.delete(stream.streamId);
    await stream.close().catch((err: Error) => {
      metrics.sinkErrors++;
      log.error({ err, streamId: stream.streamId }, 'sink failed to finalise');
    });
    const summary: StreamSummary = stream.summary();
    log.info(summary, 'stream finished');
    notifyParent({ type: 'stream-end', ...summary });
  }

  async function runClock(stream: StreamPlayout, chunkFrames: number): Promise<void> {
    const pacer = new Pacer(clock, chunkFrames, stream.sampleRateHz);
    while (!closing && streams.get(stream.streamId) === stream && !stream.finished) {
      await pacer.next();
      stream.tick();
    }
    await finish(stream);
  }

  async function openStream(h: FrameHeader): Promise<StreamPlayout> {
    const sink = await createSink(config, h.stream, h.sampleRateHz, h.channelCount, h.delayFrames);
    const fadeFrames = Math.round((config.fadeMs / 1000) * h.sampleRateHz);
    const stream = new StreamPlayout(h.stream, h.sampleRateHz, h.channelCount, sink, config, fadeFrames, metrics);
    streams.set(h.stream, stream);
    log.info({ streamId: h.stream, sampleRateHz: h.sampleRateHz, channelCount: h.channelCount, destination: sink.destination }, 'stream started');
    if (clocked) {
      const loop = runClock(stream, Math.max(1, h.frameCount));
      clockLoops.add(loop);
      void loop.finally(() => clockLoops.delete(loop));
    }
    return stream;
  }

  async function receive(): Promise<void> {
    for await (const parts of input) {
      const frame = decodeFrame(parts);
      if (!frame.ok) {
        metrics.rejected[frame.reason]++;
        continue;
      }
      const h = frame.header;
      metrics.chunksReceived++;
      let stream = streams.get(h.stream);
      if (stream && (stream.sampleRateHz !== h.sampleRateHz || stream.channelCount !== h.channelCount)) {
        await finish(stream);
        stream = undefined;
      }
      stream ??= await openStream(h);
      lastSeenMs.set(h.stream, performance.now());
      stream.receive(h.seq, frame.samples, h.frameCount, h.captureTimeUs, h.delayFrames, (h.flags & FrameFlags.END_OF_STREAM) !== 0);
      if (!clocked) {
        stream.drainReady();
        if (stream.finished) await finish(stream);
      }
    }
  }

  const loop = receive().catch((err: Error) => log.error({ err }, 'playback receive loop failed'));
  const housekeeping = setInterval(() => {
    const cutoff = performance.now() - config.streamIdleTimeoutS * 1000;
    for (const [id, seen] of lastSeenMs) {
      const stream = streams.get(id);
      if (stream && seen < cutoff) void finish(stream);
    }
    if (streams.size > 0) notifyParent({ type: 'progress', streams: [...streams.values()].map((s) => ({ streamId: s.streamId, framesPlayed: s.summary().framesPlayed })) });
  }, 250);
  housekeeping.unref();
  log.info({ endpoint: config.endpoint, sink: config.sink, clock: clocked ? 'realtime' : 'arrival', metricsPort }, 'playback started');

  let closed: Promise<void> | null = null;
  return {
    metricsPort,
    info: { endpoint: input.lastEndpoint ?? config.endpoint, metricsPort },
    metrics,
    close() {
      closed ??= (async () => {
        clearInterval(housekeeping);
        // Give chunks already on the wire a moment to land before closing.
        await quiet(() => metrics.chunksReceived, 50, 600);
        closing = true;
        input.close();
        await loop;
        await Promise.all(clockLoops);
        for (const stream of [...streams.values()]) {
          if (!clocked) stream.drainReady();
          await finish(stream);
        }
        await metricsServer.close();
      })();
      return closed;
    },
  };
}

