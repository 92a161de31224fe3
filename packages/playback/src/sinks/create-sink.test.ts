import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { outputPathFor } from './create-sink.js';

describe('outputPathFor()', () => {
  it('replaces {stream} with the stream id', () => {
    assert.equal(outputPathFor('/o/s-{stream}.wav', 7), '/o/s-7.wav');
  });

  it('gives a fixed path to its owner stream and adds the id before the extension for any other', () => {
    assert.equal(outputPathFor('/o/out.wav', 1, 1), '/o/out.wav');
    assert.equal(outputPathFor('/o/out.wav', 2, 1), '/o/out-stream-2.wav');
    assert.equal(outputPathFor('out', 3, 1), resolve('out-stream-3'));
  });
});
