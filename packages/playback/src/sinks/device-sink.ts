import { monotonicNs } from '@quell/protocol';
import {
  AudioDeviceError,
  DeviceLink,
  FrameRing,
  type AudioDeviceInfo,
  type DeviceSpec,
  type PortAudioBinding,
  type PortAudioStream,
} from '@quell/runtime';

/** Options of DeviceSink. All optional. */
export interface DeviceSinkOptions {
  /** Output device: PortAudio id, case-insensitive name (substring), or undefined for the default output. */
  device?: DeviceSpec;
  /** Device rate, Hz. Default 48000. */
  sampleRateHz?: number;
  /** Channels of the written chunks and of the device stream. Default 1. */
  channelCount?: number;
  /** Frames per PortAudio callback and per block handed to naudiodon. Default 480 (10 ms at 48 kHz). */
  framesPerBuffer?: number;
  /**
   * Blocks naudiodon holds ahead of the device. Each adds one framesPerBuffer of latency; with fewer than 2 a
   * busy event loop starves the device. Default 2.
   */
  deviceQueueBuffers?: number;
  /** Capacity of DeviceSink's own queue, frames; a write that does not fit is dropped whole. Default 4800 (100 ms at 48 kHz). */
  maxQueuedFrames?: number;
  /** Longest wait between reopen attempts after a device failure, ms. Default 5000. */
  reopenMaxDelayMs?: number;
  /** Through PulseAudio (device 'pulse'): the sink to open (PULSE_SINK while it opens); undefined = the environment's. */
  pulseDevice?: string;
  /** Told about each device failure (already counted); the sink reopens the device by itself. */
  onDeviceError?: (err: AudioDeviceError) => void;
  /**
   * Called at the device's pace, just before each block is taken from the queue: the place to write() the next
   * block, so a playout clocked by the device keeps queuedFrames near one block. A throw is ignored.
   */
  onDemand?: () => void;
  /** naudiodon or a fake; loaded lazily when omitted. */
  portAudio?: PortAudioBinding;
}

const BYTES_PER_SAMPLE = 4;
const HEALTHY_BLOCKS = 100;
const STALL_MARGIN_NS = 5e6;

/**
 * Plays float32 chunks on an output device through PortAudio. The device pulls: every time naudiodon accepts a
 * block, the next block is taken from DeviceSink's queue, and when the queue holds less than a block the rest is
 * silence and an underrun is counted. So the device never stalls, and `queuedFrames` is the depth a jitter buffer
 * or drift controller steers. Device failures are counted and the device reopened with backoff; `close()` is safe twice.
 */
export class DeviceSink {
  readonly sampleRateHz: number;
  readonly channelCount: number;
  readonly framesPerBuffer: number;
  /** Blocks in which the device got less than it asked for (the rest was silence), after the first write(). */
  underrunCount = 0;
  /** Silent frames played in those underruns. */
  underrunFrameCount = 0;
  /** Frames refused by write() because the queue was full. */
  droppedFrameCount = 0;
  /** Frames accepted by write(). */
  writtenFrameCount = 0;
  /** Frames handed to the device, silence included. */
  playedFrameCount = 0;
  /**
   * Device requests that came later than the audio queued ahead of the device could cover: the device ran dry
   * (this process was not scheduled in time) or stopped taking audio (a PulseAudio null sink that rendered ahead).
   * Either way the listener heard a gap that no queue here shows.
   */
  stallCount = 0;
  /** Time the device went without audio in those stalls, s (each request gap beyond the queued audio). */
  stalledSeconds = 0;
  /**
   * Writes after which PortAudio reported an output underflow: the device itself played silence because a block
   * did not reach it in time (several within one write count once). The stall watch above sees only gaps longer
   * than the audio queued ahead; these also catch the short ones (5 ms silences heard under load).
   */
  outputUnderflowCount = 0;

  readonly #onDemand: (() => void) | undefined;
  readonly #deviceQueueBuffers: number;
  readonly #ring: FrameRing;
  readonly #block: Float32Array;
  readonly #blockBytes: Buffer;
  readonly #link: DeviceLink;
  #writing = false;
  #hasWritten = false;
  #blocksSinceOpen = 0;
  #lastRequestNs = 0;
  readonly #stallGapNs: number;
  readonly #queuedAheadNs: number;

  /** @throws TypeError for bad options, before any device is touched. */
  constructor(options: DeviceSinkOptions = {}) {
    this.#onDemand = options.onDemand;
    this.sampleRateHz = options.sampleRateHz ?? 48000;
    this.channelCount = options.channelCount ?? 1;
    this.framesPerBuffer = options.framesPerBuffer ?? Math.round(this.sampleRateHz / 100);
    this.#deviceQueueBuffers = options.deviceQueueBuffers ?? 2;
    const maxQueuedFrames = options.maxQueuedFrames ?? Math.round(this.sampleRateHz / 10);
    const problems: string[] = [];
    const positiveInt = (name: string, v: number): void => {
      if (!Number.isInteger(v) || v <= 0) problems.push(`${name} must be a positive integer, got ${v}`);
    };
    positiveInt('sampleRateHz', this.sampleRateHz);
    positiveInt('channelCount', this.channelCount);
    positiveInt('framesPerBuffer', this.framesPerBuffer);
    positiveInt('deviceQueueBuffers', this.#deviceQueueBuffers);
    positiveInt('maxQueuedFrames', maxQueuedFrames);
    if (problems.length > 0) throw new TypeError(`DeviceSink: ${problems.join('; ')}`);
    this.#ring = new FrameRing(maxQueuedFrames, this.channelCount);
    // Ahead of a request, the device holds naudiodon's queue and about three blocks of its own (the ALSA 'pulse'
    // plug-in's periods): a request gap beyond that cannot be anything but a gap. Measured with 5 ms blocks (25 ms
    // ahead): requests 10-17 ms apart at worst on an idle machine, 20-25 ms with both cores busy; silences of 11-12
    // ms were heard in a recording where requests came ~37 ms apart. Hence a small margin.
    const blockNs = (this.framesPerBuffer / this.sampleRateHz) * 1e9;
    this.#queuedAheadNs = (this.#deviceQueueBuffers + 3) * blockNs;
    this.#stallGapNs = this.#queuedAheadNs + STALL_MARGIN_NS;
    this.#block = new Float32Array(this.framesPerBuffer * this.channelCount);
    // Reused for every block: naudiodon copies a written Buffer synchronously inside write(), and only one
    // write is ever outstanding, so the stream never holds a reference to it.
    this.#blockBytes = Buffer.alloc(this.#block.length * BYTES_PER_SAMPLE);
    this.#link = new DeviceLink({
      direction: 'output',
      owner: 'DeviceSink',
      device: options.device,
      pulseDevice: options.pulseDevice,
      portAudio: options.portAudio,
      reopenMaxDelayMs: options.reopenMaxDelayMs,
      createStream: (portAudio, device, generation) => this.#createStream(portAudio, device, generation),
      onStarted: (generation) => this.#pump(generation),
      onDeviceError: options.onDeviceError,
    });
  }

  /** Device failures (open, stream error, unexpected close). */
  get errorCount(): number {
    return this.#link.errorCount;
  }

  /** Successful reopens after a failure. */
  get reopenCount(): number {
    return this.#link.reopenCount;
  }

  /** The device actually opened; undefined before start(). */
  get device(): AudioDeviceInfo | undefined {
    return this.#link.device;
  }

  /** Frames written but not yet handed to the device. naudiodon and the device hold up to deviceQueueBuffers blocks more. */
  get queuedFrames(): number {
    return this.#ring.frameCount;
  }

  /** Largest queuedFrames possible. */
  get maxQueuedFrames(): number {
    return this.#ring.capacityFrames;
  }

  /**
   * Resolves the device and opens it; silence plays until the first write().
   * Rejects with AudioDeviceError: 'ERR_AUDIO_BACKEND_UNAVAILABLE', 'ERR_AUDIO_DEVICE_NOT_FOUND' /
   * 'ERR_AUDIO_DEVICE_AMBIGUOUS', 'ERR_AUDIO_DEVICE_OPEN', or 'ERR_AUDIO_DEVICE_CLOSED' after close() or a second start().
   */
  start(): Promise<void> {
    return this.#link.start();
  }

  /**
   * Queues interleaved frames (any whole number of frames, usually one chunk) for the device. The samples are
   * copied; the caller may reuse the array.
   * @returns 'ok', or 'dropped' when they do not fit in the queue (counted in droppedFrameCount)
   * @throws AudioDeviceError 'ERR_AUDIO_DEVICE_CLOSED' after close(); TypeError for a partial frame
   */
  write(samples: Float32Array): 'ok' | 'dropped' {
    if (this.#link.closed) throw new AudioDeviceError('ERR_AUDIO_DEVICE_CLOSED', 'DeviceSink.write() after close()', false);
    if (samples.length % this.channelCount !== 0) {
      throw new TypeError(`DeviceSink.write(): ${samples.length} samples is not a whole number of ${this.channelCount}-channel frames`);
    }
    const frames = samples.length / this.channelCount;
    this.#hasWritten = true;
    if (!this.#ring.write(samples)) {
      this.droppedFrameCount += frames;
      return 'dropped';
    }
    this.writtenFrameCount += frames;
    return 'ok';
  }

  /** Stops playback (queued frames are discarded) and releases the device; safe to call twice. */
  close(): Promise<void> {
    if (!this.#link.closed) this.#ring.clear();
    return this.#link.close();
  }

  #createStream(portAudio: PortAudioBinding, device: AudioDeviceInfo, generation: number): PortAudioStream {
    const stream = portAudio.AudioIO({
      outOptions: {
        deviceId: device.id,
        sampleRate: this.sampleRateHz,
        channelCount: this.channelCount,
        sampleFormat: 1,
        framesPerBuffer: this.framesPerBuffer,
        maxQueue: this.#deviceQueueBuffers,
        highwaterMark: this.#blockBytes.length,
        // PortAudio's status flags come back with the next write (port-audio.ts): an underflow is counted, not printed.
        closeOnError: true,
      },
    });
    const link = this.#link;
    stream.on('error', (err) => {
      if (link.isCurrent(generation)) link.fail(err);
    });
    stream.on('close', () => {
      if (link.isCurrent(generation)) link.fail(new Error('output stream closed'));
    });
    stream.on('underflow', () => {
      if (link.isCurrent(generation)) this.outputUnderflowCount++;
    });
    this.#writing = false;
    this.#blocksSinceOpen = 0;
    this.#lastRequestNs = 0;
    return stream;
  }

  /** Counts a device request that came too late for the audio queued ahead of it (see stallCount). */
  #measureRequestGap(): void {
    const nowNs = monotonicNs();
    const gapNs = nowNs - this.#lastRequestNs;
    // The first blocks after an open fill the device's queue and its priming can pause: not a stall.
    if (this.#lastRequestNs > 0 && this.#hasWritten && this.#blocksSinceOpen >= 2 * this.#deviceQueueBuffers && gapNs > this.#stallGapNs) {
      this.stallCount++;
      this.stalledSeconds += (gapNs - this.#queuedAheadNs) / 1e9;
    }
    this.#lastRequestNs = nowNs;
  }

  /** Hands the next block to naudiodon; called again from the write callback, i.e. at the device's pace. */
  #pump(generation: number): void {
    const link = this.#link;
    const stream = link.stream;
    if (!stream || this.#writing || !link.isCurrent(generation)) return;
    this.#measureRequestGap();
    try {
      this.#onDemand?.();
    } catch {
      // A listener's failure must not stop playback.
    }
    if (link.stream !== stream || !link.isCurrent(generation)) return;
    const block = this.#block;
    const moved = this.#ring.readInto(block, this.framesPerBuffer);
    if (moved < this.framesPerBuffer) {
      block.fill(0, moved * this.channelCount);
      if (this.#hasWritten) {
        this.underrunCount++;
        this.underrunFrameCount += this.framesPerBuffer - moved;
      }
    }
    const bytes = this.#blockBytes;
    for (let i = 0; i < block.length; i++) bytes.writeFloatLE(block[i], i * BYTES_PER_SAMPLE);
    this.#writing = true;
    this.playedFrameCount += this.framesPerBuffer;
    stream.write(bytes, (err) => {
      if (!link.isCurrent(generation)) return;
      this.#writing = false;
      if (err) {
        link.fail(err);
        return;
      }
      if (++this.#blocksSinceOpen === HEALTHY_BLOCKS) link.healthy();
      this.#pump(generation);
    });
  }
}
