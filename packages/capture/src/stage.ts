import { monotonicNs, Pacer, realTimeClock, type PacerClock } from '@quell/protocol';
import { attach, createPushSocket, MetricsServer, readWav, SendQueue, StartupError, type Logger, type StageHandle } from '@quell/runtime';
import type * as zmq from 'zeromq';
import { chunkFramesAt, type CaptureConfig } from './config.js';
import { CaptureMetrics } from './metrics.js';
import { ChunkSender } from './sender/chunk-sender.js';
import type { ChunkSource } from './sources/chunk-source.js';
import { SynthSource } from './sources/synth-source.js';
import { WavFileSource } from './sources/wav-file-source.js';

export interface CaptureStage extends StageHandle {
  readonly metricsPort: number;
  readonly metrics: CaptureMetrics;
  /** Resolves when every finite source has been sent (never for endless ones). */
  readonly finished: Promise<void>;
}

/** Opens each configured source up front so a bad file fails start-up, not the stream. */
async function openSources(config: CaptureConfig): Promise<ChunkSource[]> {
  if (config.source === 'synth') {
    return [
      new SynthSource({
        waveform: config.synthWaveform,
        frequencyHz: config.synthFrequencyHz,
        amplitude: config.synthAmplitude,
        sampleRateHz: config.sampleRateHz,
        channelCount: config.channels || 1,
        durationS: config.synthDurationS,
      }),
    ];
  }
  if (config.files.length === 0) throw new StartupError('ERR_NO_INPUT', "the file source needs at least one WAV file: pass --files a.wav[,b.wav]");
  const sources: ChunkSource[] = [];
  for (const path of config.files) {
    const audio = await readWav(path);
    if (audio.channelCount > 2 && !config.channels) throw new StartupError('ERR_CHANNELS', `'${path}' has ${audio.channelCount} channels: pass --channels 1 or 2`);
    sources.push(new WavFileSource(audio, config.channels || Math.min(audio.channelCount, 2), config.loop));
  }
  return sources;
}

/** Resolves once a receiver has connected to the bound socket. */
async function firstPeer(socket: zmq.Push): Promise<void> {
  for await (const event of socket.events) {
    if (event.type === 'accept') return;
  }
}

/**
 * capture: source → chunker → sender. One loop, clocked by the pacer's
 * absolute deadlines (or unpaced in `fast` mode), sends every source in turn
 * as its own stream.
 */
export async function createCaptureStage(config: CaptureConfig, log: Logger, clock: PacerClock = realTimeClock): Promise<CaptureStage> {
  const sources = await openSources(config);
  const socket = createPushSocket({ highWaterMarkChunks: config.highWaterMarkChunks });
  await attach(socket, config.endpoint, 'bind').catch((err: Error) => {
    throw new StartupError('ERR_BIND', `cannot bind ${config.endpoint} (${err.message}): pick another --endpoint`);
  });
  const queue = new SendQueue(socket, config.sendQueueChunks);
  const metrics = new CaptureMetrics(queue);
  const metricsServer = new MetricsServer(metrics.stage.registry);
  const metricsPort = await metricsServer.listen(config.metricsHost, config.metricsPort).catch((err: Error) => {
    throw new StartupError('ERR_BIND', `cannot serve metrics on ${config.metricsHost}:${config.metricsPort} (${err.message}): pick another --metrics-port`);
  });
  let stopping = false;

  async function sendStream(source: ChunkSource, streamId: number, pacer: Pacer | null): Promise<void> {
    const chunkFrames = chunkFramesAt(config, source.sampleRateHz);
    const sender = new ChunkSender(queue, metrics, streamId, source.sampleRateHz, source.channelCount);
    pacer?.retime(chunkFrames, source.sampleRateHz);
    metrics.activeStreams++;
    try {
      for (;;) {
        if (pacer) metrics.pacerLateness.record((await pacer.next()) / 1e9);
        const startedNs = monotonicNs();
        // The one accepted per-chunk allocation: the outgoing message's samples.
        const chunk = new Float32Array(chunkFrames * source.channelCount);
        const frames = source.read(chunk);
        const ended = frames < chunkFrames || stopping;
        const samples = frames < chunkFrames ? chunk.subarray(0, frames * source.channelCount) : chunk;
        if (pacer) sender.send(samples, ended);
        else await sender.sendAll(samples, ended);
        metrics.chunkProcessing.record((monotonicNs() - startedNs) / 1e9);
        if (ended) return;
      }
    } finally {
      metrics.activeStreams--;
    }
  }

  async function run(): Promise<void> {
    if (config.awaitPeer) await firstPeer(socket);
    const pacer = config.pace === 'realtime' ? new Pacer(clock, 1, sources[0].sampleRateHz) : null;
    for (let i = 0; i < sources.length && !stopping; i++) {
      await sendStream(sources[i], (config.streamId + i) >>> 0, pacer);
      log.info({ streamId: (config.streamId + i) >>> 0 }, 'stream sent');
    }
  }

  const finished = run();
  finished.catch((err: Error) => log.error({ err }, 'capture loop failed'));
  log.info({ endpoint: config.endpoint, metricsPort, source: config.source, pace: config.pace }, 'capture started');

  let closed: Promise<void> | null = null;
  return {
    metricsPort,
    info: { endpoint: socket.lastEndpoint ?? config.endpoint, metricsPort },
    metrics,
    finished,
    close() {
      closed ??= (async () => {
        stopping = true;
        // The loop sends one last chunk flagged end-of-stream, then returns.
        await Promise.race([finished.catch(() => undefined), new Promise((r) => setTimeout(r, 200))]);
        await queue.drain(800);
        await queue.close();
        socket.close();
        await metricsServer.close();
      })();
      return closed;
    },
  };
}
