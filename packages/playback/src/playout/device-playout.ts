import { monotonicNs } from '@quell/protocol';
import { AudioDeviceError, ReopenBackoff, type DeviceSpec, type Logger } from '@quell/runtime';
import type { DeviceMetricsView } from '../metrics.js';
import { DriftCorrector } from '../drift/drift-corrector.js';
import type { LevelControllerOptions } from '../drift/level-controller.js';
import type { JitterTrackerOptions } from '../jitter/jitter-tracker.js';
import { DeviceSink, type DeviceSinkOptions } from '../sinks/device-sink.js';

/** What DevicePlayout needs of one stream's playout (StreamPlayout): a clocked read and its buffer depth. */
export interface DeviceStream {
  readonly streamId: number;
  readonly sampleRateHz: number;
  readonly channelCount: number;
  /** Plays one chunk period from the jitter buffer (concealing if needed) and returns it; null if it played nothing. */
  pullClocked(): Float32Array | null;
  /** Frames held in the jitter buffer. */
  readonly heldFrames: number;
  /** Drops the oldest buffered audio (counted by the stream) so that `keepChunks` chunk periods remain; returns the chunks dropped. */
  discardOldest(keepChunks: number): number;
  /** True when a tick with the jitter buffer empty would play the dry signal (--conceal dry), not silence. */
  readonly dryReady?: boolean;
  readonly finished: boolean;
}

export interface DevicePlayoutOptions {
  device?: DeviceSpec;
  /** Through PulseAudio (device 'pulse'): the sink to open. */
  pulseDevice?: string;
  sampleRateHz: number;
  channelCount: number;
  framesPerBuffer: number;
  target: JitterTrackerOptions;
  controller: LevelControllerOptions;
  log: Logger;
  /**
   * Level above target at which whole chunks are discarded down to the target, s: a burst (a device or
   * connection start-up, a stalled sender catching up) that drift correction at maxTrimPpm would take minutes to
   * play off. Counted as device overflows.
   */
  maxExcessS: number;
  /** Told when the current stream has played its end-of-stream chunk. */
  onStreamFinished: (stream: DeviceStream) => void;
  /** A fake binding for tests. */
  portAudio?: DeviceSinkOptions['portAudio'];
}

/**
 * playback's device side: one output device, clocked by the device, pulling. Every time the device takes a
 * block, `DeviceSink` calls back here; chunk periods are pulled from the current stream's playout into its
 * DriftCorrector as the resampler needs input, and one block is read through the corrector into the device queue, so the queue stays at one
 * block and the latency lives in the jitter buffer, where the corrector holds it at target by trimming the
 * resampling ratio. With no stream (or before the level reaches the target) the device gets silence, which is
 * not an underrun.
 *
 * One stream plays at a time: a new stream replaces the current one. A device that is missing or refuses to
 * open is logged, counted and retried with backoff (never a crash); once open, DeviceSink reopens it itself.
 */
export class DevicePlayout implements DeviceMetricsView {
  readonly #options: DevicePlayoutOptions;
  readonly #block: Float32Array;
  readonly #deviceBlock: Float32Array;
  readonly #backoff = new ReopenBackoff();
  #sink: DeviceSink | undefined;
  #stream: DeviceStream | undefined;
  #corrector: DriftCorrector | undefined;
  #startFailures = 0;
  #restarts = 0;
  #overflowWrites = 0;
  #discardedChunks = 0;
  // Counts of correctors already replaced, so the totals stay monotonic.
  #pastUnderruns = 0;
  #pastOverflows = 0;
  #retryTimer: NodeJS.Timeout | undefined;
  #closed = false;
  #opening: Promise<void> | undefined;

  constructor(options: DevicePlayoutOptions) {
    this.#options = options;
    this.#block = new Float32Array(options.framesPerBuffer * 2);
    this.#deviceBlock = new Float32Array(options.framesPerBuffer * options.channelCount);
  }

  get underrunCount(): number {
    return this.#pastUnderruns + (this.#sink?.underrunCount ?? 0) + (this.#corrector?.underrunCount ?? 0);
  }
  get overflowCount(): number {
    return this.#pastOverflows + this.#overflowWrites + this.#discardedChunks + (this.#corrector?.overflowCount ?? 0);
  }
  get errorCount(): number {
    return this.#startFailures + (this.#sink?.errorCount ?? 0);
  }
  get stallCount(): number {
    return this.#sink?.stallCount ?? 0;
  }
  get outputUnderflowCount(): number {
    return this.#sink?.outputUnderflowCount ?? 0;
  }
  get stalledSeconds(): number {
    return this.#sink?.stalledSeconds ?? 0;
  }
  get reopenCount(): number {
    return this.#restarts + (this.#sink?.reopenCount ?? 0);
  }
  get levelS(): number {
    return this.#corrector?.levelS ?? 0;
  }
  get targetS(): number {
    return this.#corrector?.targetS ?? 0;
  }
  get queuedFrames(): number {
    return this.#sink?.queuedFrames ?? 0;
  }
  get trimPpm(): number {
    return this.#corrector?.controller.trimPpm ?? 0;
  }
  /** Name of the open device, or '' while none is open. */
  get deviceName(): string {
    return this.#sink?.device?.name ?? '';
  }

  /** Opens the device in the background (retrying on failure); resolves after the first attempt. */
  start(): Promise<void> {
    this.#opening ??= this.#tryOpen();
    return this.#opening;
  }

  async #tryOpen(): Promise<void> {
    const o = this.#options;
    const sink = new DeviceSink({
      device: o.device,
      pulseDevice: o.pulseDevice,
      sampleRateHz: o.sampleRateHz,
      channelCount: o.channelCount,
      framesPerBuffer: o.framesPerBuffer,
      portAudio: o.portAudio,
      onDemand: () => this.#pump(),
      onDeviceError: (err) => o.log.warn({ code: err.code, err: err.message }, 'output device failed, reopening'),
    });
    try {
      await sink.start();
    } catch (err) {
      await sink.close();
      if (!(err instanceof AudioDeviceError)) throw err;
      this.#startFailures++;
      const delayMs = this.#backoff.nextDelayMs();
      o.log.error({ code: err.code, err: err.message, device: this.destination, retryInMs: delayMs }, 'cannot open output device');
      if (!this.#closed) this.#retryTimer = setTimeout(() => void this.#tryOpen().catch((e: Error) => o.log.error({ err: e }, 'output device open failed')), delayMs);
      return;
    }
    if (this.#closed) {
      await sink.close();
      return;
    }
    if (this.#startFailures > 0) this.#restarts++;
    this.#sink = sink;
    o.log.info({ device: sink.device?.name, deviceId: sink.device?.id, pulseDevice: o.pulseDevice, sampleRateHz: o.sampleRateHz, channelCount: o.channelCount }, 'output device open');
  }

  /** Where the device's audio goes: the open device's name, else the one asked for. */
  get destination(): string {
    if (this.#options.pulseDevice) return `pulse:${this.#options.pulseDevice}`;
    return this.deviceName || String(this.#options.device ?? 'default output');
  }

  /**
   * Checks that the device can play a stream of this format, before one is made for it.
   * @throws TypeError when the rate is not the device's (there is no rate conversion here) or it has more than 2 channels
   */
  assertPlayable(sampleRateHz: number, channelCount: number): void {
    if (sampleRateHz !== this.#options.sampleRateHz) throw new TypeError(`the stream is at ${sampleRateHz} Hz, the device at ${this.#options.sampleRateHz} Hz`);
    if (channelCount > 2) throw new TypeError(`the stream has ${channelCount} channels; the device sink plays 1 or 2`);
  }

  /** Makes `stream` (format checked by assertPlayable) the one the device pulls from, with a DriftCorrector of its own, replacing any other. */
  play(stream: DeviceStream, chunkFrames: number): void {
    const o = this.#options;
    this.#pastUnderruns += this.#corrector?.underrunCount ?? 0;
    this.#pastOverflows += this.#corrector?.overflowCount ?? 0;
    this.#stream = stream;
    this.#corrector = new DriftCorrector({ sampleRateHz: stream.sampleRateHz, channelCount: stream.channelCount, chunkFrames, target: o.target, controller: o.controller });
  }

  /** Forgets `stream` if it is the current one; the device plays silence until the next. */
  detach(stream: DeviceStream): void {
    if (this.#stream === stream) this.#stream = undefined;
  }

  /** Tells the current stream's corrector a chunk arrived (for its level and jitter estimates). */
  arrive(stream: DeviceStream, frames: number): void {
    if (this.#stream === stream) this.#corrector?.arrive(frames, monotonicNs() / 1e9);
  }

  /** Runs at the device's pace (DeviceSink.onDemand): tops the device queue up to one block. */
  #pump(): void {
    const sink = this.#sink;
    if (!sink) return;
    const frames = this.#options.framesPerBuffer;
    const deviceChannels = this.#options.channelCount;
    const out = this.#deviceBlock;
    while (sink.queuedFrames < frames) {
      const stream = this.#stream;
      const corrector = this.#corrector;
      if (!stream || !corrector) {
        out.fill(0);
      } else {
        const nowS = monotonicNs() / 1e9;
        if (corrector.measure(nowS, stream.heldFrames) > corrector.targetS + this.#options.maxExcessS) this.#discardExcess(stream, corrector, nowS);
        // Pull from the jitter buffer only as the resampler needs input, so the audio waits there (reorderable), and
        // never when it is empty: a read then would conceal and move the stream position ahead of the sender,
        // making every later chunk 'late'. The corrector underruns instead and the timeline is kept. With the dry
        // path the position may go on as far as the dry chunks have arrived: they come from the sender's clock.
        while (corrector.needsInput(frames) && !stream.finished && (stream.heldFrames > 0 || stream.dryReady === true)) {
          const period = stream.pullClocked();
          if (!period) break;
          corrector.write(period);
        }
        const channels = stream.channelCount;
        const block = this.#block.subarray(0, frames * channels);
        corrector.read(block, frames, nowS, stream.heldFrames);
        if (channels === deviceChannels) out.set(block);
        else if (channels === 1) for (let i = 0; i < frames; i++) out[2 * i] = out[2 * i + 1] = block[i];
        else for (let i = 0; i < frames; i++) out[i] = 0.5 * (block[2 * i] + block[2 * i + 1]);
        if (stream.finished && corrector.needsInput(frames)) {
          this.detach(stream);
          this.#options.onStreamFinished(stream);
        }
      }
      if (sink.write(out) === 'dropped') {
        this.#overflowWrites++;
        return;
      }
    }
  }

  /** Drops the oldest whole chunks from the jitter buffer, so the level is back within a chunk of the target. */
  #discardExcess(stream: DeviceStream, corrector: DriftCorrector, nowS: number): void {
    const excessChunks = Math.floor(((corrector.measure(nowS, stream.heldFrames) - corrector.targetS) * corrector.sampleRateHz) / corrector.chunkFrames);
    if (excessChunks <= 0) return;
    const heldChunks = Math.round(stream.heldFrames / corrector.chunkFrames);
    this.#discardedChunks += stream.discardOldest(Math.max(1, heldChunks - excessChunks));
  }

  /** Closes the device; safe to call twice. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    await this.#opening?.catch(() => undefined);
    await this.#sink?.close();
  }
}
