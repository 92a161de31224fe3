import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JitterBuffer } from './jitter-buffer.js';

const chunk = (seq: number): Float32Array => new Float32Array(4).fill(seq % 100_000);

function buffer(overrides = {}): JitterBuffer {
  return new JitterBuffer({ capacityChunks: 8, prefillChunks: 2, reorderWindowChunks: 3, ...overrides });
}

/** A buffer whose losses (onLoss) are summed by reason into `lost`. */
function losing(overrides = {}): { jb: JitterBuffer; lost: Record<string, { chunks: number; frames: number }> } {
  const lost = { overflow: { chunks: 0, frames: 0 }, flushed: { chunks: 0, frames: 0 } };
  const jb = buffer({
    ...overrides,
    onLoss: (reason: 'overflow' | 'flushed', chunks: number, frames: number) => {
      lost[reason].chunks += chunks;
      lost[reason].frames += frames;
    },
  });
  return { jb, lost };
}

function write(jb: JitterBuffer, seq: number, end = false): string {
  return jb.write(seq >>> 0, chunk(seq), 4, 0, 0, end);
}

function drainReady(jb: JitterBuffer): string[] {
  const out: string[] = [];
  for (;;) {
    const { status, chunk: c } = jb.readReady();
    if (status === 'wait') return out;
    out.push(status === 'ok' ? `ok${c!.samples[0]}` : status);
  }
}

describe('JitterBuffer.readReady (arrival-driven)', () => {
  it('reorders chunks that arrive out of order', () => {
    const jb = buffer();
    write(jb, 10);
    assert.deepEqual(drainReady(jb), ['ok10']);
    write(jb, 12);
    assert.deepEqual(drainReady(jb), []);
    write(jb, 11);
    assert.deepEqual(drainReady(jb), ['ok11', 'ok12']);
  });

  it('gives up on a hole once reorderWindowChunks newer chunks wait, and calls a later arrival late', () => {
    const jb = buffer();
    write(jb, 0);
    drainReady(jb);
    for (const s of [2, 3]) write(jb, s);
    assert.deepEqual(drainReady(jb), []);
    write(jb, 4);
    assert.deepEqual(drainReady(jb), ['missing', 'ok2', 'ok3', 'ok4']);
    assert.equal(write(jb, 1), 'late');
  });

  it('flushes holes before the end-of-stream chunk at once and then reports finished', () => {
    const jb = buffer();
    write(jb, 0);
    write(jb, 2, true);
    assert.deepEqual(drainReady(jb), ['ok0', 'missing', 'ok2']);
    assert.equal(jb.finished, true);
  });

  it('counts duplicates and overflows', () => {
    const jb = buffer();
    write(jb, 0);
    write(jb, 1);
    assert.equal(write(jb, 1), 'duplicate');
    assert.equal(write(jb, 9), 'overflow');
  });

  it('with evictOldest, a chunk too far ahead evicts the oldest (counted) instead of being dropped, so no hole is left', () => {
    const { jb, lost } = losing({ evictOldest: true });
    for (let seq = 0; seq < 8; seq++) write(jb, seq);
    assert.equal(write(jb, 8), 'ok');
    assert.equal(write(jb, 10), 'ok', 'a hole at 9 evicts two more');
    assert.equal(lost.overflow.chunks, 3);
    assert.equal(lost.overflow.frames, 12);
    assert.equal(jb.nextSeq, 3);
    const played: string[] = [];
    for (let i = 0; i < 8; i++) {
      const { status, chunk: c } = jb.readClocked();
      played.push(status === 'ok' ? `ok${c!.samples[0]}` : status);
    }
    assert.deepEqual(played, ['ok3', 'ok4', 'ok5', 'ok6', 'ok7', 'ok8', 'missing', 'ok10']);
  });

  it('evictOlderThan keeps the newest chunk periods (holes among the evicted ones skipped, not concealed later)', () => {
    const { jb, lost } = losing();
    for (const seq of [0, 1, 3, 4, 5]) write(jb, seq);
    assert.equal(jb.evictOlderThan(2), 3);
    assert.equal(lost.overflow.chunks, 3, 'chunks 0, 1 and 3');
    assert.equal(jb.nextSeq, 4);
    assert.equal(jb.depth, 2);
    assert.equal(jb.evictOlderThan(5), 0);
    assert.equal(lost.overflow.chunks, 3, 'nothing to do when fewer are held');
  });

  it('a resync counts what it flushes: the chunks of the old timeline still held', () => {
    const { jb, lost } = losing();
    for (const seq of [0, 1, 2]) write(jb, seq);
    assert.equal(write(jb, 5000), 'resync');
    assert.equal(lost.flushed.chunks, 3);
    assert.equal(lost.flushed.frames, 12);
  });

  it('resyncs when the sender restarts far away, across the u32 wrap too', () => {
    const jb = buffer();
    write(jb, 0xffff_fffe);
    assert.deepEqual(drainReady(jb), ['ok67294']);
    write(jb, 0xffff_ffff);
    write(jb, 0);
    assert.deepEqual(drainReady(jb), ['ok67295', 'ok0']);
    assert.equal(write(jb, 5000), 'resync');
    assert.deepEqual(drainReady(jb), ['ok5000']);
  });
});

describe('JitterBuffer.readClocked (clock-driven)', () => {
  it('plays nothing until the prefill target is reached', () => {
    const jb = buffer();
    write(jb, 0);
    assert.equal(jb.readClocked().status, 'prefilling');
    write(jb, 1);
    assert.equal(jb.readClocked().status, 'ok');
    assert.equal(jb.readClocked().status, 'ok');
  });

  it('reports an underrun when empty and a missing chunk when newer ones wait', () => {
    const jb = buffer();
    write(jb, 0);
    write(jb, 1);
    jb.readClocked();
    jb.readClocked();
    assert.equal(jb.readClocked().status, 'underrun');
    write(jb, 4);
    assert.equal(jb.readClocked().status, 'missing');
    assert.equal(jb.readClocked().status, 'ok');
    assert.equal(write(jb, 2), 'late');
  });
});

describe('JitterBuffer.write (sender restarts)', () => {
  const at = (jb: JitterBuffer, seq: number, captureTimeUs: number): string => jb.write(seq, chunk(seq), 4, captureTimeUs, 0, false);

  it("write() returns 'resync' when seq goes back within capacity but the capture time is newer than every chunk seen (sender restarted)", () => {
    const jb = buffer();
    for (let s = 0; s < 5; s++) at(jb, s, 1000 + s * 10);
    for (let i = 0; i < 5; i++) jb.readClocked();
    assert.equal(at(jb, 0, 5000), 'resync');
    assert.equal(jb.nextSeq, 0);
    assert.equal(at(jb, 1, 5010), 'ok');
    const played: string[] = [];
    for (let i = 0; i < 2; i++) {
      const { status, chunk: c } = jb.readClocked();
      played.push(status === 'ok' ? `ok${c!.samples[0]}` : status);
    }
    assert.deepEqual(played, ['ok0', 'ok1']);
  });

  it("write() returns 'late' for a chunk behind the play position captured before the newest one", () => {
    const jb = buffer();
    for (let s = 0; s < 5; s++) at(jb, s, 1000 + s * 10);
    for (let i = 0; i < 5; i++) jb.readClocked();
    assert.equal(at(jb, 3, 1030), 'late');
  });

  it("write() returns 'late' for chunks held up upstream that the clock already played past (newer seq and capture time than any written)", () => {
    const jb = buffer();
    for (let s = 0; s < 3; s++) at(jb, s, 1000 + s * 10);
    // The clock plays on through a stall: 3 chunks, then 3 underruns.
    for (let i = 0; i < 6; i++) jb.readClocked();
    assert.equal(at(jb, 3, 1030), 'late');
    assert.equal(at(jb, 4, 1040), 'late');
    assert.equal(jb.nextSeq, 6);
  });
});

describe('JitterBuffer.dropOldest', () => {
  const at = (jb: JitterBuffer, seq: number, captureTimeUs: number): string => jb.write(seq, chunk(seq), 4, captureTimeUs, 0, false);

  it('dropOldest() skips to keepChunks before the newest chunk, drops what it passes, and calls skipped arrivals late', () => {
    const jb = buffer({ capacityChunks: 16, prefillChunks: 2 });
    for (const s of [0, 1, 2, 4, 5, 6, 7]) at(jb, s, 1000 + s * 10);
    assert.equal(jb.readClocked().status, 'ok');
    assert.equal(jb.dropOldest(2), 4);
    assert.equal(jb.nextSeq, 6);
    assert.equal(jb.depth, 2);
    assert.equal(at(jb, 3, 1030), 'late');
    const { status, chunk: c } = jb.readClocked();
    assert.equal(status, 'ok');
    assert.equal(c!.seq, 6);
    assert.equal(jb.dropOldest(2), 0, 'already there');
  });
});

describe('JitterBuffer memory', () => {
  it("releases a played chunk's samples at the next read, and dropped ones at once; buffered ones are kept", () => {
    const jb = buffer({ prefillChunks: 1 });
    for (let seq = 0; seq < 5; seq++) write(jb, seq);
    const first = jb.readClocked().chunk!;
    assert.equal(first.samples.length, 4, 'valid until the next read');
    const second = jb.readClocked().chunk!;
    assert.equal(first.samples.length, 0, 'released once played');
    assert.equal(second.samples.length, 4);
    assert.equal(jb.dropOldest(1), 2);
    assert.equal(jb.peek(4)!.samples.length, 4, 'the newest stays buffered');
    jb.readClocked();
    assert.equal(second.samples.length, 0);
  });
});
