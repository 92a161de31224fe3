import { bool, endpoint, latencyOption, LINK_SECURITY_OPTIONS, list, PROCESS_OPTIONS, num, oneOf, parseConfig, str, type ConfigOf } from '@quell/runtime';
import { parseRoutes } from './playout/device-routes.js';

/** Every playback option, declared once; flags and env names derive from the keys. */
export const PLAYBACK_OPTIONS = {
  endpoint: endpoint('tcp://127.0.0.1:5556', 'PULL endpoint playback binds (or connects to with --connect)'),
  connect: bool(false, 'Connect to the endpoint instead of binding it'),
  sink: oneOf(['file', 'null', 'device'] as const, 'file', 'Where audio goes: WAV files, nowhere (clocked), or an output device (clocked by the device, drift-corrected)'),
  device: str('', "Device sink: PortAudio id or case-insensitive name substring (see 'quell devices'); empty = the default output. Through PulseAudio use 'pulse' and PULSE_SINK=<sink>"),
  route: list(
    [],
    "Device sink: streams that play on devices of their own, comma-separated STREAM=TARGET; TARGET is device (--device), device:NAME (an output by id or name from 'quell devices') or pulse:SINK (a PulseAudio sink through the ALSA 'pulse' device). E.g. 1=pulse:quell_mic_sink,2=device: capture's microphone stream to the virtual microphone, its system-audio stream to the speakers. Other streams play on --device",
  ),
  deviceRateHz: num(48_000, 'Device sink: device sample rate, Hz; streams must arrive at this rate', { min: 8000, max: 384_000, int: true }),
  deviceChannels: num(0, 'Device sink: channels opened on the device, 1 or 2 (mono streams are copied to both); 0 = 1', { min: 0, max: 2, int: true }),
  latency: latencyOption(),
  framesPerBuffer: num(0, 'Device sink: frames per device callback; 0 = as --latency sets (5 ms, or 10 ms with safe)', { min: 0, max: 384_000, int: true }),
  targetMinMs: num(0, 'Device sink: smallest target buffer level (jitter buffer + resampler), ms; 0 = as --latency sets (low 5, balanced 10, safe 30)', { min: 0, max: 10_000 }),
  targetMarginMs: num(0, 'Device sink: added to the measured arrival jitter to make the target level (what the level may lack at the instant of a read: part of a chunk, a device block), ms; 0 = as --latency sets (low 10, balanced 15, safe 20)', { min: 0, max: 1000 }),
  targetMaxMs: num(200, 'Device sink: largest target level; the target follows measured arrival jitter between the two, ms', { min: 1, max: 10_000 }),
  driftMaxTrimPpm: num(1000, 'Device sink: largest resampling ratio trim used to hold the level, ppm (1000 ppm = 1.7 cents)', { min: 1, max: 50_000 }),
  output: str('.quell/output/stream-{stream}.wav', 'File sink path; {stream} is replaced by the stream id. Without {stream} the first stream gets this path and any other its id added (out.wav, out-stream-2.wav)'),
  outputFormat: oneOf(['float32', 'int16'] as const, 'float32', 'File sink sample format'),
  trimDelay: bool(true, 'File sink: drop the pipeline’s known delay so the file lines up with the input'),
  clock: oneOf(['auto', 'arrival', 'realtime'] as const, 'auto', 'What drives reads: arrival (write chunks as they come, file sinks), realtime (a playout clock, like a device); auto picks by sink'),
  prefillChunks: num(2, 'Chunks buffered before a clocked stream starts playing', { min: 0, max: 1000, int: true }),
  capacityChunks: num(64, 'Jitter buffer slots per stream', { min: 2, max: 100_000, int: true }),
  reorderWindowChunks: num(3, 'Arrival clock: newer chunks that may wait behind a hole before it is concealed', { min: 1, max: 1000, int: true }),
  conceal: oneOf(['silence', 'dry'] as const, 'silence', "What fills a missing processed chunk: silence (the last chunk's tail faded out) or dry: the unprocessed signal capture sends with --dry-endpoint, delayed like the processed one and crossfaded (docs/SWAP.md)"),
  fadeMs: num(10, 'Fade length when concealing a gap, ms (at least a quarter period of the lowest frequency to hide cleanly)', { min: 0.1, max: 100 }),
  maxLatencyMs: num(500, 'Clocked null sink: drop a chunk that arrives this long after its capture time as reason "stale" instead of playing it late (the gap is concealed), ms; 0 = never. File sinks driven by arrivals keep everything', { min: 0, max: 600_000 }),
  stallThresholdMs: num(200, 'Count a stall (quell_playback_input_stalls_total) when an open stream receives nothing for this long, ms', { min: 1, max: 600_000 }),
  maxStreams: num(64, 'Streams open at once; a chunk of a new stream beyond is dropped and counted (stream-cap)', { min: 1, max: 10_000, int: true }),
  maxNewStreamsPerS: num(20, 'New streams opened per second (and at most this many at once); beyond, dropped and counted (stream-rate)', { min: 1, max: 10_000 }),
  deviceTakeoverMs: num(1000, 'Device sink: a new stream takes the device only once the stream playing on it has sent nothing for this long, ms; until then its chunks are dropped (device-busy)', { min: 0, max: 600_000 }),
  streamIdleTimeoutS: num(30, 'Finalise a stream that sent nothing for this long, s', { min: 0.5 }),
  highWaterMarkChunks: num(64, 'ZeroMQ receive high-water mark, chunks', { min: 1, max: 100_000, int: true }),
  metricsHost: str('127.0.0.1', 'Metrics HTTP bind address'),
  metricsPort: num(9103, 'Metrics HTTP port; 0 = any free port', { min: 0, max: 65_535, int: true }),
  logLevel: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'silent'] as const, 'info', 'Log level'),
  ...LINK_SECURITY_OPTIONS,
  ...PROCESS_OPTIONS,
};

export type PlaybackConfig = ConfigOf<typeof PLAYBACK_OPTIONS>;

export const PLAYBACK_ENV_PREFIX = 'QUELL_PLAYBACK';

export function parsePlaybackConfig(env: NodeJS.ProcessEnv, argv: string[]): PlaybackConfig {
  const config = parseConfig(PLAYBACK_OPTIONS, PLAYBACK_ENV_PREFIX, env, argv);
  parseRoutes(config.route);
  return config;
}
