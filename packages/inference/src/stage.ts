import { hostname } from 'node:os';
import { decodeFrame, FrameFlags } from '@quell/protocol';
import { attach, createLinkSecurity, createPullSocket, createPushSocket, loopFailure, MetricsServer, onLinkClosed, quiet, receiveMessages, RejectedFrameLog, SendQueue, StartupError, type Logger, type StageHandle } from '@quell/runtime';
import type { InferenceConfig } from './config.js';
import { NodeControl } from './control/node-control.js';
import { InferenceMetrics } from './metrics.js';
import { createProcessor } from './processors/processor-registry.js';
import { warmUpProcessor } from './processors/warm-up.js';
import { DropInjector } from './runner/drop-injector.js';
import { ModelRunner } from './runner/model-runner.js';
import { StreamTable } from './streams/stream-table.js';

/**
 * Longest a stopping node waits for capture to finish handing its streams to
 * a successor; with the drain after it this stays inside runStage's 1.8 s
 * shutdown budget. A hand-over still running by then completes without this
 * node (capture moves the streams to the candidate on its `bye`).
 */
const LEAVE_TIMEOUT_MS = 1200;

/** Offline runs: longest the receive loop works without giving timers and I/O (heartbeats, metrics) a turn, ms. */
const YIELD_EVERY_MS = 50;

export interface InferenceStage extends StageHandle {
  readonly metricsPort: number;
  readonly metrics: InferenceMetrics;
}

/** Default model folder: `<repo>/models`, beside the packages. */
function defaultModelDir(): string {
  return new URL('../../../models', import.meta.url).pathname;
}

/**
 * inference: receiver → model runner → sender. One loop, clocked by arriving
 * chunks; the model and its sessions are created once per process, model
 * state once per stream.
 */
export async function createInferenceStage(config: InferenceConfig, log: Logger): Promise<InferenceStage> {
  const processor = await createProcessor(config.model, {
    modelDir: config.modelDir || defaultModelDir(),
    gain: config.gain,
    intraOpThreads: config.intraOpThreads,
    batchStreams: config.batchStreams,
    vadGateThresholdDb: config.vadGate ? config.vadGateThresholdDb : undefined,
  });
  warmUpProcessor(processor);
  const node = config.nodeId || `${hostname()}:${process.pid}`;
  const routed = config.control !== '';
  // Routed mode: the control link and the input both go to capture (the input on the port capture assigns), so they share one link's CURVE settings.
  const security = await createLinkSecurity(config, 'inference', [
    routed ? { endpoint: config.control, mode: 'connect' } : { endpoint: config.inputEndpoint, mode: config.inputBind ? 'bind' : 'connect' },
    { endpoint: config.outputEndpoint, mode: config.outputBind ? 'bind' : 'connect' },
  ]);
  // Routed mode: the input proves a key pair of its own, which the hello names, so capture's data socket for this node admits this node alone.
  const inputCurve = routed ? security.freshClient(0) : security.curve[0];
  const input = createPullSocket({ highWaterMarkChunks: config.highWaterMarkChunks, curve: inputCurve });
  const output = createPushSocket({ highWaterMarkChunks: config.highWaterMarkChunks, curve: security.curve[1] });
  try {
    if (!routed) await attach(input, config.inputEndpoint, config.inputBind ? 'bind' : 'connect');
    await attach(output, config.outputEndpoint, config.outputBind ? 'bind' : 'connect');
  } catch (err) {
    input.close();
    output.close();
    throw new StartupError('ERR_BIND', `cannot open ${config.inputEndpoint} / ${config.outputEndpoint} (${(err as Error).message}): check the endpoints`);
  }
  const queue = new SendQueue(output, config.sendQueueChunks);
  const metrics = new InferenceMetrics(queue, processor.name, node);
  onLinkClosed(input, () => metrics.inputLinksClosed++);
  if (processor.batchCounts) metrics.addBatch(processor.batchCounts);
  const metricsServer = new MetricsServer(metrics.stage.registry);
  const metricsPort = await metricsServer.listen(config.metricsHost, config.metricsPort).catch((err: Error) => {
    throw new StartupError('ERR_BIND', `cannot serve metrics on ${config.metricsHost}:${config.metricsPort} (${err.message}): pick another --metrics-port`);
  });
  const streams = new StreamTable(processor, metrics.streams);
  const runner = new ModelRunner(streams, queue, metrics, log, config.backpressure === 'block', new DropInjector(config.testDropRate), config, processor.outputLimit);
  const idleTimer = setInterval(() => {
    streams.expire(performance.now() - config.streamIdleTimeoutS * 1000);
    metrics.activeStreams = streams.size;
  }, 1000);
  idleTimer.unref();

  const control = routed
    ? new NodeControl(
        {
          controlEndpoint: config.control,
          curve: security.curve[0],
          dataKey: inputCurve?.role === 'client' ? inputCurve.publicKey : undefined,
          node,
          model: processor.name,
          nativeRateHz: processor.nativeRateHz,
          metricsPort,
          outputEndpoint: config.outputEndpoint,
          heartbeatMs: config.heartbeatMs,
          processingSeconds: () => metrics.processingSecondsTotal,
        },
        log,
      )
    : null;

  if (control) metrics.addControl(control);
  const rejectedLog = new RejectedFrameLog(log, 'quell_inference_rejected_messages_total');
  // Offline (--backpressure block) input never runs dry and every receive and send resolves at once, so the loop
  // could run on microtasks alone for seconds: no heartbeat would leave and capture would count the node lost.
  // It gives the event loop a turn every YIELD_EVERY_MS of work instead (real time waits for chunks anyway).
  const blocking = config.backpressure === 'block';
  let lastTurnMs = performance.now();
  async function receive(): Promise<void> {
    for await (const parts of receiveMessages(input)) {
      // A backlog of input (several live streams due at once, a pause) is also processed on microtasks alone, and
      // the output queue's send loop never got a turn: 8 live DTLN streams lost 168 chunks in 10 s as queue-full.
      // Half a queue of output waiting is the cue to let it drain.
      if ((blocking && performance.now() - lastTurnMs > YIELD_EVERY_MS) || queue.depth * 2 >= queue.capacity) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        lastTurnMs = performance.now();
      }
      const frame = decodeFrame(parts);
      if (!frame.ok) {
        metrics.rejected[frame.reason]++;
        rejectedLog.note(frame);
        continue;
      }
      const h = frame.header;
      if (!control) {
        await runner.process(h, frame.samples);
        continue;
      }
      const warmUp = (h.flags & FrameFlags.WARM_UP) !== 0;
      if (warmUp) runner.warmUp(h, frame.samples);
      else {
        // Playback tells the two nodes of a hand-over apart by this stamp.
        h.node = node;
        await runner.process(h, frame.samples);
      }
      control.processed(h, warmUp);
      if (h.flags & FrameFlags.END_OF_STREAM) control.endStream(h.stream);
    }
  }

  let done: Promise<void> | undefined;
  if (control) {
    const welcome = await control.register();
    input.connect(welcome.inputEndpoint);
    let inputEndpoint = welcome.inputEndpoint;
    control.onRegisteredAgain = (again) => {
      if (again.inputEndpoint === inputEndpoint) return;
      // A restarted capture gave this node a new data socket: pull from that one instead.
      input.disconnect(inputEndpoint);
      input.connect(again.inputEndpoint);
      inputEndpoint = again.inputEndpoint;
      log.info({ node, role: again.role, input: again.inputEndpoint }, 'registered with capture again');
    };
    log.info({ node, role: welcome.role, input: welcome.inputEndpoint }, 'registered with capture');
    // Capture drains this node once the stream has moved to a successor: finish what is in flight, say so, exit 0.
    done = control.drainRequested.then(async () => {
      // Under pm2 cluster mode the successor shares this metrics port (Node's cluster module): from here on only it answers.
      metricsServer.stopListening();
      await quiet(() => metrics.chunksReceived + metrics.warmUpChunks, 50, 600);
      await queue.drain(800);
      log.info({ node }, 'drained after hand-over');
      await control.close({ type: 'drained', node });
    });
  }

  const { failed, fail } = loopFailure();
  const loop = receive().catch((err: Error) => {
    log.error({ err }, 'inference receive loop failed');
    fail(new Error(`the receive loop failed (${err.message})`));
  });
  if (control) {
    // Ready (pm2's signal, `quell process`) only once serving: a candidate waits for its swap to complete.
    const outcome = await Promise.race([control.promoted.then(() => null), control.aborted]);
    if (outcome !== null) {
      await control.close();
      input.close();
      await loop;
      throw new StartupError('ERR_SWAP_ROLLED_BACK', `capture rolled the swap back: ${outcome}`);
    }
  }
  log.info({ model: processor.name, node, input: routed ? config.control : config.inputEndpoint, output: config.outputEndpoint, metricsPort }, 'inference started');

  let closed: Promise<void> | null = null;
  return {
    metricsPort,
    info: { metricsPort, model: processor.name, node },
    done,
    failed,
    metrics,
    close() {
      closed ??= (async () => {
        clearInterval(idleTimer);
        // Stopped by a signal (pm2 reload or stop): hand the streams to the node that replaces this one, if capture has one, and leave drained.
        const left = control && done ? await control.leave(LEAVE_TIMEOUT_MS) : 'alone';
        if (control) log.info({ node, outcome: left }, 'stopping: asked capture to hand the streams over');
        if (left === 'drain') await done?.catch(() => undefined);
        // Alone: process what is already on the wire (capture's last chunks) first. After a timed-out hand-over the stream is live and never goes quiet.
        if (left === 'alone') await quiet(() => metrics.chunksReceived, 50, 600);
        // A node leaving by itself says bye, so capture moves the stream at once instead of waiting for the heartbeat timeout.
        await control?.close({ type: 'bye', node });
        input.close();
        await loop;
        await queue.drain(800);
        await queue.close();
        output.close();
        await security.close();
        streams.clear();
        await processor.close();
        await metricsServer.close();
      })();
      return closed;
    },
  };
}
