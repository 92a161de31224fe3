import assert from 'node:assert/strict';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readWavFormat, WavFormatError } from './read-wav.js';
import { scanWavHeader } from './wav-format.js';
import { buildWavHeader } from './wav-header.js';
import { WavStreamReader } from './wav-stream-reader.js';

const GIB = 2 ** 30;
/** 27 963 s of float32 mono at 48 kHz: 5.0 GiB, whole seconds, so the last one-second read is exactly the tail. */
const SPARSE_DATA_BYTES = 27_963 * 48_000 * 4;

/** An RF64 header (ds64 with the 64-bit sizes, fmt float32 mono 48 kHz, data of size 0xFFFFFFFF) for `dataBytes` of samples. */
function rf64Header(dataBytes: number): Buffer {
  const h = Buffer.alloc(12 + 36 + 24 + 8);
  h.write('RF64', 0, 'ascii');
  h.writeUInt32LE(0xffff_ffff, 4);
  h.write('WAVE', 8, 'ascii');
  h.write('ds64', 12, 'ascii');
  h.writeUInt32LE(28, 16);
  const riffBytes = h.length - 8 + dataBytes;
  h.writeUInt32LE(riffBytes % 2 ** 32, 20);
  h.writeUInt32LE(Math.floor(riffBytes / 2 ** 32), 24);
  h.writeUInt32LE(dataBytes % 2 ** 32, 28);
  h.writeUInt32LE(Math.floor(dataBytes / 2 ** 32), 32);
  h.writeUInt32LE((dataBytes / 4) % 2 ** 32, 36);
  h.writeUInt32LE(Math.floor(dataBytes / 4 / 2 ** 32), 40);
  h.writeUInt32LE(0, 44);
  h.write('fmt ', 48, 'ascii');
  h.writeUInt32LE(16, 52);
  h.writeUInt16LE(3, 56);
  h.writeUInt16LE(1, 58);
  h.writeUInt32LE(48_000, 60);
  h.writeUInt32LE(48_000 * 4, 64);
  h.writeUInt16LE(4, 68);
  h.writeUInt16LE(32, 70);
  h.write('data', 72, 'ascii');
  h.writeUInt32LE(0xffff_ffff, 76);
  return h;
}

/** A plain 44-byte RIFF float32 mono header whose u32 sizes say `dataBytes` (mod 2^32, as a writer that overflowed leaves them). */
function riffHeader(dataBytes: number): Buffer {
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE((36 + dataBytes) % 2 ** 32, 4);
  h.write('WAVEfmt ', 8, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(3, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(48_000, 24);
  h.writeUInt32LE(48_000 * 4, 28);
  h.writeUInt16LE(4, 32);
  h.writeUInt16LE(32, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(dataBytes % 2 ** 32, 40);
  return h;
}

/** A sparse file: `header`, then `dataBytes` of zeros that take no disk space, with `tail` (if any) as the last bytes. */
async function sparseWav(path: string, header: Buffer, dataBytes: number, tail?: Float32Array): Promise<void> {
  const file = await open(path, 'w');
  try {
    await file.write(header, 0, header.length, 0);
    await file.truncate(header.length + dataBytes);
    if (tail) await file.write(Buffer.from(tail.buffer, tail.byteOffset, tail.byteLength), 0, tail.byteLength, header.length + dataBytes - tail.byteLength);
  } finally {
    await file.close();
  }
}

describe('WAV files over 4 GiB', () => {
  it('scanWavHeader() reads RF64 sizes from the ds64 chunk: 5 GiB of float32 is 1.34 G frames', () => {
    const header = rf64Header(5 * GIB);
    const scan = scanWavHeader(header, header.length + 5 * GIB, 'x.wav');
    assert.ok('format' in scan);
    assert.equal(scan.format.frameCount, (5 * GIB) / 4);
    assert.equal(scan.format.dataOffset, header.length);
  });

  it('scanWavHeader() refuses a plain RIFF file over 4 GiB whose data size has wrapped (WavFormatError), and reads one whose size says unknown (0xFFFFFFFF) to the end', () => {
    const wrapped = riffHeader(5 * GIB);
    assert.throws(() => scanWavHeader(wrapped, 44 + 5 * GIB, 'big.wav'), (err: unknown) => err instanceof WavFormatError && err.code === 'ERR_WAV_FORMAT');
    const unknown = riffHeader(0xffff_ffff);
    const scan = scanWavHeader(unknown, 44 + 5 * GIB, 'big.wav');
    assert.ok('format' in scan);
    assert.equal(scan.format.frameCount, (5 * GIB) / 4);
  });

  it('a 5 GiB sparse RF64 file: readWavFormat() and WavStreamReader see every frame; the reader streams all of it, the last second (past 4 GiB) bit-exact, RSS growing less than 64 MiB', { timeout: 120_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'quell-wav-large-'));
    const path = join(dir, 'big.wav');
    const tail = Float32Array.from({ length: 48_000 }, (_, i) => Math.sin(i / 10) * 0.5);
    try {
      await sparseWav(path, rf64Header(SPARSE_DATA_BYTES), SPARSE_DATA_BYTES, tail);
      const format = await readWavFormat(path);
      assert.equal(format.frameCount, SPARSE_DATA_BYTES / 4);
      const rssBefore = process.memoryUsage().rss;
      let rssMax = rssBefore;
      const reader = await WavStreamReader.open(path);
      const chunk = new Float32Array(48_000);
      let frames = 0;
      let last = 0;
      for (let k = 0; ; k++) {
        last = reader.read(chunk);
        if (last === 0) break;
        frames += last;
        if (k % 1000 === 0) rssMax = Math.max(rssMax, process.memoryUsage().rss);
      }
      assert.equal(frames, format.frameCount);
      await reader.close();
      // The last read chunk was the file's last second: the tail written past 4 GiB, bit-exact.
      assert.deepEqual(chunk, tail);
      const grewMiB = (rssMax - rssBefore) / 2 ** 20;
      console.log(`# 5 GiB sparse RF64 read through: RSS grew ${grewMiB.toFixed(1)} MiB`);
      assert.ok(grewMiB < 64, `RSS grew ${grewMiB.toFixed(1)} MiB`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("the writers' header: RIFF with a JUNK chunk up to 4 GiB, the same 80 bytes as RF64 with ds64 past it; a sparse 5 GiB file under the RF64 header reads every frame, and the 4 GiB boundary is exact", async () => {
    const small = buildWavHeader(48_000, 2, 'int16', 4000);
    assert.equal(small.toString('ascii', 0, 4), 'RIFF');
    assert.equal(small.toString('ascii', 12, 16), 'JUNK');
    const smallScan = scanWavHeader(small, small.length + 4000, 'small.wav');
    assert.ok('format' in smallScan);
    assert.equal(smallScan.format.frameCount, 1000);
    assert.equal(smallScan.format.dataOffset, 80);
    // The largest data a RIFF size can describe: RIFF size = 72 + data = 0xFFFFFFFF.
    const largestRiff = 0xffff_ffff - 72;
    assert.equal(buildWavHeader(48_000, 1, 'float32', largestRiff - 3).toString('ascii', 0, 4), 'RIFF');
    assert.equal(buildWavHeader(48_000, 1, 'float32', largestRiff + 1).toString('ascii', 0, 4), 'RF64');
    const dir = await mkdtemp(join(tmpdir(), 'quell-wav-rf64-'));
    const path = join(dir, 'big.wav');
    try {
      await sparseWav(path, buildWavHeader(48_000, 1, 'float32', SPARSE_DATA_BYTES), SPARSE_DATA_BYTES);
      const format = await readWavFormat(path);
      assert.equal(format.frameCount, SPARSE_DATA_BYTES / 4);
      assert.equal(format.dataOffset, 80);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
