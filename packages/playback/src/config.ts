import { bool, endpoint, num, oneOf, parseConfig, str, type ConfigOf } from '@quell/runtime';

/** Every playback option, declared once; flags and env names derive from the keys. */
export const PLAYBACK_OPTIONS = {
  endpoint: endpoint('tcp://127.0.0.1:5556', 'PULL endpoint playback binds (or connects to with --connect)'),
  connect: bool(false, 'Connect to the endpoint instead of binding it'),
  sink: oneOf(['file', 'null'] as const, 'file', 'Where audio goes'),
  output: str('.quell/output/stream-{stream}.wav', 'File sink path; {stream} is replaced by the stream id'),
  outputFormat: oneOf(['float32', 'int16'] as const, 'float32', 'File sink sample format'),
  trimDelay: bool(true, 'File sink: drop the pipeline’s known delay so the file lines up with the input'),
  clock: oneOf(['auto', 'arrival', 'realtime'] as const, 'auto', 'What drives reads: arrival (write chunks as they come, file sinks), realtime (a playout clock, like a device); auto picks by sink'),
  prefillChunks: num(2, 'Chunks buffered before a clocked stream starts playing', { min: 0, max: 1000, int: true }),
  capacityChunks: num(64, 'Jitter buffer slots per stream', { min: 2, max: 100_000, int: true }),
  reorderWindowChunks: num(3, 'Arrival clock: newer chunks that may wait behind a hole before it is concealed', { min: 1, max: 1000, int: true }),
  fadeMs: num(10, 'Fade length when concealing a gap, ms (at least a quarter period of the lowest frequency to hide cleanly)', { min: 0.1, max: 100 }),
  streamIdleTimeoutS: num(30, 'Finalise a stream that sent nothing for this long, s', { min: 0.5 }),
  highWaterMarkChunks: num(64, 'ZeroMQ receive high-water mark, chunks', { min: 1, max: 100_000, int: true }),
  metricsHost: str('127.0.0.1', 'Metrics HTTP bind address'),
  metricsPort: num(9103, 'Metrics HTTP port; 0 = any free port', { min: 0, max: 65_535, int: true }),
  logLevel: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'silent'] as const, 'info', 'Log level'),
};

export type PlaybackConfig = ConfigOf<typeof PLAYBACK_OPTIONS>;

export const PLAYBACK_ENV_PREFIX = 'QUELL_PLAYBACK';

export function parsePlaybackConfig(env: NodeJS.ProcessEnv, argv: string[]): PlaybackConfig {
  return parseConfig(PLAYBACK_OPTIONS, PLAYBACK_ENV_PREFIX, env, argv);
}
