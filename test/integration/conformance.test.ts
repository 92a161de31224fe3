import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import * as zmq from 'zeromq';
import { loadSuite, runCaptureControlSuite, runFrameReceiverSuite, runFrameSinkSuite, runNodeSuite, StageProcess, type CaseResult, type FrameReceiverSuite, type ScriptSuite } from '@quell/cli';
import { LINK_SECURITY_OPTIONS, parseConfig } from '@quell/runtime';
import { freePort } from '../helpers/ports.js';
import { REPO_ROOT } from '../helpers/run.js';

const LOCAL_KEY = parseConfig(LINK_SECURITY_OPTIONS, 'QUELL_CONFORMANCE', {}, []);
const PLAINTEXT = parseConfig(LINK_SECURITY_OPTIONS, 'QUELL_CONFORMANCE', {}, ['--local-auth', 'off']);

const failures = (results: CaseResult[]): CaseResult[] => results.filter((r) => !r.ok);

describe('conformance suites (conformance/*.json) against Quell\'s own stages', { timeout: 120_000 }, () => {
  const stages: StageProcess[] = [];
  after(async () => {
    for (const s of stages) await s.stop();
  });

  for (const model of ['passthrough', 'dtln']) {
    it(`frame-receiver: an inference node (${model}, direct mode) passes every case, reject reasons checked on its /metrics`, async () => {
      const suite = (await loadSuite('frame-receiver')) as FrameReceiverSuite;
      const [input, output, metricsPort] = [await freePort(), await freePort(), await freePort()];
      const running = runFrameReceiverSuite(suite, {
        input: `tcp://127.0.0.1:${input}`,
        output: `tcp://127.0.0.1:${output}`,
        metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
        rejectedMetric: 'quell_inference_rejected_messages_total',
        security: LOCAL_KEY,
        connectTimeoutMs: 30_000,
      });
      // The recorded frames carry a fixed capture time: the staleness check is off.
      const node = new StageProcess('inference', ['--control', '', '--model', model, '--input-endpoint', `tcp://127.0.0.1:${input}`, '--output-endpoint', `tcp://127.0.0.1:${output}`, '--max-input-age-ms', '0', '--metrics-port', String(metricsPort), '--log-level', 'error']);
      stages.push(node);
      const results = await running;
      assert.deepEqual(failures(results), []);
      assert.equal(results.length, suite.cases.length);
    });
  }

  it('frame-receiver, judged by counters: playback (null sink) takes and rejects every case as recorded', async () => {
    const suite = (await loadSuite('frame-receiver')) as FrameReceiverSuite;
    // Every case is a new stream: lift the new-stream rate limit; the recorded capture time is old: no staleness drop.
    const playback = new StageProcess('playback', ['--endpoint', 'tcp://127.0.0.1:*', '--sink', 'null', '--max-new-streams-per-s', '10000', '--max-latency-ms', '0', '--metrics-port', '0', '--log-level', 'error']);
    stages.push(playback);
    const info = await playback.ready;
    const results = await runFrameSinkSuite(suite, {
      input: String(info.endpoint),
      metricsUrl: `http://127.0.0.1:${info.metricsPort}/metrics`,
      acceptedMetric: 'quell_playback_chunks_received_total',
      rejectedMetric: 'quell_playback_rejected_messages_total',
      security: LOCAL_KEY,
      connectTimeoutMs: 15_000,
    });
    assert.deepEqual(failures(results), []);
    assert.equal(results.length, suite.cases.length);
  });

  it('frame-receiver fails a stage that forwards everything unchecked (the suite can fail)', async () => {
    const suite = (await loadSuite('frame-receiver')) as FrameReceiverSuite;
    const [input, output] = [await freePort(), await freePort()];
    const running = runFrameReceiverSuite(suite, { input: `tcp://127.0.0.1:${input}`, output: `tcp://127.0.0.1:${output}`, rejectedMetric: 'x', security: PLAINTEXT, connectTimeoutMs: 10_000 });
    const pull = new zmq.Pull();
    const push = new zmq.Push();
    pull.connect(`tcp://127.0.0.1:${input}`);
    push.connect(`tcp://127.0.0.1:${output}`);
    const forward = (async () => {
      for await (const parts of pull) await push.send(parts);
    })().catch(() => undefined);
    const results = await running;
    pull.close();
    push.close();
    await forward;
    const failed = failures(results).map((r) => r.name);
    // Every frame comes out, so each reject case fails, and the runner notices the malformed frames it was sent back.
    const rejectCases = suite.cases.filter((c) => 'reject' in c.expect).map((c) => c.name);
    assert.deepEqual(failed, [...rejectCases, 'every output frame decodes']);
  });

  it('node: a Quell inference node registered at the runner goes candidate → warm-up → hand-over → active → end of stream → drained, then exits 3', async () => {
    const suite = (await loadSuite('node')) as ScriptSuite;
    const [control, output, metricsPort] = [await freePort(), await freePort(), await freePort()];
    const running = runNodeSuite(suite, { control: `tcp://127.0.0.1:${control}`, output: `tcp://127.0.0.1:${output}`, security: LOCAL_KEY });
    const node = new StageProcess('inference', ['--control', `tcp://127.0.0.1:${control}`, '--output-endpoint', `tcp://127.0.0.1:${output}`, '--metrics-port', String(metricsPort), '--log-level', 'error']);
    stages.push(node);
    const results = await running;
    assert.deepEqual(failures(results), []);
    assert.equal(results.length, suite.steps.length);
    assert.equal(await node.exited, 3, 'a drained node retires');
  });

  it("node: the Python kit's example node passes the same suite (a third party's node, another language)", async () => {
    const suite = (await loadSuite('node')) as ScriptSuite;
    const [control, output] = [await freePort(), await freePort()];
    const running = runNodeSuite(suite, { control: `tcp://127.0.0.1:${control}`, output: `tcp://127.0.0.1:${output}`, security: LOCAL_KEY });
    const node = spawn('/usr/bin/python3', [join(REPO_ROOT, 'clients/python/examples/gain_node.py'), '--delay', '120', '--control', `tcp://127.0.0.1:${control}`, '--output-endpoint', `tcp://127.0.0.1:${output}`, '--node-id', 'py-conformance'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    node.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => node.once('exit', resolve));
    try {
      const results = await running;
      assert.deepEqual(failures(results), [], stderr);
      assert.equal(results.length, suite.steps.length);
      assert.equal(await exited, 3, `a drained node retires: ${stderr}`);
    } finally {
      node.kill('SIGKILL');
    }
  });

  it('capture-control: a capture with no node answers, ignores and counts as recorded', async () => {
    const suite = (await loadSuite('capture-control')) as ScriptSuite;
    const capture = new StageProcess('capture', ['--control', 'tcp://127.0.0.1:*', '--metrics-port', '0', '--log-level', 'error']);
    stages.push(capture);
    const info = await capture.ready;
    const results = await runCaptureControlSuite(suite, { control: String(info.control), metricsUrl: `http://127.0.0.1:${info.metricsPort}/metrics`, security: LOCAL_KEY });
    assert.deepEqual(failures(results), []);
    assert.equal(results.length, suite.steps.length);
  });
});
