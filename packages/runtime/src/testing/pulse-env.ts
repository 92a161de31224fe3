import { execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Repository root, found from this file's place in packages/runtime/{src,dist}/testing/. */
const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/**
 * Starts (or reuses) the headless PulseAudio daemon of scripts/pulse-up.sh and puts its env into process.env,
 * where libpulse (inside PortAudio's ALSA 'pulse' device, pactl, paplay, parec) finds it. For tests only.
 * @returns the env lines it applied
 */
export async function ensureTestPulse(): Promise<Record<string, string>> {
  const { stdout } = await run('bash', [`${REPO_ROOT}scripts/pulse-up.sh`], { timeout: 20_000 });
  const applied: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    const match = /^export ([A-Z_]+)=(.*)$/.exec(line.trim());
    if (!match) continue;
    process.env[match[1]] = match[2];
    applied[match[1]] = match[2];
  }
  return applied;
}

/** Runs pactl with the current env. @returns its stdout */
export async function pactl(...args: string[]): Promise<string> {
  const { stdout } = await run('pactl', args, { timeout: 10_000 });
  return stdout;
}

/** A running parec; stop() (safe to call twice) resolves with what it recorded. */
export interface SourceRecording {
  stop(): Promise<Float32Array>;
  /**
   * When frame 0 was recorded (performance.now() time), estimated as the earliest (arrival − frames before / rate)
   * over the pieces, so two recordings started at different times can be compared.
   */
  readonly startMs: number;
}

/** Records a PulseAudio source with parec, mono float32 at `rateHz`, 10 ms latency. For tests and benchmarks. */
export function recordSource(source: string, rateHz: number): SourceRecording {
  const parec = spawn('parec', [`--device=${source}`, '--format=float32le', `--rate=${rateHz}`, '--channels=1', '--raw', '--latency-msec=10']);
  const pieces: Buffer[] = [];
  let bytes = 0;
  let startMs = Number.POSITIVE_INFINITY;
  parec.stdout.on('data', (piece: Buffer) => {
    pieces.push(piece);
    bytes += piece.length;
    startMs = Math.min(startMs, performance.now() - (bytes / 4 / rateHz) * 1000);
  });
  const exited = new Promise((resolve) => parec.on('close', resolve));
  let stopped: Promise<Float32Array> | undefined;
  return {
    get startMs() {
      return startMs;
    },
    stop() {
      stopped ??= (async () => {
        parec.kill('SIGTERM');
        await exited;
        const all = Buffer.concat(pieces);
        const out = new Float32Array(Math.floor(all.length / 4));
        for (let i = 0; i < out.length; i++) out[i] = all.readFloatLE(i * 4);
        return out;
      })();
      return stopped;
    },
  };
}
