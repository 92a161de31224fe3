import { monotonicNs, Pacer, realTimeClock, wallClockUs, WireLimits, type PacerClock } from '@quell/protocol';
import { AudioDeviceError, attach, type DeviceTarget, createLinkSecurity, createPushSocket, deviceBufferFrames, loopFailure, MetricsServer, ReopenBackoff, SendQueue, StartupError, type LinkSpec, type Logger, type StageHandle, WavStreamReader } from '@quell/runtime';
import type * as zmq from 'zeromq';
import { chunkFramesAt, dataPortRange, type CaptureConfig } from './config.js';
import { CaptureMetrics } from './metrics.js';
import { InferenceRouter } from './router/inference-router.js';
import type { ChunkOutlet } from './sender/chunk-outlet.js';
import { ChunkSender } from './sender/chunk-sender.js';
import { DryPath } from './sender/dry-path.js';
import { captureInputs, type CaptureInput } from './sources/capture-inputs.js';
import type { ChunkSource } from './sources/chunk-source.js';
import { DeviceSource } from './sources/device-source.js';
import { SynthSource } from './sources/synth-source.js';
import { WavFileSource } from './sources/wav-file-source.js';

export interface CaptureStage extends StageHandle {
  readonly metricsPort: number;
  readonly metrics: CaptureMetrics;
  /** Resolves when every finite source has been sent (never for endless ones). */
  readonly finished: Promise<void>;
}

/** An input with what it sends: the opened file or synth sources (one stream each, in turn), or none for a device. */
interface OpenedInput {
  readonly input: CaptureInput;
  readonly sources: ChunkSource[];
}

/** Opens every file and synth source up front, so a bad file fails start-up, not the stream. */
async function openInputs(config: CaptureConfig, inputs: CaptureInput[]): Promise<OpenedInput[]> {
  const opened: OpenedInput[] = [];
  for (const input of inputs) {
    if (input.kind === 'device') {
      // The device is opened by the device loop, which retries; only an impossible channel layout fails start-up.
      if ((config.channels || 1) === 2 && config.deviceChannels === 1) throw new StartupError('ERR_CHANNELS', 'a mono device (--device-channels 1) cannot give --channels 2');
      opened.push({ input, sources: [] });
    } else if (input.kind === 'synth') {
      const synth = new SynthSource({
        waveform: config.synthWaveform,
        frequencyHz: config.synthFrequencyHz,
        amplitude: config.synthAmplitude,
        sampleRateHz: config.sampleRateHz,
        channelCount: config.channels || 1,
        durationS: config.synthDurationS,
      });
      opened.push({ input, sources: [synth] });
    } else {
      if (input.paths.length === 0) throw new StartupError('ERR_NO_INPUT', "the file source needs at least one WAV file: pass --files a.wav[,b.wav]");
      opened.push({ input, sources: await openFiles(config, input.paths) });
    }
  }
  return opened;
}

async function openFiles(config: CaptureConfig, paths: readonly string[]): Promise<ChunkSource[]> {
  const sources: ChunkSource[] = [];
  for (const path of paths) {
    const reader = await WavStreamReader.open(path);
    const audio = reader.format;
    if (audio.sampleRateHz < WireLimits.minSampleRateHz || audio.sampleRateHz > WireLimits.maxSampleRateHz) throw new StartupError('ERR_SAMPLE_RATE', `'${path}' is at ${audio.sampleRateHz} Hz: the file source takes ${WireLimits.minSampleRateHz}..${WireLimits.maxSampleRateHz} Hz (resample it, e.g. 'sox in.wav -r 48000 out.wav')`);
    if (audio.channelCount > 2 && !config.channels) throw new StartupError('ERR_CHANNELS', `'${path}' has ${audio.channelCount} channels: pass --channels 1 or 2`);
    sources.push(new WavFileSource(reader, config.channels || Math.min(audio.channelCount, 2), config.loop));
  }
  return sources;
}

/** Resolves once a receiver has connected to the bound socket. */
async function firstPeer(socket: zmq.Push): Promise<void> {
  for await (const event of socket.events) {
    if (event.type === 'accept') return;
  }
}

/** Direct mode: the first receiver on the PUSH; routed mode: the first active inference node with its input connected. */
function firstReceiver(socket: zmq.Push | null, router: InferenceRouter | null, stopped: Promise<void>): Promise<void> {
  if (router) return router.firstNode(stopped);
  return Promise.race([firstPeer(socket!), stopped]);
}

/**
 * capture: source → chunker → sender, for every `--source` entry at once. A
 * file or synth entry is one loop, clocked by its pacer's absolute deadlines
 * (or unpaced in `fast` mode), that sends its sources in turn, each as its own
 * stream. A device entry is clocked by the device instead: each chunk its
 * callbacks complete is sent at once, as one endless stream.
 */
export async function createCaptureStage(config: CaptureConfig, log: Logger, clock: PacerClock = realTimeClock): Promise<CaptureStage> {
  const inputs = await openInputs(config, captureInputs(config));
  const sources = inputs.flatMap((i) => i.sources);
  const hasDevice = inputs.some((i) => i.input.kind === 'device');
  const routed = config.control !== '';
  // Routed mode binds the control socket and, per inference node, a PUSH on the same host: one link to check.
  // The dry path connects to playback: a CURVE client with playback's server key.
  const links: LinkSpec[] = [{ endpoint: routed ? config.control : config.endpoint, mode: 'bind' }];
  if (config.dryEndpoint) links.push({ endpoint: config.dryEndpoint, mode: 'connect' });
  const security = await createLinkSecurity(config, 'capture', links);
  let outletView: { readonly depth: number; readonly sentCount: number } = { depth: 0, sentCount: 0 };
  const metrics = new CaptureMetrics({
    get depth() {
      return outletView.depth;
    },
    get sentCount() {
      return outletView.sentCount;
    },
  });
  let socket: zmq.Push | null = null;
  let queue: SendQueue | null = null;
  let router: InferenceRouter | null = null;
  let outlet: ChunkOutlet;
  if (routed) {
    const chunkMs = config.chunkFrames > 0 ? (config.chunkFrames * 1000) / config.sampleRateHz : config.chunkMs;
    router = await InferenceRouter.open(
      {
        controlEndpoint: config.control,
        curve: security.curve[0],
        dataServer: (nodeKey) => security.dedicatedServer([nodeKey]),
        dataKeyRequired: security.enabled,
        maxNodes: config.maxNodes,
        dataPorts: dataPortRange(config),
        drainTimeoutMs: config.drainTimeoutMs,
        gate: { ratePerS: config.controlRatePerS, burst: config.controlBurst, maxPeers: 256, maxWatchers: 16, watchTtlMs: config.swapTimeoutMs + 5000 },
        warmUpChunks: Math.max(1, Math.round(config.warmUpMs / chunkMs)),
        sendQueueChunks: config.sendQueueChunks,
        highWaterMarkChunks: config.highWaterMarkChunks,
        nodeTimeoutMs: config.nodeTimeoutMs,
        warmUpTimeoutMs: config.warmUpTimeoutMs,
        swapTimeoutMs: config.swapTimeoutMs,
        maxLagChunks: config.maxLagChunks,
        fadeChunks: config.fadeChunks,
        drops: metrics.drops,
        countHandoverCopy: (streamId, frameCount) => {
          const counts = metrics.streams.get(streamId);
          if (!counts) return;
          counts.handoverCopies++;
          counts.handoverCopyFrames += frameCount;
        },
        swapDuration: metrics.swapDuration,
        pool: config.nodePool,
      },
      log,
    ).catch((err: Error) => {
      throw new StartupError('ERR_BIND', `cannot bind ${config.control} (${err.message}): pick another --control`);
    });
    metrics.addRouter(router);
    outletView = router;
    outlet = router;
  } else {
    socket = createPushSocket({ highWaterMarkChunks: config.highWaterMarkChunks, curve: security.curve[0] });
    await attach(socket, config.endpoint, 'bind').catch((err: Error) => {
      throw new StartupError('ERR_BIND', `cannot bind ${config.endpoint} (${err.message}): pick another --endpoint`);
    });
    const direct = new SendQueue(socket, config.sendQueueChunks);
    queue = direct;
    outletView = direct;
    outlet = {
      offer: (parts) => (direct.offer(parts) ? null : 'queue-full'),
      // False only once the queue closed (stopping): the chunk never left.
      put: async (parts) => ((await direct.put(parts)) ? null : 'queue-full'),
    };
  }
  const dry = config.dryEndpoint
    ? await DryPath.open({ endpoint: config.dryEndpoint, curve: security.curve[1], queueChunks: config.sendQueueChunks, highWaterMarkChunks: config.highWaterMarkChunks }).catch((err: Error) => {
        throw new StartupError('ERR_CONNECT', `cannot connect the dry path to ${config.dryEndpoint} (${err.message}): check --dry-endpoint`);
      })
    : null;
  metrics.dry = dry ?? undefined;
  const metricsServer = new MetricsServer(metrics.stage.registry);
  const metricsPort = await metricsServer.listen(config.metricsHost, config.metricsPort).catch((err: Error) => {
    throw new StartupError('ERR_BIND', `cannot serve metrics on ${config.metricsHost}:${config.metricsPort} (${err.message}): pick another --metrics-port`);
  });
  let stopping = false;
  let stop: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (stop = resolve));

  async function sendStream(source: ChunkSource, streamId: number, pacer: Pacer | null): Promise<void> {
    const chunkFrames = chunkFramesAt(config, source.sampleRateHz);
    const sender = new ChunkSender(outlet, metrics, streamId, source.sampleRateHz, source.channelCount, dry);
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
      metrics.streams.end(streamId);
    }
  }

  /** Sends a file or synth entry's sources one after another, each its own stream, on a pacer of its own. */
  async function runSources(opened: OpenedInput): Promise<void> {
    const { sources: entrySources, input } = opened;
    const pacer = config.pace === 'realtime' ? new Pacer(clock, 1, entrySources[0].sampleRateHz) : null;
    for (let i = 0; i < entrySources.length && !stopping; i++) {
      const streamId = (input.firstStreamId + i) >>> 0;
      await sendStream(entrySources[i], streamId, pacer);
      await entrySources[i].close?.();
      log.info({ streamId }, 'stream sent');
    }
  }

  /**
   * A device entry: DeviceSource's callbacks drive the chunks (no pacer). A device that is missing or refuses to
   * open is logged, counted in quell_capture_device_errors_total and retried with backoff (100 ms doubling to
   * 5 s), so the stage stays up and serves metrics instead of crash-looping; once open, DeviceSource reopens
   * it by itself after failures.
   */
  async function runDevice(target: DeviceTarget, streamId: number): Promise<void> {
    const sampleRateHz = config.sampleRateHz;
    const channelCount = config.channels || 1;
    const chunkFrames = chunkFramesAt(config, sampleRateHz);
    const chunkUs = (chunkFrames * 1e6) / sampleRateHz;
    const sender = new ChunkSender(outlet, metrics, streamId, sampleRateHz, channelCount, dry);
    const backoff = new ReopenBackoff();
    let failures = 0;
    while (!stopping) {
      const source = new DeviceSource({
        device: target.device,
        pulseDevice: target.pulseDevice,
        sampleRateHz,
        channelCount,
        deviceChannelCount: config.deviceChannels || channelCount,
        chunkFrames,
        framesPerBuffer: deviceBufferFrames(config.latency, sampleRateHz, config.framesPerBuffer),
        onChunk: (samples, captureTimeUs) => {
          if (stopping) return;
          // Stamped at send: the device's own estimate of the first frame's time can be seconds off right after
          // opening (PulseAudio renders ahead), which would make playback's stale-chunk policy drop good audio.
          sender.send(samples, false);
          // captureTimeUs is the chunk's first frame; the callback that completed it came one chunk later.
          metrics.deviceToSend.record((wallClockUs() - captureTimeUs - chunkUs) / 1e6);
        },
        onDeviceError: (err) => log.warn({ code: err.code, err: err.message, source: target.label, streamId }, 'input device failed, reopening'),
      });
      try {
        await source.start();
      } catch (err) {
        await source.close();
        if (!(err instanceof AudioDeviceError)) throw err;
        failures++;
        metrics.deviceStartFailures++;
        const delayMs = backoff.nextDelayMs();
        log.error({ code: err.code, err: err.message, source: target.label, streamId, retryInMs: delayMs }, 'cannot open input device');
        await Promise.race([new Promise((resolve) => setTimeout(resolve, delayMs).unref()), stopped]);
        continue;
      }
      if (failures > 0) metrics.deviceRestarts++;
      metrics.devices.push(source);
      metrics.activeStreams++;
      log.info({ device: source.device?.name, deviceId: source.device?.id, source: target.label, streamId, sampleRateHz, channelCount, chunkFrames }, 'input device open');
      await stopped;
      metrics.activeStreams--;
      // One silent chunk flagged end-of-stream, so playback finalises the stream.
      sender.send(new Float32Array(chunkFrames * channelCount), true);
      metrics.streams.end(streamId);
      await source.close();
      log.info({ streamId }, 'stream sent');
    }
  }

  /** Every entry at once, once a receiver is there. */
  async function run(): Promise<void> {
    if (config.awaitPeer) await firstReceiver(socket, router, stopped);
    await Promise.all(inputs.map((opened) => (opened.input.kind === 'device' ? runDevice(opened.input.target, opened.input.firstStreamId) : runSources(opened))));
  }

  if (hasDevice) metrics.addDeviceState(inputs.filter((i) => i.input.kind === 'device').length);
  const finished = run();
  const { failed, fail } = loopFailure();
  finished.catch((err: Error) => {
    log.error({ err }, 'capture loop failed');
    fail(new Error(`the capture loop failed (${err.message})`));
  });
  log.info({ endpoint: router ? router.controlEndpoint : config.endpoint, routed, dryEndpoint: config.dryEndpoint || undefined, metricsPort, source: config.source, pace: config.pace }, 'capture started');

  let closed: Promise<void> | null = null;
  return {
    metricsPort,
    info: router ? { control: router.controlEndpoint, metricsPort } : { endpoint: socket?.lastEndpoint ?? config.endpoint, metricsPort },
    metrics,
    finished,
    failed,
    close() {
      closed ??= (async () => {
        stopping = true;
        stop();
        // The loop sends one last chunk flagged end-of-stream, then returns.
        await Promise.race([finished.catch(() => undefined), new Promise((r) => setTimeout(r, 200))]);
        if (queue) {
          await queue.drain(800);
          await queue.close();
        }
        socket?.close();
        await dry?.close();
        await router?.close();
        await security.close();
        await metricsServer.close();
        for (const source of sources) await source.close?.();
      })();
      return closed;
    },
  };
}
