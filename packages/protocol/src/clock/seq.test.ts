import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seqAdd, seqDiff, seqLt } from './seq.js';

describe('seq helpers', () => {
  it('compare across the u32 wrap', () => {
    assert.equal(seqDiff(0xffff_fffe, 1), 3);
    assert.equal(seqDiff(1, 0xffff_fffe), -3);
    assert.equal(seqLt(0xffff_ffff, 0), true);
    assert.equal(seqLt(0, 0xffff_ffff), false);
    assert.equal(seqAdd(0xffff_ffff, 2), 1);
  });
});
