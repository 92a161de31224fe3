import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger, type PortAudioStream } from '@quell/runtime';
import { FakePortAudio } from '@quell/runtime/testing';
import { DevicePlayout } from './device-playout.js';
import { DevicePlayouts } from './device-playouts.js';
import { parseRoutes } from './device-routes.js';

/** Has ALSA's 'pulse' device too, and records which PulseAudio sink each open would reach (libpulse reads PULSE_SINK as the stream opens). */
class SinkRecordingPortAudio extends FakePortAudio {
  readonly pulseSinks: (string | undefined)[] = [];
  override getDevices(): ReturnType<FakePortAudio['getDevices']> {
    return [...super.getDevices(), { id: 1, name: 'pulse', maxInputChannels: 2, maxOutputChannels: 2, defaultSampleRate: 48000, hostAPIName: 'Fake' }];
  }
  override AudioIO(options: Parameters<FakePortAudio['AudioIO']>[0]): PortAudioStream {
    this.pulseSinks.push(process.env.PULSE_SINK);
    return super.AudioIO(options);
  }
}

describe('DevicePlayouts (--route)', () => {
  it('one device per distinct route target plus the default; each opened with its own PULSE_SINK, the environment left as it was', async () => {
    const portAudio = new SinkRecordingPortAudio();
    const log = createLogger('test', 'silent');
    const routes = parseRoutes(['1=pulse:quell_mic_sink', '2=device', '3=pulse:quell_mic_sink', '4=pulse:speakers']);
    const playouts = new DevicePlayouts({ device: undefined, pulseDevice: undefined, label: 'device' }, routes, (target) =>
      new DevicePlayout({ ...target, portAudio, sampleRateHz: 48_000, channelCount: 2, framesPerBuffer: 480, target: {}, controller: {}, maxExcessS: 0.2, log, onStreamFinished: () => undefined }),
    );
    process.env.PULSE_SINK = 'users_own_sink';
    try {
      await playouts.start();
      assert.equal(playouts.all.length, 3, 'the default device, quell_mic_sink and speakers');
      assert.equal(playouts.for(1), playouts.for(3), 'two routes to one sink share its device (one stream at a time)');
      assert.equal(playouts.for(2), playouts.for(99), 'device and unrouted streams: the default device');
      assert.notEqual(playouts.for(1), playouts.for(4));
      assert.deepEqual(portAudio.pulseSinks.sort(), ['quell_mic_sink', 'speakers', 'users_own_sink']);
      assert.equal(process.env.PULSE_SINK, 'users_own_sink');
      assert.equal(playouts.openCount, 3);
      assert.equal(playouts.for(4).destination, 'pulse:speakers');
    } finally {
      delete process.env.PULSE_SINK;
      await playouts.close();
    }
  });
});
