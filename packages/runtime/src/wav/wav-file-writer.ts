import { open, type FileHandle } from 'node:fs/promises';
import { buildWavHeader, WAV_HEADER_BYTES, type WavSampleFormat } from './wav-header.js';

const BLOCK_BYTES = 256 * 1024;
const BLOCK_COUNT = 4;
/** RIFF sizes are u32: stop appending before the file becomes unreadable. */
const MAX_DATA_BYTES = 0xffff_ffff - WAV_HEADER_BYTES - BLOCK_BYTES;

/**
 * Streams interleaved float32 chunks to a WAV file without blocking the
 * caller: `write()` copies into one of a few preallocated blocks, full blocks
 * are written asynchronously, and `close()` flushes and patches the RIFF
 * sizes so the file is valid. If the disk falls behind by every block, the
 * chunk is not written and `droppedFrames` grows.
 */
export class WavFileWriter {
  readonly path: string;
  readonly sampleRateHz: number;
  readonly channelCount: number;
  readonly format: WavSampleFormat;
  readonly #file: FileHandle;
  readonly #blocks: Buffer[] = [];
  readonly #busy: boolean[] = [];
  #active = 0;
  #fill = 0;
  #fileOffset = WAV_HEADER_BYTES;
  #pending = new Set<Promise<void>>();
  #closed = false;
  /** Audio frames accepted (written or about to be). */
  framesWritten = 0;
  /** Audio frames refused because the disk fell behind or the file hit 4 GiB. */
  droppedFrames = 0;
  /** Asynchronous write failures. */
  errorCount = 0;

  private constructor(path: string, file: FileHandle, sampleRateHz: number, channelCount: number, format: WavSampleFormat) {
    this.path = path;
    this.#file = file;
    this.sampleRateHz = sampleRateHz;
    this.channelCount = channelCount;
    this.format = format;
    for (let i = 0; i < BLOCK_COUNT; i++) {
      this.#blocks.push(Buffer.alloc(BLOCK_BYTES));
      this.#busy.push(false);
    }
  }

  static async create(path: string, sampleRateHz: number, channelCount: number, format: WavSampleFormat = 'float32'): Promise<WavFileWriter> {
    const file = await open(path, 'w');
    await file.write(buildWavHeader(sampleRateHz, channelCount, format, 0), 0, WAV_HEADER_BYTES, 0);
    return new WavFileWriter(path, file, sampleRateHz, channelCount, format);
  }

  get #bytesPerSample(): number {
    return this.format === 'float32' ? 4 : 2;
  }

  /** Appends interleaved samples (length a multiple of channelCount). */
  write(samples: Float32Array): void {
    if (this.#closed) return;
    const frames = samples.length / this.channelCount;
    const bytes = samples.length * this.#bytesPerSample;
    if (this.#fileOffset + this.#fill + bytes - WAV_HEADER_BYTES > MAX_DATA_BYTES) {
      this.droppedFrames += frames;
      return;
    }
    let i = 0;
    while (i < samples.length) {
      if (this.#busy[this.#active]) {
        this.droppedFrames += (samples.length - i) / this.channelCount;
        return;
      }
      const block = this.#blocks[this.#active];
      const room = (BLOCK_BYTES - this.#fill) / this.#bytesPerSample;
      const n = Math.min(room, samples.length - i);
      if (this.format === 'float32') {
        for (let k = 0; k < n; k++) block.writeFloatLE(samples[i + k], this.#fill + k * 4);
      } else {
        for (let k = 0; k < n; k++) {
          const x = samples[i + k];
          block.writeInt16LE(Math.round((x > 1 ? 1 : x < -1 ? -1 : x) * 32767), this.#fill + k * 2);
        }
      }
      this.#fill += n * this.#bytesPerSample;
      i += n;
      if (this.#fill === BLOCK_BYTES) this.#flushActive();
    }
    this.framesWritten += frames;
  }

  #flushActive(): void {
    if (this.#fill === 0) return;
    const index = this.#active;
    const length = this.#fill;
    const position = this.#fileOffset;
    this.#busy[index] = true;
    this.#fileOffset += length;
    this.#active = (this.#active + 1) % BLOCK_COUNT;
    this.#fill = 0;
    const done = this.#file
      .write(this.#blocks[index], 0, length, position)
      .then(
        () => undefined,
        () => {
          this.errorCount++;
        },
      )
      .finally(() => {
        this.#busy[index] = false;
        this.#pending.delete(done);
      });
    this.#pending.add(done);
  }

  /** Flushes, patches the header with the final sizes and closes. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#flushActive();
    await Promise.all(this.#pending);
    const dataBytes = this.#fileOffset - WAV_HEADER_BYTES;
    await this.#file.write(buildWavHeader(this.sampleRateHz, this.channelCount, this.format, dataBytes), 0, WAV_HEADER_BYTES, 0);
    await this.#file.close();
  }
}
