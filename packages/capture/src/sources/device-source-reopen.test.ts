import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { AudioDeviceError } from '@quell/runtime';
import { FakePortAudio, float32Bytes } from '@quell/runtime/testing';
import { DeviceSource } from './device-source.js';

describe('DeviceSource with a fake PortAudio', () => {
  it('delivers fixed 480-frame chunks from 256-frame pieces, downmixing stereo to mono', async () => {
    const portAudio = new FakePortAudio();
    const chunks: Float32Array[] = [];
    const times: number[] = [];
    const source = new DeviceSource({
      portAudio, channelCount: 1, deviceChannelCount: 2, chunkFrames: 480, framesPerBuffer: 256,
      onChunk: (samples, captureTimeUs) => { chunks.push(samples); times.push(captureTimeUs); },
    });
    await source.start();
    const stream = portAudio.lastStream;
    assert.equal(stream.options.highwaterMark, 256 * 2 * 4, 'one device buffer per piece');
    let frame = 0;
    for (let piece = 0; piece < 4; piece++) {
      const stereo = new Float32Array(512);
      for (let i = 0; i < 256; i++, frame++) {
        stereo[2 * i] = frame / 1000;
        stereo[2 * i + 1] = frame / 1000 + 0.5;
      }
      stream.emit('data', float32Bytes(stereo));
    }
    assert.equal(chunks.length, 2);
    assert.equal(chunks[0].length, 480);
    assert.ok(Math.abs(chunks[1][0] - (480 / 1000 + 0.25)) < 1e-6, 'second chunk starts at frame 480, (L+R)/2');
    assert.equal(source.receivedBytes, 4 * 512 * 4);
    // All pieces arrive at once here, so the clock re-anchors on each: the step is at most one chunk.
    assert.ok(times[1] > times[0] && times[1] - times[0] <= 10_000 + 1, 'captureTimeUs increases by at most 10 ms');
    await source.close();
  });

  it('counts a device error, reopens after the backoff, and keeps delivering', async () => {
    const portAudio = new FakePortAudio();
    const errors: AudioDeviceError[] = [];
    let chunks = 0;
    const source = new DeviceSource({ portAudio, onChunk: () => chunks++, onDeviceError: (err) => errors.push(err) });
    await source.start();
    portAudio.lastStream.emit('error', new Error('device unplugged'));
    assert.equal(source.errorCount, 1);
    assert.equal(errors[0].code, 'ERR_AUDIO_DEVICE_IO');
    assert.equal(portAudio.streams[0].quitCount, 1, 'the failed stream is closed');
    portAudio.failOpens = 1; // the first reopen fails too: the next waits twice as long
    await sleep(120);
    assert.equal(source.errorCount, 2);
    assert.equal(portAudio.streams.length, 1);
    await sleep(250);
    assert.equal(portAudio.streams.length, 2);
    assert.equal(source.reopenCount, 1);
    portAudio.lastStream.emit('data', float32Bytes(new Float32Array(480)));
    assert.equal(chunks, 1);
    portAudio.streams[0].emit('data', float32Bytes(new Float32Array(480)));
    assert.equal(chunks, 1, 'data from the dropped stream is ignored');
    await source.close();
  });

  it('start() rejects with ERR_AUDIO_DEVICE_OPEN when the first open fails; close() is safe twice', async () => {
    const portAudio = new FakePortAudio();
    portAudio.failOpens = 1;
    const source = new DeviceSource({ portAudio, onChunk: () => {} });
    await assert.rejects(source.start(), { code: 'ERR_AUDIO_DEVICE_OPEN' });
    await source.close();
    await source.close();
    await assert.rejects(source.start(), { code: 'ERR_AUDIO_DEVICE_CLOSED' });
  });

  it('a throwing onChunk is counted and capture goes on', async () => {
    const portAudio = new FakePortAudio();
    const source = new DeviceSource({ portAudio, onChunk: () => { throw new Error('listener bug'); } });
    await source.start();
    portAudio.lastStream.emit('data', float32Bytes(new Float32Array(960)));
    assert.equal(source.chunkCount, 2);
    assert.equal(source.listenerErrorCount, 2);
    await source.close();
  });
});
