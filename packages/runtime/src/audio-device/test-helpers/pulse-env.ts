import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Repository root, found from this file's place in packages/runtime/{src,dist}/audio-device/test-helpers/. */
export const REPO_ROOT = fileURLToPath(new URL('../../../../../', import.meta.url));

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
