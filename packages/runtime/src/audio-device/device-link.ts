import type { AudioDeviceInfo, AudioDirection } from './audio-device-info.js';
import { AudioDeviceError } from './errors.js';
import { devicesFrom } from './list-devices.js';
import { loadPortAudio, type PortAudioBinding, type PortAudioStream } from './port-audio.js';
import { ReopenBackoff } from './reopen-backoff.js';
import { pickDevice, type DeviceSpec } from './select-device.js';

/** What a device source or sink tells its DeviceLink. */
export interface DeviceLinkOptions {
  direction: AudioDirection;
  /** Name of the owning class, for programming errors ('DeviceSource'). */
  owner: string;
  /** PortAudio id, case-insensitive name (substring), or undefined for the default device. */
  device?: DeviceSpec;
  /**
   * The PulseAudio source (input) or sink (output) that the ALSA 'pulse' device opens: set as PULSE_SOURCE /
   * PULSE_SINK in the environment only while the stream opens (libpulse reads it then), so several links in one
   * process can each open their own. Undefined: the environment as it is.
   */
  pulseDevice?: string;
  /** naudiodon or a fake; loaded lazily when omitted. */
  portAudio?: PortAudioBinding;
  /** Longest wait between reopen attempts after a failure, ms. Default 5000. */
  reopenMaxDelayMs?: number;
  /**
   * Creates one PortAudio stream on `device` (not started) and resets the
   * owner's per-stream state. Its event handlers must check
   * `link.isCurrent(generation)` and report failures with `link.fail()`.
   */
  createStream(portAudio: PortAudioBinding, device: AudioDeviceInfo, generation: number): PortAudioStream;
  /** Called once the stream has started (an output starts feeding it here). */
  onStarted?(generation: number): void;
  /** Told about each device failure (already counted); the link reopens by itself. A throw goes to onListenerError. */
  onDeviceError?: (err: AudioDeviceError) => void;
  onListenerError?: () => void;
}

const CLOSE_TIMEOUT_MS = 2000;

/**
 * The life of one device stream, shared by capture's DeviceSource and
 * playback's DeviceSink: resolve the device, open it, and after a failure drop
 * the stream and reopen it with backoff (100 ms doubling to reopenMaxDelayMs)
 * until close(). Each open gets a generation number so events of a stream
 * already dropped are ignored. Failures are counted, never thrown at the owner.
 */
export class DeviceLink {
  /** Device failures (open, stream error, unexpected end or close). */
  errorCount = 0;
  /** Successful reopens after a failure. */
  reopenCount = 0;
  /** The device actually opened; undefined before start(). */
  device: AudioDeviceInfo | undefined;
  readonly #options: DeviceLinkOptions;
  readonly #backoff: ReopenBackoff;
  #portAudio: PortAudioBinding | undefined;
  #stream: PortAudioStream | undefined;
  #generation = 0;
  #reopenTimer: NodeJS.Timeout | undefined;
  #started = false;
  #closed = false;
  #closePromise: Promise<void> | undefined;

  constructor(options: DeviceLinkOptions) {
    this.#options = options;
    this.#backoff = new ReopenBackoff(options.reopenMaxDelayMs ?? 5000);
  }

  /** The open stream, if any. */
  get stream(): PortAudioStream | undefined {
    return this.#stream;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Whether events of the stream opened as `generation` still matter. */
  isCurrent(generation: number): boolean {
    return generation === this.#generation;
  }

  /**
   * Resolves the device and opens it. Rejects with AudioDeviceError:
   * 'ERR_AUDIO_BACKEND_UNAVAILABLE', 'ERR_AUDIO_DEVICE_NOT_FOUND' / 'ERR_AUDIO_DEVICE_AMBIGUOUS',
   * 'ERR_AUDIO_DEVICE_OPEN' (the first open failed), or 'ERR_AUDIO_DEVICE_CLOSED' after close() or a second start().
   */
  async start(): Promise<void> {
    const owner = this.#options.owner;
    if (this.#closed || this.#started) throw new AudioDeviceError('ERR_AUDIO_DEVICE_CLOSED', `${owner}.start() after close() or a second start()`, false);
    this.#started = true;
    this.#portAudio = this.#options.portAudio ?? (await loadPortAudio());
    this.device = pickDevice(this.#options.device, this.#options.direction, devicesFrom(this.#portAudio));
    if (this.#closed) return;
    this.#open();
  }

  /** The stream has worked for a while: the next failure is retried quickly again. */
  healthy(): void {
    this.#backoff.reset();
  }

  /** Counts a failure of the current stream, tells the owner, drops the stream and schedules a reopen. */
  fail(err: unknown): void {
    if (this.#closed) return;
    this.errorCount++;
    const error = err instanceof AudioDeviceError
      ? err
      : new AudioDeviceError('ERR_AUDIO_DEVICE_IO', `${this.#options.direction} device failed: ${(err as Error)?.message ?? String(err)}`, true, { cause: err });
    try {
      this.#options.onDeviceError?.(error);
    } catch {
      this.#options.onListenerError?.();
    }
    void this.#dropStream();
    clearTimeout(this.#reopenTimer);
    this.#reopenTimer = setTimeout(() => this.#reopen(), this.#backoff.nextDelayMs());
  }

  /** Stops the stream and releases the device; resolves when PortAudio has let go (or after 2 s). Safe twice. */
  close(): Promise<void> {
    this.#closePromise ??= (async () => {
      this.#closed = true;
      clearTimeout(this.#reopenTimer);
      await this.#dropStream();
    })();
    return this.#closePromise;
  }

  /** Opens the device; throws AudioDeviceError 'ERR_AUDIO_DEVICE_OPEN' when PortAudio refuses. */
  #open(): void {
    const portAudio = this.#portAudio;
    const device = this.device;
    if (!portAudio || !device) throw new Error(`${this.#options.owner}: device opened before start()`);
    const generation = ++this.#generation;
    const pulseVariable = this.#options.direction === 'input' ? 'PULSE_SOURCE' : 'PULSE_SINK';
    const pulseBefore = process.env[pulseVariable];
    if (this.#options.pulseDevice) process.env[pulseVariable] = this.#options.pulseDevice;
    try {
      this.#stream = this.#options.createStream(portAudio, device, generation);
      this.#stream.start();
      this.#options.onStarted?.(generation);
    } catch (err) {
      if (this.#stream) void this.#dropStream();
      throw new AudioDeviceError('ERR_AUDIO_DEVICE_OPEN', `cannot open ${this.#options.direction} device ${device.id} '${device.name}': ${(err as Error).message}`, true, { cause: err });
    } finally {
      if (this.#options.pulseDevice) {
        if (pulseBefore === undefined) delete process.env[pulseVariable];
        else process.env[pulseVariable] = pulseBefore;
      }
    }
  }

  #reopen(): void {
    if (this.#closed) return;
    try {
      this.#open();
      this.reopenCount++;
    } catch (err) {
      this.fail(err);
    }
  }

  /** Aborts the current stream, if any; resolves when PortAudio has let go of it (or after a timeout). */
  #dropStream(): Promise<void> {
    const stream = this.#stream;
    this.#stream = undefined;
    this.#generation++;
    if (!stream) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, CLOSE_TIMEOUT_MS);
      try {
        stream.quit(() => {
          clearTimeout(timer);
          resolve();
        });
      } catch {
        clearTimeout(timer);
        resolve();
      }
    });
  }
}
