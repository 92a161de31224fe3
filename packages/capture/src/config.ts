import { captureInputs } from './sources/capture-inputs.js';
import { bool, ConfigError, endpoint, latencyOption, LINK_SECURITY_OPTIONS, PROCESS_OPTIONS, list, num, oneOf, parseConfig, str, type ConfigOf } from '@quell/runtime';

/** Every capture option, declared once; flags and env names derive from the keys. */
export const CAPTURE_OPTIONS = {
  source: list(
    ['synth'],
    "Where audio comes from, comma-separated; each entry is its own stream (ids from --stream-id on, in order), all at once: synth; file (the --files, one after another); file:PATH (one WAV file); device (--device or --pulse-source; clocked by the device); device:NAME (an input by id or name from 'quell devices'); pulse:SOURCE (a PulseAudio source through the ALSA 'pulse' device, e.g. quell_input.monitor for system audio). E.g. device,pulse:quell_input.monitor: the microphone and system audio",
  ),
  device: str('', "Device source: PortAudio id or case-insensitive name substring (see 'quell devices'); empty = the default input"),
  pulseSource: str('', "Device source through PulseAudio: the source the ALSA 'pulse' device records (sets PULSE_SOURCE), e.g. quell_input.monitor for system audio; empty = PulseAudio's default"),
  deviceChannels: num(0, 'Device source: channels opened on the device, 1 or 2 (2 with --channels 1 downmixes (L+R)/2); 0 = as --channels', { min: 0, max: 2, int: true }),
  framesPerBuffer: num(0, 'Device source: frames per device callback; 0 = as --latency sets (5 ms, or 10 ms with safe)', { min: 0, max: 384_000, int: true }),
  latency: latencyOption(),
  files: list([], 'WAV files for the file source, comma-separated; each becomes its own stream'),
  loop: bool(false, 'Loop the file source forever'),
  synthWaveform: oneOf(['sine', 'noise'] as const, 'sine', 'Synth signal'),
  synthFrequencyHz: num(440, 'Synth sine frequency, Hz', { min: 1, max: 192_000 }),
  synthAmplitude: num(0.25, 'Synth peak amplitude, 0..1', { min: 0, max: 1 }),
  synthDurationS: num(0, 'Synth stream length in seconds; 0 = endless', { min: 0 }),
  sampleRateHz: num(48_000, 'Synth and device sample rate, Hz (file sources use the file rate)', { min: 8000, max: 384_000, int: true }),
  channels: num(0, 'Channels to send: 1 (mono downmix) or 2; 0 = as the source (synth and device: 1)', { min: 0, max: 2, int: true }),
  chunkMs: num(10, 'Chunk length in ms (used when --chunk-frames is 0)', { min: 0.1, max: 1000 }),
  chunkFrames: num(0, 'Chunk length in frames; 0 = derive from --chunk-ms', { min: 0, max: 384_000, int: true }),
  pace: oneOf(['realtime', 'fast'] as const, 'realtime', 'realtime: paced by the clock, a full queue is a counted drop; fast: as fast as the pipeline takes it, nothing dropped'),
  awaitPeer: bool(true, 'Start the clock only once a receiver has connected'),
  streamId: num(1, 'Stream id of the first stream (u32)', { min: 0, max: 0xffff_ffff, int: true }),
  control: str(
    'tcp://127.0.0.1:5557',
    "Control ROUTER capture binds; inference nodes register here and get a PUSH of their own on the same host (routed mode, docs/SWAP.md). '' = direct mode: one PUSH bound at --endpoint",
    /^(|tcp:\/\/[^:]+:(\d+|\*)|ipc:\/\/.+|inproc:\/\/.+)$/,
    "must be '' or a ZeroMQ endpoint like tcp://127.0.0.1:5557",
  ),
  endpoint: endpoint('tcp://127.0.0.1:5555', "Direct mode (--control ''): the PUSH endpoint capture binds; unused in routed mode"),
  warmUpMs: num(1000, 'Routed mode: input remembered per stream and fed to a new inference node (output discarded) before it is heard, ms', { min: 0, max: 10_000 }),
  fadeChunks: num(5, 'Routed mode: chunks the crossfade from the old to the new inference node lasts', { min: 1, max: 1000, int: true }),
  nodeTimeoutMs: num(1000, 'Routed mode: an inference node silent (no heartbeat) for this long is dead, ms', { min: 100, max: 60_000 }),
  warmUpTimeoutMs: num(5000, 'Routed mode: a candidate node that has not warmed up within this rolls its swap back, ms', { min: 100, max: 600_000 }),
  swapTimeoutMs: num(15_000, 'Routed mode: a swap not completed within this rolls back, ms', { min: 100, max: 600_000 }),
  nodePool: bool(false, 'Routed mode: run the inference nodes as a pool: every node serves, each new stream goes to the least-loaded node (by the load in its heartbeats), a joining node takes streams from the fullest and a leaving or lost one hands its streams to the others, stream by stream. Off: one node serves every stream and a new node takes them all over (a swap)'),
  maxNodes: num(4, 'Routed mode: most inference nodes registered at once (active, candidate, draining); a hello beyond is refused and counted', { min: 1, max: 64, int: true }),
  drainTimeoutMs: num(3000, 'Routed mode: a draining inference node that has not said drained within this is dropped (its data socket closed), ms', { min: 100, max: 600_000 }),
  controlRatePerS: num(100, 'Routed mode: control messages one peer may send per second, sustained; beyond, refused and counted (rate-limited)', { min: 1, max: 100_000 }),
  controlBurst: num(300, 'Routed mode: control messages one peer may send at once (the rate limit\'s bucket)', { min: 1, max: 100_000, int: true }),
  dataPorts: str(
    '',
    "Routed mode: the TCP ports capture binds each inference node's data socket on, a range like 40000-40015 holding at least --max-nodes ports (open them, and --control's, in a firewall between machines); '' = any free port",
    /^(|\d{1,5}-\d{1,5})$/,
    "must be '' or a port range like 40000-40015",
  ),
  maxLagChunks: num(50, 'Routed mode: a candidate trailing the live stream by more than this many chunks rolls its swap back', { min: 1, max: 100_000, int: true }),
  dryEndpoint: str(
    '',
    "Dry path: also PUSH every chunk unprocessed (flagged DRY) to playback's --endpoint, for playback's --conceal dry (docs/SWAP.md); its own queue of --send-queue-chunks, a full one is a counted dry drop. '' = off",
    /^(|tcp:\/\/[^:]+:\d+|ipc:\/\/.+|inproc:\/\/.+)$/,
    "must be '' or the ZeroMQ endpoint playback binds, like tcp://127.0.0.1:5556",
  ),
  sendQueueChunks: num(32, 'Bounded send queue length, chunks', { min: 1, max: 100_000, int: true }),
  highWaterMarkChunks: num(64, 'ZeroMQ send high-water mark, chunks', { min: 1, max: 100_000, int: true }),
  metricsHost: str('127.0.0.1', 'Metrics HTTP bind address'),
  metricsPort: num(9101, 'Metrics HTTP port; 0 = any free port', { min: 0, max: 65_535, int: true }),
  logLevel: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'silent'] as const, 'info', 'Log level'),
  ...LINK_SECURITY_OPTIONS,
  ...PROCESS_OPTIONS,
};

export type CaptureConfig = ConfigOf<typeof CAPTURE_OPTIONS>;

export const CAPTURE_ENV_PREFIX = 'QUELL_CAPTURE';

export function parseCaptureConfig(env: NodeJS.ProcessEnv, argv: string[]): CaptureConfig {
  const config = parseConfig(CAPTURE_OPTIONS, CAPTURE_ENV_PREFIX, env, argv);
  dataPortRange(config);
  captureInputs(config);
  return config;
}

/** `--data-ports` as a range, or null for any free port; a ConfigError naming the fix when it cannot work. */
export function dataPortRange(config: Pick<CaptureConfig, 'dataPorts' | 'maxNodes' | 'control'>): { first: number; last: number } | null {
  if (config.dataPorts === '') return null;
  const [first, last] = config.dataPorts.split('-').map(Number);
  if (first < 1 || last > 65_535 || first > last) throw new ConfigError(`--data-ports ${config.dataPorts} is not a port range: give FIRST-LAST with 1 <= FIRST <= LAST <= 65535`);
  if (last - first + 1 < config.maxNodes) throw new ConfigError(`--data-ports ${config.dataPorts} holds ${last - first + 1} ports, fewer than --max-nodes ${config.maxNodes}: widen the range or lower --max-nodes`);
  if (!config.control.startsWith('tcp://')) throw new ConfigError(`--data-ports needs a tcp:// --control endpoint (got '${config.control}'): drop --data-ports or use tcp://`);
  return { first, last };
}

/** Frames per chunk at `sampleRateHz` under this config. */
export function chunkFramesAt(config: CaptureConfig, sampleRateHz: number): number {
  return config.chunkFrames > 0 ? config.chunkFrames : Math.max(1, Math.round((sampleRateHz * config.chunkMs) / 1000));
}
