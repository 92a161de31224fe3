import { bool, endpoint, LINK_SECURITY_OPTIONS, num, oneOf, parseConfig, str, type ConfigOf } from '@quell/runtime';

/** Every inference option, declared once; flags and env names derive from the keys. */
export const INFERENCE_OPTIONS = {
  model: str('passthrough', 'Processor to run (passthrough, gain, dtln, gtcrn, deepfilternet3)'),
  modelDir: str('', "Folder with fetched models; '' = <repo>/models"),
  gain: num(0.5, 'Linear gain of the gain processor', { min: -100, max: 100 }),
  intraOpThreads: num(1, 'ONNX Runtime intra-op threads per session', { min: 1, max: 64, int: true }),
  inputEndpoint: endpoint('tcp://127.0.0.1:5555', 'Capture PUSH endpoint to connect the PULL socket to'),
  inputBind: bool(false, 'Bind the input endpoint instead of connecting'),
  outputEndpoint: endpoint('tcp://127.0.0.1:5556', 'Playback PULL endpoint to connect the PUSH socket to'),
  outputBind: bool(false, 'Bind the output endpoint instead of connecting'),
  backpressure: oneOf(['drop', 'block'] as const, 'drop', 'drop: a full send queue drops the chunk (counted); block: wait (offline --fast runs)'),
  sendQueueChunks: num(32, 'Bounded send queue length, chunks', { min: 1, max: 100_000, int: true }),
  highWaterMarkChunks: num(64, 'ZeroMQ high-water marks, chunks', { min: 1, max: 100_000, int: true }),
  streamIdleTimeoutS: num(30, 'Drop a stream’s model state after this many seconds without chunks', { min: 1 }),
  nodeId: str('', "Name of this inference node in metrics; '' = host:pid"),
  metricsHost: str('127.0.0.1', 'Metrics HTTP bind address'),
  metricsPort: num(9102, 'Metrics HTTP port; 0 = any free port', { min: 0, max: 65_535, int: true }),
  logLevel: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'silent'] as const, 'info', 'Log level'),
  ...LINK_SECURITY_OPTIONS,
  /** Test hook: fraction of processed chunks to drop before sending (deterministic PRNG). */
  testDropRate: num(0, 'TEST HOOK: drop this fraction of outgoing chunks (counted as reason "injected")', { min: 0, max: 1 }),
};

export type InferenceConfig = ConfigOf<typeof INFERENCE_OPTIONS>;

export const INFERENCE_ENV_PREFIX = 'QUELL_INFERENCE';

export function parseInferenceConfig(env: NodeJS.ProcessEnv, argv: string[]): InferenceConfig {
  return parseConfig(INFERENCE_OPTIONS, INFERENCE_ENV_PREFIX, env, argv);
}
