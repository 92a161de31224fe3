import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TokenBucket } from './token-bucket.js';

describe('TokenBucket', () => {
  it('starts full, takes `burst` at once, then refills at the rate; says how long until the next token', () => {
    const bucket = new TokenBucket(10, 3, 0);
    assert.equal(bucket.isFull(0), true);
    for (let i = 0; i < 3; i++) assert.equal(bucket.take(0), true);
    assert.equal(bucket.take(0), false);
    assert.equal(bucket.msUntilToken(0), 100);
    assert.equal(bucket.msUntilToken(40), 60);
    assert.equal(bucket.take(99), false);
    assert.equal(bucket.take(100), true);
    assert.equal(bucket.isFull(10_000), true, 'refills to the burst, never beyond');
    for (let i = 0; i < 3; i++) assert.equal(bucket.take(10_000), true);
    assert.equal(bucket.take(10_000), false);
  });

  it('without a start time the first call starts it: no refill credited before it', () => {
    const bucket = new TokenBucket(1, 1);
    assert.equal(bucket.take(5_000), true);
    assert.equal(bucket.take(5_000), false);
  });
});
