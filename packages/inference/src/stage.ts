import { hostname } from 'node:os';
import { decodeFrame } from '@quell/protocol';
import { attach, createLinkSecurity, createPullSocket, createPushSocket, MetricsServer, quiet, SendQueue, StartupError, type Logger, type StageHandle } from '@quell/runtime';
import type { InferenceConfig } from './config.js';
import { InferenceMetrics } from './metrics.js';
import { createProcessor } from './processors/processor-registry.js';
import { DropInjector } from './runner/drop-injector.js';
import { ModelRunner } from './runner/model-runner.js';
import { StreamTable } from './streams/stream-table.js';

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
  });
  const node = config.nodeId || `${hostname()}:${process.pid}`;
  const security = await createLinkSecurity(config, 'inference', [
    { endpoint: config.inputEndpoint, mode: config.inputBind ? 'bind' : 'connect' },
    { endpoint: config.outputEndpoint, mode: config.outputBind ? 'bind' : 'connect' },
  ]);
  const input = createPullSocket({ highWaterMarkChunks: config.highWaterMarkChunks, curve: security.curve[0] });
  const output = createPushSocket({ highWaterMarkChunks: config.highWaterMarkChunks, curve: security.curve[1] });
  try {
    await attach(input, config.inputEndpoint, config.inputBind ? 'bind' : 'connect');
    await attach(output, config.outputEndpoint, config.outputBind ? 'bind' : 'connect');
  } catch (err) {
    input.close();
    output.close();
    throw new StartupError('ERR_BIND', `cannot open ${config.inputEndpoint} / ${config.outputEndpoint} (${(err as Error).message}): check the endpoints`);
  }
  const queue = new SendQueue(output, config.sendQueueChunks);
  const metrics = new InferenceMetrics(queue, processor.name, node);
  const metricsServer = new MetricsServer(metrics.stage.registry);
  const metricsPort = await metricsServer.listen(config.metricsHost, config.metricsPort).catch((err: Error) => {
    throw new StartupError('ERR_BIND', `cannot serve metrics on ${config.metricsHost}:${config.metricsPort} (${err.message}): pick another --metrics-port`);
  });
  const streams = new StreamTable(processor);
  const runner = new ModelRunner(streams, queue, metrics, log, config.backpressure === 'block', new DropInjector(config.testDropRate));
  const idleTimer = setInterval(() => {
    streams.expire(performance.now() - config.streamIdleTimeoutS * 1000);
    metrics.activeStreams = streams.size;
  }, 1000);
  idleTimer.unref();

  async function receive(): Promise<void> {
    for await (const parts of input) {
      const frame = decodeFrame(parts);
      if (!frame.ok) {
        metrics.rejected[frame.reason]++;
        continue;
      }
      await runner.process(frame.header, frame.samples);
    }
  }

  const loop = receive().catch((err: Error) => {
    log.error({ err }, 'inference receive loop failed');
  });
  log.info({ model: processor.name, node, input: config.inputEndpoint, output: config.outputEndpoint, metricsPort }, 'inference started');

  let closed: Promise<void> | null = null;
  return {
    metricsPort,
    info: { metricsPort, model: processor.name, node },
    metrics,
    close() {
      closed ??= (async () => {
        clearInterval(idleTimer);
        // Process what is already on the wire (capture's last chunks) first.
        await quiet(() => metrics.chunksReceived, 50, 600);
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
