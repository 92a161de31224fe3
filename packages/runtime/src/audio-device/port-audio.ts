import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { AudioDeviceError } from './errors.js';

/** The parts of naudiodon's device record that Quell reads. */
export interface PortAudioDevice {
  readonly id: number;
  readonly name: string;
  readonly maxInputChannels: number;
  readonly maxOutputChannels: number;
  readonly defaultSampleRate: number;
  readonly hostAPIName: string;
}

export interface PortAudioHostApi {
  readonly id: number;
  readonly name: string;
  /** Global device index, or paNoDevice (-1, seen as 4294967295 through naudiodon). */
  readonly defaultInput: number;
  readonly defaultOutput: number;
}

/** Options of one direction of a naudiodon stream. */
export interface PortAudioStreamOptions {
  deviceId: number;
  sampleRate: number;
  channelCount: number;
  sampleFormat: 1;
  framesPerBuffer: number;
  /** Blocks naudiodon queues between the PortAudio callback and JS; its callback blocks when full. */
  maxQueue: number;
  /** Bytes per 'data' piece (input) or Writable buffer size (output). */
  highwaterMark: number;
  /**
   * false: PortAudio status flags (over/underflow) are printed to stdout, where nothing counts them. true on an
   * output stream: the flags come back with the next write, and an output underflow is emitted as 'underflow'.
   */
  closeOnError: boolean;
}

/** The stream naudiodon returns: a Node stream plus start/abort. Only the members Quell uses. */
export interface PortAudioStream {
  start(): void;
  abort(callback?: () => void): void;
  /** Stops the stream; the callback runs once PortAudio has closed it. (abort() never calls its callback.) */
  quit(callback?: () => void): Promise<void>;
  on(event: 'data', listener: (piece: Buffer) => void): this;
  on(event: 'error', listener: (err: unknown) => void): this;
  on(event: 'end' | 'close', listener: () => void): this;
  /** Output streams opened with closeOnError: PortAudio reported an output underflow (the device played silence) since the last write. */
  on(event: 'underflow', listener: () => void): this;
  removeAllListeners(event?: string): this;
  write(piece: Buffer, callback: (err?: unknown) => void): boolean;
}

export interface PortAudioBinding {
  getDevices(): PortAudioDevice[];
  getHostAPIs(): { defaultHostAPI: number; HostAPIs: PortAudioHostApi[] };
  AudioIO(options: { inOptions: PortAudioStreamOptions } | { outOptions: PortAudioStreamOptions }): PortAudioStream;
}

/** The native stream of naudiodon's addon, under its JavaScript stream wrapper. */
interface NativeAudioIO {
  start(): void;
  /** Resolves once the block is queued for the callback: with PortAudio's status flags since the last write, if any (closeOnError), or an error text. */
  write(piece: Buffer): Promise<string | undefined>;
  quit(mode: 'WAIT' | 'ABORT'): Promise<void>;
}

/**
 * An output stream straight on naudiodon's addon, written one block at a time as DeviceSink writes. naudiodon's
 * own wrapper either prints PortAudio's status flags (output underflow: the device played silence) or ends the
 * stream on them; here (with closeOnError) they come back with the next write, and an output underflow is emitted
 * as 'underflow', so it can be counted. Other flags (priming output) are let go.
 */
class CountedOutputStream extends EventEmitter implements PortAudioStream {
  readonly #native: NativeAudioIO;

  constructor(native: NativeAudioIO) {
    super();
    this.#native = native;
  }

  start(): void {
    this.#native.start();
  }

  write(piece: Buffer, callback: (err?: unknown) => void): boolean {
    this.#native.write(piece).then(
      (reply) => {
        if (!reply) return callback();
        if (reply.startsWith('portAudio status')) {
          if (reply.includes('output underflow')) this.emit('underflow');
          return callback();
        }
        callback(new Error(reply));
      },
      (err: unknown) => callback(err),
    );
    return true;
  }

  async quit(callback?: () => void): Promise<void> {
    await this.#native.quit('WAIT');
    callback?.();
  }

  abort(callback?: () => void): void {
    void this.#native.quit('ABORT').then(() => callback?.());
  }
}

/** naudiodon with output streams opened as CountedOutputStream (input streams stay naudiodon's own). */
function withCountedOutput(naudiodon: PortAudioBinding, addon: { create(options: object): NativeAudioIO }): PortAudioBinding {
  return {
    getDevices: () => naudiodon.getDevices(),
    getHostAPIs: () => naudiodon.getHostAPIs(),
    AudioIO: (options) => ('outOptions' in options ? new CountedOutputStream(addon.create(options)) : naudiodon.AudioIO(options)),
  };
}

let binding: PortAudioBinding | undefined;

/**
 * Loads naudiodon on first use, so Quell runs (with file and tone sources) where the native addon is not built.
 * Rejects with AudioDeviceError 'ERR_AUDIO_BACKEND_UNAVAILABLE' (not retryable) when it cannot be loaded.
 */
export async function loadPortAudio(): Promise<PortAudioBinding> {
  if (binding) return binding;
  try {
    // createRequire keeps this a plain CommonJS load: naudiodon is CJS and loads its .node addon by path.
    const require = createRequire(import.meta.url);
    const naudiodon = require('naudiodon') as PortAudioBinding;
    // The addon itself (the same module naudiodon loaded: Node caches it by path), for counted output streams.
    const addon = require(join(dirname(require.resolve('naudiodon/package.json')), 'build', 'Release', 'naudiodon.node')) as { create(options: object): NativeAudioIO };
    binding = withCountedOutput(naudiodon, addon);
    return binding;
  } catch (err) {
    throw new AudioDeviceError(
      'ERR_AUDIO_BACKEND_UNAVAILABLE',
      `naudiodon (PortAudio) is not available: ${(err as Error).message}; run 'npm rebuild naudiodon'`,
      false,
      { cause: err },
    );
  }
}
