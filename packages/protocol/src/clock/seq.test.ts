import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seqAdd, seqLt, seqSub } from './seq.js';

describe('seq helpers', () => {
  it('compare across the u32 wrap', () => {
    assert.equal(seqSub(1, 0xffff_fffe), 3);
    assert.equal(seqSub(0xffff_fffe, 1), -3);
    assert.equal(seqLt(0xffff_ffff, 0), true);
    assert.equal(seqLt(0, 0xffff_ffff), false);
    assert.equal(seqAdd(0xffff_ffff, 2), 1);
  });
});
