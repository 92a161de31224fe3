import { closeSync, openSync, read, readSync, fstatSync } from 'node:fs';
import { QuellError } from '../errors.js';
import { decodeSamples, scanWavHeader, type WavFormat } from './wav-format.js';

/** One block of the file's data chunk in memory: which region it holds and whether it has arrived. */
interface Block {
  readonly bytes: Buffer;
  readonly view: DataView;
  region: number;
  ready: boolean;
  loading: boolean;
}

const HEAD_BYTES = 4096;

/**
 * Reads a WAV file's samples in order, with memory bounded by two blocks
 * whatever the file's length. `read()` is synchronous (a pacer calls it on its
 * deadline): the next block is read ahead asynchronously while the current one
 * plays, so the hot path only decodes. If the read-ahead has not arrived in
 * time the block is read synchronously instead and counted in `syncReads`.
 * A file that fits in one block is read once, so looping it costs no I/O.
 */
export class WavStreamReader {
  readonly format: WavFormat;
  readonly path: string;
  /** Blocks that had to be read synchronously because the read-ahead was late. */
  syncReads = 0;
  readonly #fd: number;
  readonly #blockFrames: number;
  readonly #blocks: [Block, Block];
  readonly #inFlight = new Set<Promise<void>>();
  #frame = 0;
  #closed = false;

  private constructor(path: string, fd: number, format: WavFormat, blockFrames: number) {
    this.path = path;
    this.#fd = fd;
    this.format = format;
    this.#blockFrames = Math.max(1, Math.min(blockFrames, format.frameCount));
    const blockBytes = this.#blockFrames * format.bytesPerFrame;
    const block = (): Block => {
      const bytes = Buffer.alloc(blockBytes);
      return { bytes, view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), region: -1, ready: false, loading: false };
    };
    this.#blocks = [block(), block()];
  }

  /**
   * Opens `path` and reads its header. `blockFrames` is the read-ahead unit
   * (default half a second). Rejects with QuellError ERR_NO_INPUT for a missing
   * or unreadable file and WavFormatError for one that is not a usable WAV.
   */
  static async open(path: string, blockFrames?: number): Promise<WavStreamReader> {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      throw new QuellError('ERR_NO_INPUT', `cannot read '${path}' (${code}): check the path`, { cause: err });
    }
    try {
      const fileBytes = fstatSync(fd).size;
      let head = Buffer.alloc(Math.min(HEAD_BYTES, fileBytes));
      for (;;) {
        const got = readSync(fd, head, 0, head.length, 0);
        const scan = scanWavHeader(head.subarray(0, got), fileBytes, path);
        if ('format' in scan) {
          const reader = new WavStreamReader(path, fd, scan.format, blockFrames ?? Math.ceil(scan.format.sampleRateHz / 2));
          reader.#loadSync(reader.#blocks[0], 0);
          reader.#prefetch(1);
          return reader;
        }
        head = Buffer.alloc(Math.min(fileBytes, Math.max(scan.needBytes, 2 * head.length)));
      }
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  /** Frame the next read starts at. */
  get position(): number {
    return this.#frame;
  }

  /**
   * Fills the first `frames` frames of `out` (interleaved, `format.channelCount`
   * channels; default: as many as fit) from the current position; returns the
   * frames written, fewer than asked at the end. Allocates nothing.
   */
  read(out: Float32Array, frames = Math.floor(out.length / this.format.channelCount)): number {
    if (this.#closed) throw new Error('WavStreamReader.read() after close()');
    const { channelCount, bytesPerFrame, encoding, frameCount } = this.format;
    const wanted = Math.min(frames, Math.floor(out.length / channelCount));
    let written = 0;
    while (written < wanted && this.#frame < frameCount) {
      const region = Math.floor(this.#frame / this.#blockFrames);
      const block = this.#block(region);
      const inBlock = this.#frame - region * this.#blockFrames;
      const n = Math.min(wanted - written, this.#regionFrames(region) - inBlock);
      decodeSamples(block.view, inBlock * bytesPerFrame, encoding, n * channelCount, out, written * channelCount);
      this.#frame += n;
      written += n;
    }
    return written;
  }

  /** Starts again from the first frame (looping). */
  rewind(): void {
    this.#frame = 0;
    if (!this.#holding(0)) this.#prefetch(0);
  }

  /** Closes the file once reads in flight have landed; safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all(this.#inFlight);
    closeSync(this.#fd);
  }

  #regionFrames(region: number): number {
    return Math.min(this.#blockFrames, this.format.frameCount - region * this.#blockFrames);
  }

  /** The block that has `region` in memory, if one has (plain loops: this runs per chunk and must not allocate). */
  #holding(region: number): Block | undefined {
    const [a, b] = this.#blocks;
    if (a.ready && a.region === region) return a;
    if (b.ready && b.region === region) return b;
    return undefined;
  }

  /** The block holding `region`, read now if the read-ahead missed; starts the read-ahead of the region after it. */
  #block(region: number): Block {
    const [a, b] = this.#blocks;
    let block = this.#holding(region);
    if (!block) {
      // The free block is one not being written by a read in flight (at most one is).
      block = a.loading ? b : a;
      this.#loadSync(block, region);
      this.syncReads++;
    }
    if (a.region !== region + 1 && b.region !== region + 1) this.#prefetch(region + 1);
    return block;
  }

  #loadSync(block: Block, region: number): void {
    const bytes = this.#regionFrames(region) * this.format.bytesPerFrame;
    readSync(this.#fd, block.bytes, 0, bytes, this.#offset(region));
    block.region = region;
    block.ready = true;
  }

  /** Reads `region` ahead into the block not holding the region being played. */
  #prefetch(region: number): void {
    if (this.#closed || region * this.#blockFrames >= this.format.frameCount) return;
    const playing = Math.floor(this.#frame / this.#blockFrames);
    const block = this.#blocks.find((b) => !b.loading && !(b.ready && b.region === playing));
    if (!block) return;
    block.loading = true;
    block.ready = false;
    block.region = region;
    const bytes = this.#regionFrames(region) * this.format.bytesPerFrame;
    const done = new Promise<void>((resolve) => {
      read(this.#fd, block.bytes, 0, bytes, this.#offset(region), (err) => {
        block.loading = false;
        // A failed or overtaken read leaves the block empty; the next use reads it synchronously.
        block.ready = !err && block.region === region;
        this.#inFlight.delete(done);
        resolve();
      });
    });
    this.#inFlight.add(done);
  }

  #offset(region: number): number {
    return this.format.dataOffset + region * this.#blockFrames * this.format.bytesPerFrame;
  }
}
