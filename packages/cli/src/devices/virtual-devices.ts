import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** Runs `pactl` with these arguments and returns its stdout; injectable for tests. */
export type PactlRunner = (args: readonly string[]) => Promise<string>;

export interface VirtualDevicesOptions {
  /** Where the state file (virtual-devices.json) lives. Default ~/.config/quell. */
  configDir?: string;
  pactl?: PactlRunner;
}

/** What up() did: names it created, and names that already existed and were left alone. */
export interface VirtualDevicesResult {
  created: string[];
  existing: string[];
}

/** A module up() loaded: `down()` unloads it only if the same id still carries the same name. */
interface LoadedModule {
  id: number;
  name: string;
}

/** Sink apps play into; Quell captures its monitor, `quell_input.monitor`. */
export const QUELL_INPUT_SINK = 'quell_input';
/** Sink Quell plays the processed sound into; only the virtual microphone listens to it. */
export const QUELL_MIC_SINK = 'quell_mic_sink';
/** The virtual microphone other apps record from. */
export const QUELL_MICROPHONE_SOURCE = 'quell_microphone';

const STATE_FILE = 'virtual-devices.json';

const defaultPactl: PactlRunner = async (args) => (await execFileAsync('pactl', [...args], { timeout: 10_000 })).stdout;

/**
 * Creates the PulseAudio devices Quell routes through:
 *   "Quell Input" (null sink quell_input)  ->  Quell captures quell_input.monitor
 *   Quell plays into quell_mic_sink  ->  "Quell Microphone" (source quell_microphone, remapped from its monitor)
 * No loopback to the speakers is ever loaded, so the unprocessed sound is heard only through Quell.
 * Devices that already exist are left alone (a second up() is harmless). The ids of the modules it loads are
 * added to the state file so down() removes exactly those.
 */
export async function up(options: VirtualDevicesOptions = {}): Promise<VirtualDevicesResult> {
  const pactl = options.pactl ?? defaultPactl;
  const statePath = join(options.configDir ?? join(homedir(), '.config', 'quell'), STATE_FILE);
  const sinks = names(await pactl(['list', 'short', 'sinks']));
  const sources = names(await pactl(['list', 'short', 'sources']));
  const loaded = await readState(statePath);
  const result: VirtualDevicesResult = { created: [], existing: [] };

  const load = async (name: string, exists: boolean, args: string[]): Promise<void> => {
    if (exists) {
      result.existing.push(name);
      return;
    }
    const id = Number.parseInt((await pactl(['load-module', ...args])).trim(), 10);
    if (!Number.isInteger(id)) throw new Error(`pactl load-module ${args[0]} returned no module id`);
    loaded.push({ id, name });
    result.created.push(name);
    // Saved after every module, so a failure half-way still lets down() remove what was made.
    await writeState(statePath, loaded);
  };

  // The property list is quoted as a whole so the description may contain spaces; pulse rejects it otherwise.
  await load(QUELL_INPUT_SINK, sinks.has(QUELL_INPUT_SINK), [
    'module-null-sink', `sink_name=${QUELL_INPUT_SINK}`, `sink_properties='device.description="Quell Input"'`,
  ]);
  await load(QUELL_MIC_SINK, sinks.has(QUELL_MIC_SINK), [
    'module-null-sink', `sink_name=${QUELL_MIC_SINK}`, `sink_properties='device.description="Quell Microphone Sink"'`,
  ]);
  await load(QUELL_MICROPHONE_SOURCE, sources.has(QUELL_MICROPHONE_SOURCE), [
    'module-remap-source', `master=${QUELL_MIC_SINK}.monitor`, `source_name=${QUELL_MICROPHONE_SOURCE}`,
    `source_properties='device.description="Quell Microphone"'`,
  ]);
  return result;
}

/**
 * Unloads the modules up() recorded, newest first (the microphone before the sink it reads), skipping any
 * whose id now belongs to something else (ids restart with the daemon), then deletes the state file.
 * @returns the names it removed
 */
export async function down(options: VirtualDevicesOptions = {}): Promise<string[]> {
  const pactl = options.pactl ?? defaultPactl;
  const statePath = join(options.configDir ?? join(homedir(), '.config', 'quell'), STATE_FILE);
  const loaded = await readState(statePath);
  const modules = new Map<number, string>();
  for (const line of (await pactl(['list', 'short', 'modules'])).split('\n')) {
    const [id, , args = ''] = line.split('\t');
    if (id) modules.set(Number(id), args);
  }
  const removed: string[] = [];
  for (const module of [...loaded].reverse()) {
    const args = modules.get(module.id);
    if (args === undefined || !new RegExp(`(sink|source)_name=${module.name}(\\s|$)`).test(args)) continue;
    await pactl(['unload-module', String(module.id)]);
    removed.push(module.name);
  }
  await rm(statePath, { force: true });
  return removed;
}

function names(shortList: string): Set<string> {
  const out = new Set<string>();
  for (const line of shortList.split('\n')) {
    const name = line.split('\t')[1];
    if (name) out.add(name);
  }
  return out;
}

async function readState(path: string): Promise<LoadedModule[]> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as { modules?: LoadedModule[] };
    return Array.isArray(parsed.modules) ? parsed.modules.filter((m) => Number.isInteger(m.id) && typeof m.name === 'string') : [];
  } catch {
    return [];
  }
}

async function writeState(path: string, modules: readonly LoadedModule[]): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, `${JSON.stringify({ modules }, null, 2)}\n`);
}
