import { WavFileWriter, type WavSampleFormat } from '@quell/runtime';
import type { ChunkSink } from './chunk-sink.js';

/**
 * Writes a stream to a WAV file, optionally dropping the first `trimFrames`
 * (the pipeline's known delay) so the file lines up with the input.
 */
export class WavFileSink implements ChunkSink {
  readonly #writer: WavFileWriter;
  readonly #channelCount: number;
  #trimRemaining: number;

  private constructor(writer: WavFileWriter, channelCount: number, trimFrames: number) {
    this.#writer = writer;
    this.#channelCount = channelCount;
    this.#trimRemaining = trimFrames;
  }

  static async create(path: string, sampleRateHz: number, channelCount: number, format: WavSampleFormat, trimFrames: number): Promise<WavFileSink> {
    return new WavFileSink(await WavFileWriter.create(path, sampleRateHz, channelCount, format), channelCount, trimFrames);
  }

  get destination(): string {
    return this.#writer.path;
  }

  get framesWritten(): number {
    return this.#writer.framesWritten;
  }

  get errorCount(): number {
    return this.#writer.errorCount;
  }

  backlog(): Promise<void> | null {
    return this.#writer.backlog();
  }

  write(samples: Float32Array): void {
    if (this.#trimRemaining > 0) {
      const frames = samples.length / this.#channelCount;
      const skip = Math.min(frames, this.#trimRemaining);
      this.#trimRemaining -= skip;
      if (skip === frames) return;
      samples = samples.subarray(skip * this.#channelCount);
    }
    this.#writer.write(samples);
  }

  close(): Promise<void> {
    return this.#writer.close();
  }
}
