import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PrefixViews } from './prefix-views.js';

describe('PrefixViews', () => {
  it('hands back the same view for a length it has seen, sharing one buffer', () => {
    const views = new PrefixViews(8);
    const four = views.prefix(4);
    assert.equal(four.length, 4);
    assert.equal(views.prefix(4), four);
    four[2] = 7;
    assert.equal(views.prefix(6)[2], 7);
    assert.equal(views.prefix(0).length, 0);
  });

  it('grows for a longer length and then serves views of the new buffer', () => {
    const views = new PrefixViews(2);
    const old = views.prefix(2);
    const long = views.prefix(10);
    assert.equal(long.length, 10);
    const again = views.prefix(2);
    assert.notEqual(again, old);
    assert.equal(again.buffer, long.buffer);
  });

  it('keeps at most 64 lengths, then starts the cache afresh with correct views', () => {
    const views = new PrefixViews(200);
    for (let n = 1; n <= 100; n++) assert.equal(views.prefix(n).length, n);
    assert.equal(views.prefix(100).length, 100);
    assert.equal(views.prefix(3).length, 3);
  });
});
