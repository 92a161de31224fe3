import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JitterBuffer } from './jitter-buffer.js';

const chunk = (seq: number): Float32Array => new Float32Array(4).fill(seq % 100_000);

function buffer(overrides = {}): JitterBuffer {
  return new JitterBuffer({ capacityChunks: 8, prefillChunks: 2, reorderWindowChunks: 3, ...overrides });
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
