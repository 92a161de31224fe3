import { isProcessorName, PROCESSOR_NAMES, unknownModelMessage } from './processors/processor-names.js';
import { bool, ConfigError, endpoint, LINK_SECURITY_OPTIONS, PROCESS_OPTIONS, num, oneOf, parseConfig, str, type ConfigOf } from '@quell/runtime';

/** Every inference option, declared once; flags and env names derive from the keys. */
export const INFERENCE_OPTIONS = {
  model: str('passthrough', `Processor to run (${PROCESSOR_NAMES.join(', ')})`),
  modelDir: str('', "Folder with fetched models; '' = <repo>/models"),
  gain: num(0.5, 'Linear gain of the gain processor', { min: -100, max: 100 }),
  intraOpThreads: num(1, 'ONNX Runtime intra-op threads per session', { min: 1, max: 64, int: true }),
  batchStreams: bool(false, 'DTLN: run the waiting hops of all streams through one batched ONNX Runtime call (about a quarter of the CPU per stream with 16 or more streams; one hop, 8 ms, more latency). For a node serving many streams'),
  vadGate: bool(false, 'Voice-activity gate (DeepFilterNet3): mute hops whose estimated local SNR is below --vad-gate-threshold-db'),
  vadGateThresholdDb: num(-10, 'Threshold of the voice-activity gate, dB (libDF uses -10)', { min: -100, max: 100 }),
  control: str(
    'tcp://127.0.0.1:5557',
    "Capture's control endpoint to register with (routed mode, docs/SWAP.md): capture answers with the endpoint to pull chunks from. '' = direct mode: pull from --input-endpoint",
    /^(|tcp:\/\/[^:]+:(\d+|\*)|ipc:\/\/.+|inproc:\/\/.+)$/,
    "must be '' or a ZeroMQ endpoint like tcp://127.0.0.1:5557",
  ),
  heartbeatMs: num(200, 'Routed mode: time between heartbeats to capture, ms (capture declares a node dead after --node-timeout-ms, 1 s by default)', { min: 10, max: 10_000 }),
  inputEndpoint: endpoint('tcp://127.0.0.1:5555', "Direct mode (--control ''): capture PUSH endpoint to connect the PULL socket to"),
  inputBind: bool(false, 'Bind the input endpoint instead of connecting'),
  outputEndpoint: endpoint('tcp://127.0.0.1:5556', 'Playback PULL endpoint to connect the PUSH socket to'),
  outputBind: bool(false, 'Bind the output endpoint instead of connecting'),
  backpressure: oneOf(['drop', 'block'] as const, 'drop', 'drop: a full send queue drops the chunk (counted); block: wait (offline --fast runs; the loop then gives timers and I/O a turn every 50 ms of work, so heartbeats keep going)'),
  sendQueueChunks: num(32, 'Bounded send queue length, chunks', { min: 1, max: 100_000, int: true }),
  highWaterMarkChunks: num(64, 'ZeroMQ high-water marks, chunks', { min: 1, max: 100_000, int: true }),
  streamIdleTimeoutS: num(30, 'Drop a stream’s model state after this many seconds without chunks', { min: 1 }),
  maxInputAgeMs: num(300, 'Drop input chunks older than this when taken (wall clock minus capture time) as reason "stale" instead of processing them late, ms; 0 = never. Off with --backpressure block', { min: 0, max: 600_000 }),
  overloadPolicy: oneOf(['none', 'passthrough'] as const, 'passthrough', 'When inference falls behind real time: none (keep running the model; queues fill and drop), passthrough (send the input unprocessed, delayed by the model latency and crossfaded, until it catches up). Off with --backpressure block'),
  overloadEnterMs: num(120, 'Overload: input age above this, ms, for --overload-hold-ms in a row, means inference is behind real time', { min: 1, max: 60_000 }),
  overloadExitMs: num(40, 'Overload: input age below this, ms, for the recovery hold (1 s, doubled on each relapse up to 16 s) ends the degraded state', { min: 0, max: 60_000 }),
  overloadHoldMs: num(250, 'Overload: how long the input age must stay above --overload-enter-ms before degrading, ms (a short stall is not overload)', { min: 0, max: 60_000 }),
  nodeId: str('', "Name of this inference node in metrics; '' = host:pid"),
  metricsHost: str('127.0.0.1', 'Metrics HTTP bind address'),
  metricsPort: num(9102, 'Metrics HTTP port; 0 = any free port', { min: 0, max: 65_535, int: true }),
  metricsPortPerInstance: bool(false, "Under pm2 with several instances (a node pool): add pm2's instance number (NODE_APP_INSTANCE) to --metrics-port, so each node answers on its own port"),
  logLevel: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'silent'] as const, 'info', 'Log level'),
  ...LINK_SECURITY_OPTIONS,
  ...PROCESS_OPTIONS,
  /** Test hook: fraction of processed chunks to drop before sending (deterministic PRNG). */
  testDropRate: num(0, 'TEST HOOK: drop this fraction of outgoing chunks (counted as reason "injected")', { min: 0, max: 1 }),
  /** Test hook: busy-wait per model call, emulating a model too heavy for the machine. */
  testModelLoadMs: num(0, 'TEST HOOK: busy-wait this long on every model call, ms (emulates a model too heavy for real time)', { min: 0, max: 1000 }),
};

export type InferenceConfig = ConfigOf<typeof INFERENCE_OPTIONS>;

export const INFERENCE_ENV_PREFIX = 'QUELL_INFERENCE';

export function parseInferenceConfig(env: NodeJS.ProcessEnv, argv: string[]): InferenceConfig {
  const config = parseConfig(INFERENCE_OPTIONS, INFERENCE_ENV_PREFIX, env, argv);
  // Checked with the rest of the config: a typo stops the stage before any model code loads.
  if (!isProcessorName(config.model)) throw new ConfigError(`--model: ${unknownModelMessage(config.model)}`);
  const instance = Number(env.NODE_APP_INSTANCE);
  if (config.metricsPortPerInstance && config.metricsPort > 0 && Number.isInteger(instance) && instance > 0) config.metricsPort = Math.min(65_535, config.metricsPort + instance);
  return config;
}
