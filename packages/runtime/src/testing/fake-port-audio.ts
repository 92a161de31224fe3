import { EventEmitter } from 'node:events';
import type { PortAudioBinding, PortAudioDevice, PortAudioStream, PortAudioStreamOptions } from '../audio-device/port-audio.js';

/** A stream FakePortAudio opened: tests push 'data' / 'error' into it and read what was written. */
export class FakePortAudioStream extends EventEmitter {
  readonly options: PortAudioStreamOptions;
  readonly written: Buffer[] = [];
  started = false;
  quitCount = 0;
  /** Set to hold back write callbacks, as a device that has not consumed the block yet would. */
  holdWrites = false;
  readonly #heldCallbacks: Array<(err?: unknown) => void> = [];

  constructor(options: PortAudioStreamOptions) {
    super();
    this.options = options;
  }

  start(): void {
    this.started = true;
  }

  abort(): void {
    this.quitCount++;
  }

  quit(callback?: () => void): Promise<void> {
    this.quitCount++;
    setImmediate(() => callback?.());
    return Promise.resolve();
  }

  write(piece: Buffer, callback: (err?: unknown) => void): boolean {
    this.written.push(Buffer.from(piece)); // copied, like naudiodon
    if (this.holdWrites) this.#heldCallbacks.push(callback);
    else setImmediate(callback);
    return true;
  }

  /** Lets the held writes complete (the device consumed them). */
  releaseWrites(err?: unknown): void {
    for (const callback of this.#heldCallbacks.splice(0)) callback(err);
  }
}

/** An in-memory naudiodon: one device 'fake' (2 in, 2 out), AudioIO recording every stream it opens. */
export class FakePortAudio implements PortAudioBinding {
  readonly streams: FakePortAudioStream[] = [];
  /** Number of next AudioIO() calls that throw, as PortAudio does for a missing device. */
  failOpens = 0;

  getDevices(): PortAudioDevice[] {
    return [{ id: 0, name: 'fake', maxInputChannels: 2, maxOutputChannels: 2, defaultSampleRate: 48000, hostAPIName: 'Fake' }];
  }

  getHostAPIs(): ReturnType<PortAudioBinding['getHostAPIs']> {
    return { defaultHostAPI: 0, HostAPIs: [{ id: 0, name: 'Fake', defaultInput: 0, defaultOutput: 0 }] };
  }

  AudioIO(options: { inOptions: PortAudioStreamOptions } | { outOptions: PortAudioStreamOptions }): PortAudioStream {
    if (this.failOpens > 0) {
      this.failOpens--;
      throw new Error('Could not open stream: Device unavailable');
    }
    const stream = new FakePortAudioStream('inOptions' in options ? options.inOptions : options.outOptions);
    this.streams.push(stream);
    return stream as unknown as PortAudioStream;
  }

  get lastStream(): FakePortAudioStream {
    const stream = this.streams.at(-1);
    if (!stream) throw new Error('FakePortAudio: no stream opened');
    return stream;
  }
}

/** Interleaved float32 samples as the little-endian bytes naudiodon delivers. */
export function float32Bytes(samples: ArrayLike<number>): Buffer {
  const out = Buffer.alloc(samples.length * 4);
  for (let i = 0; i < samples.length; i++) out.writeFloatLE(samples[i], i * 4);
  return out;
}
