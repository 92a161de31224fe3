import { createRequire } from 'node:module';
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
  /** false: PortAudio status flags (over/underflow) are printed, not turned into stream errors. */
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
  removeAllListeners(event?: string): this;
  write(piece: Buffer, callback: (err?: unknown) => void): boolean;
}

export interface PortAudioBinding {
  getDevices(): PortAudioDevice[];
  getHostAPIs(): { defaultHostAPI: number; HostAPIs: PortAudioHostApi[] };
  AudioIO(options: { inOptions: PortAudioStreamOptions } | { outOptions: PortAudioStreamOptions }): PortAudioStream;
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
    binding = require('naudiodon') as PortAudioBinding;
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
