import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { encodeControl, readControl } from '@quell/protocol';
import { createRouterSocket } from '@quell/runtime';
import { pack } from 'msgpackr';
import pino from 'pino';
import { NodeControl } from './node-control.js';

/** A logger whose JSON lines land in `lines`. */
function recordingLogger(): { log: pino.Logger; lines: { msg: string; field?: string }[] } {
  const lines: { msg: string; field?: string }[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line) as { msg: string; field?: string });
      done();
    },
  });
  return { log: pino({ level: 'info' }, sink), lines };
}

describe('NodeControl', () => {
  it('counts control messages from capture it cannot read, logs the first of each kind naming the field, and still acts on the valid ones', async () => {
    const router = createRouterSocket({});
    await router.bind('tcp://127.0.0.1:*');
    const { log, lines } = recordingLogger();
    const control = new NodeControl(
      { controlEndpoint: router.lastEndpoint!, curve: undefined, dataKey: undefined, node: 'n1', model: 'gain', nativeRateHz: 0, metricsPort: 0, outputEndpoint: 'tcp://127.0.0.1:1', heartbeatMs: 1000 },
      log,
    );
    try {
      const registered = control.register();
      const [identity, hello] = await router.receive();
      assert.equal(readControl(hello).ok && (readControl(hello) as { message: { type: string } }).message.type, 'hello');
      const badWarmUp = pack({ type: 'warm-up', stream: 'one', lastSeq: 3 });
      for (let i = 0; i < 3; i++) await router.send([identity, badWarmUp]);
      await router.send([identity, Buffer.from('not msgpack at all \u0001')]);
      await router.send([identity, pack({ type: 'no-such-type' })]);
      await router.send([identity, encodeControl({ type: 'welcome', inputEndpoint: 'tcp://127.0.0.1:2', role: 'active' })]);
      const welcome = await registered;
      assert.equal(welcome.role, 'active');
      await sleep(50);
      assert.equal(control.rejectedCount, 5);
      const warnings = lines.filter((l) => l.msg.startsWith('refused a control message'));
      assert.equal(warnings.length, 3, JSON.stringify(warnings));
      assert.ok(warnings.some((w) => w.field === 'stream' && w.msg.includes("'warm-up' with field 'stream'")), JSON.stringify(warnings));
    } finally {
      await control.close();
      router.close();
    }
  });
});
