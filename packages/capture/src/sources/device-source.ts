import {
  AudioDeviceError,
  DeliveryClock,
  DeviceLink,
  LatencySketch,
  wallClockUs,
  type AudioDeviceInfo,
  type DeviceSpec,
  type PortAudioBinding,
  type PortAudioStream,
} from '@quell/runtime';

/** Options of DeviceSource. Only `onChunk` is required. */
export interface DeviceSourceOptions {
  /** Input device: PortAudio id, case-insensitive name (substring), or undefined for the default input. */
  device?: DeviceSpec;
  /** Device and chunk rate, Hz. Default 48000. */
  sampleRateHz?: number;
  /** Channels in each delivered chunk. Default 1. */
  channelCount?: number;
  /**
   * Channels opened on the device. Default = channelCount. 2 with channelCount 1 downmixes (L+R)/2,
   * for stereo-only devices such as a PulseAudio monitor or a virtual cable.
   */
  deviceChannelCount?: number;
  /** Frames per delivered chunk. Default 480 (10 ms at 48 kHz). */
  chunkFrames?: number;
  /** Frames per PortAudio callback; also the size of each piece naudiodon hands to JS. Default = chunkFrames. */
  framesPerBuffer?: number;
  /**
   * Device buffers naudiodon may hold for JS (its PortAudio callback blocks when they are full, which the
   * device reports as an overflow). Default 8 (80 ms of slack for a busy event loop; adds no latency when JS keeps up).
   */
  queueBuffers?: number;
  /** Longest wait between reopen attempts after a device failure, ms. Default 5000. */
  reopenMaxDelayMs?: number;
  /** Through PulseAudio (device 'pulse'): the source to open (PULSE_SOURCE while it opens); undefined = the environment's. */
  pulseDevice?: string;
  /**
   * Receives each chunk: interleaved float32, chunkFrames * channelCount samples, a new array the receiver may
   * keep. captureTimeUs: estimated wall-clock time (µs since the epoch) of the chunk's first frame.
   * A throw is counted in `listenerErrorCount` and does not stop capture.
   */
  onChunk: (samples: Float32Array, captureTimeUs: number) => void;
  /** Told about each device failure (already counted); capture reopens the device by itself. */
  onDeviceError?: (err: AudioDeviceError) => void;
  /** naudiodon or a fake; loaded lazily when omitted. */
  portAudio?: PortAudioBinding;
}

const BYTES_PER_SAMPLE = 4;
/** Pieces after an open before the backoff resets: one second of healthy capture at 10 ms. */
const HEALTHY_PIECES = 100;

/**
 * Captures an input device through PortAudio and delivers fixed-size float32 chunks.
 * Device failures are counted and the device is reopened with backoff (100 ms doubling to reopenMaxDelayMs);
 * they never throw into the caller. `close()` is safe to call twice.
 */
export class DeviceSource {
  readonly sampleRateHz: number;
  readonly channelCount: number;
  readonly deviceChannelCount: number;
  readonly chunkFrames: number;
  readonly framesPerBuffer: number;
  /** Time from the device callback (estimated) to the chunk's delivery, seconds; see DeliveryClock. */
  readonly deliveryLatency = new LatencySketch();
  /** Chunks delivered to onChunk. */
  chunkCount = 0;
  /** Bytes received from the device. */
  receivedBytes = 0;
  /** Throws from onChunk and onDeviceError. */
  listenerErrorCount = 0;

  readonly #onChunk: (samples: Float32Array, captureTimeUs: number) => void;
  readonly #queueBuffers: number;
  readonly #clock: DeliveryClock;
  readonly #link: DeviceLink;
  readonly #pending: Float32Array;
  readonly #usPerFrame: number;
  #pendingFrames = 0;
  #pendingStartUs = 0;
  #piecesSinceOpen = 0;

  /** @throws TypeError for bad options, before any device is touched. */
  constructor(options: DeviceSourceOptions) {
    this.sampleRateHz = options.sampleRateHz ?? 48000;
    this.channelCount = options.channelCount ?? 1;
    this.deviceChannelCount = options.deviceChannelCount ?? this.channelCount;
    this.chunkFrames = options.chunkFrames ?? Math.round(this.sampleRateHz / 100);
    this.framesPerBuffer = options.framesPerBuffer ?? this.chunkFrames;
    this.#queueBuffers = options.queueBuffers ?? 8;
    const problems: string[] = [];
    const positiveInt = (name: string, v: number): void => {
      if (!Number.isInteger(v) || v <= 0) problems.push(`${name} must be a positive integer, got ${v}`);
    };
    positiveInt('sampleRateHz', this.sampleRateHz);
    positiveInt('channelCount', this.channelCount);
    positiveInt('deviceChannelCount', this.deviceChannelCount);
    positiveInt('chunkFrames', this.chunkFrames);
    positiveInt('framesPerBuffer', this.framesPerBuffer);
    positiveInt('queueBuffers', this.#queueBuffers);
    if (this.channelCount !== this.deviceChannelCount && !(this.channelCount === 1 && this.deviceChannelCount === 2)) {
      problems.push(`channelCount ${this.channelCount} with deviceChannelCount ${this.deviceChannelCount}: only equal counts or a 2->1 downmix are supported`);
    }
    if (typeof options.onChunk !== 'function') problems.push('onChunk must be a function');
    if (problems.length > 0) throw new TypeError(`DeviceSource: ${problems.join('; ')}`);
    this.#onChunk = options.onChunk;
    this.#clock = new DeliveryClock(this.sampleRateHz, this.framesPerBuffer);
    this.#link = new DeviceLink({
      direction: 'input',
      owner: 'DeviceSource',
      device: options.device,
      pulseDevice: options.pulseDevice,
      portAudio: options.portAudio,
      reopenMaxDelayMs: options.reopenMaxDelayMs,
      createStream: (portAudio, device, generation) => this.#createStream(portAudio, device, generation),
      onDeviceError: options.onDeviceError,
      onListenerError: () => this.listenerErrorCount++,
    });
    this.#pending = new Float32Array(this.chunkFrames * this.channelCount);
    this.#usPerFrame = 1e6 / this.sampleRateHz;
  }

  /** Overflows detected from the delivery clock (frames the device produced that never arrived). */
  get overflowCount(): number {
    return this.#clock.lossCount;
  }

  /** Frames estimated lost in those overflows. */
  get lostFrameCount(): number {
    return this.#clock.lostFrameCount;
  }

  /** Estimated delay of the latest piece behind its device callback, µs. */
  get lastDeliveryLagUs(): number {
    return this.#clock.lastLagUs;
  }

  /** Device failures (open, stream error, unexpected end). */
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

  /**
   * Resolves the device and opens it; chunks flow from then on.
   * Rejects with AudioDeviceError: 'ERR_AUDIO_BACKEND_UNAVAILABLE', 'ERR_AUDIO_DEVICE_NOT_FOUND' /
   * 'ERR_AUDIO_DEVICE_AMBIGUOUS' (a DeviceSelectionError), 'ERR_AUDIO_DEVICE_OPEN' (the first open failed),
   * or 'ERR_AUDIO_DEVICE_CLOSED' after close() or a second start().
   */
  start(): Promise<void> {
    return this.#link.start();
  }

  /** Stops capture and releases the device. Resolves when PortAudio has closed it; safe to call twice. */
  close(): Promise<void> {
    return this.#link.close();
  }

  #createStream(portAudio: PortAudioBinding, device: AudioDeviceInfo, generation: number): PortAudioStream {
    const stream = portAudio.AudioIO({
      inOptions: {
        deviceId: device.id,
        sampleRate: this.sampleRateHz,
        channelCount: this.deviceChannelCount,
        sampleFormat: 1,
        framesPerBuffer: this.framesPerBuffer,
        maxQueue: this.#queueBuffers,
        // One device buffer per 'data' piece: the 16 KiB default would batch ~85 ms per piece.
        highwaterMark: this.framesPerBuffer * this.deviceChannelCount * BYTES_PER_SAMPLE,
        // A PortAudio status flag must not kill the stream; overflows are detected by DeliveryClock.
        closeOnError: false,
      },
    });
    const link = this.#link;
    stream.on('data', (piece) => {
      if (link.isCurrent(generation)) this.#onPiece(piece);
    });
    stream.on('error', (err) => {
      if (link.isCurrent(generation)) link.fail(err);
    });
    stream.on('end', () => {
      if (link.isCurrent(generation)) link.fail(new Error('input stream ended'));
    });
    this.#clock.reset();
    this.#pendingFrames = 0;
    this.#piecesSinceOpen = 0;
    return stream;
  }

  #onPiece(piece: Buffer): void {
    const arrivalUs = wallClockUs();
    this.receivedBytes += piece.length;
    if (++this.#piecesSinceOpen === HEALTHY_PIECES) this.#link.healthy();
    const deviceChannels = this.deviceChannelCount;
    const frames = Math.floor(piece.length / (BYTES_PER_SAMPLE * deviceChannels));
    const captureEndUs = this.#clock.record(frames, arrivalUs);
    this.deliveryLatency.record(this.#clock.lastLagUs / 1e6);
    const pieceStartUs = captureEndUs - frames * this.#usPerFrame;
    const downmix = deviceChannels !== this.channelCount;
    const pending = this.#pending;
    const channels = this.channelCount;
    for (let frame = 0; frame < frames; frame++) {
      if (this.#pendingFrames === 0) this.#pendingStartUs = pieceStartUs + frame * this.#usPerFrame;
      const byteOffset = frame * deviceChannels * BYTES_PER_SAMPLE;
      const at = this.#pendingFrames * channels;
      if (downmix) {
        pending[at] = 0.5 * (piece.readFloatLE(byteOffset) + piece.readFloatLE(byteOffset + BYTES_PER_SAMPLE));
      } else {
        for (let ch = 0; ch < channels; ch++) pending[at + ch] = piece.readFloatLE(byteOffset + ch * BYTES_PER_SAMPLE);
      }
      if (++this.#pendingFrames === this.chunkFrames) this.#deliver();
    }
  }

  #deliver(): void {
    this.#pendingFrames = 0;
    this.chunkCount++;
    try {
      // The copy is the one allocation per chunk: the receiver owns it and may keep or send it.
      this.#onChunk(new Float32Array(this.#pending), this.#pendingStartUs);
    } catch {
      this.listenerErrorCount++;
    }
  }
}
