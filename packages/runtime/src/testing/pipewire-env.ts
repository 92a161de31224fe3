import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The daemons a desktop runs, in the order they start: the graph, its session manager, the PulseAudio server. */
const DAEMONS = ['pipewire', 'wireplumber', 'pipewire-pulse'] as const;
type DaemonName = (typeof DAEMONS)[number];

/** Null sinks every instance has, as scripts/pulse-up.sh makes on PulseAudio; the defaults point at them. */
const TEST_SINKS = ['quell_test_in', 'quell_test_out'] as const;

/** How long each daemon may take to come up (its socket, its answer), ms. */
const START_TIMEOUT_MS = 15_000;

/** A private PipeWire + WirePlumber + pipewire-pulse, headless, started by createTestPipeWire(). */
export interface TestPipeWire {
  /** Its folder: runtime dir (sockets), config, state, HOME and the daemons' logs (`<daemon>.log`). */
  readonly dir: string;
  /**
   * The env that reaches it: PULSE_SERVER (pipewire-pulse's socket, for libpulse, the ALSA 'pulse' device, pactl,
   * paplay, parec), PULSE_RUNTIME_PATH, and PIPEWIRE_RUNTIME_DIR / XDG_RUNTIME_DIR (pw-cli, pw-loopback).
   */
  readonly env: Readonly<Record<string, string>>;
  /** What pipewire-pulse answers for "Server Name", e.g. "PulseAudio (on PipeWire 0.3.65)". */
  readonly serverName: string;
  /** Runs pactl against this instance. @returns its stdout */
  pactl(...args: string[]): Promise<string>;
  /** Stops the three daemons (SIGTERM, then SIGKILL after 3 s) and removes its folder. Safe to call twice. */
  close(): Promise<void>;
}

/** PipeWire could not be started; `logTail` holds the end of the daemon's log (the reason, usually). */
export class PipeWireStartError extends Error {
  readonly code = 'PIPEWIRE_START';
  readonly retryable = false;
  constructor(
    message: string,
    readonly daemon: DaemonName | 'pactl',
    readonly logTail: string,
  ) {
    super(`${message}${logTail ? `\n--- ${daemon}.log (end) ---\n${logTail}` : ''}`);
    this.name = 'PipeWireStartError';
  }
}

/**
 * Starts PipeWire, WirePlumber and pipewire-pulse headless for tests and benchmarks, each a child of this process,
 * in a private folder under the system's temp dir: own XDG_RUNTIME_DIR (sockets), config (drop-ins over Debian's
 * defaults), state and HOME, so it shares nothing with a desktop session or with the PulseAudio daemon of
 * scripts/pulse-up.sh. No D-Bus (there is no session bus as root in a container: support.dbus = false, and
 * WirePlumber without the parts that need one), no hardware (WirePlumber's ALSA, camera and Bluetooth monitors are
 * off; the only sinks are null sinks, clocked by PipeWire's Dummy-Driver), 48 kHz. Works as root.
 *
 * Makes the null sinks quell_test_in and quell_test_out and sets them as default sink and source (monitor), as
 * pulse-up.sh does; that the default took proves WirePlumber runs (it owns the "default" metadata).
 * Does not touch process.env: apply `env` where it is wanted.
 * @throws PipeWireStartError naming the daemon that did not come up and the end of its log
 */
export async function createTestPipeWire(options: { rateHz?: number } = {}): Promise<TestPipeWire> {
  const rateHz = options.rateHz ?? 48_000;
  const dir = await mkdtemp(join(tmpdir(), 'quell-pipewire-'));
  const runtimeDir = join(dir, 'run');
  const configDir = join(dir, 'config');
  await Promise.all(
    [
      runtimeDir,
      join(runtimeDir, 'pulse'),
      join(configDir, 'pipewire', 'pipewire.conf.d'),
      join(configDir, 'pipewire', 'pipewire-pulse.conf.d'),
      join(configDir, 'wireplumber', 'main.lua.d'),
      join(configDir, 'wireplumber', 'bluetooth.lua.d'),
      join(dir, 'state'),
      join(dir, 'home'),
    ].map(
      (d) => mkdir(d, { recursive: true, mode: 0o700 }),
    ),
  );
  const socketPath = join(runtimeDir, 'pulse', 'native');
  // Drop-ins: Debian's pipewire.conf and pipewire-pulse.conf stay as they are, only these keys change.
  await writeFile(
    join(configDir, 'pipewire', 'pipewire.conf.d', 'quell.conf'),
    [
      '# Quell test instance: no D-Bus, one fixed rate so nothing resamples.',
      'context.properties = {',
      '    support.dbus = false',
      `    default.clock.rate = ${rateHz}`,
      `    default.clock.allowed-rates = [ ${rateHz} ]`,
      '}',
      '',
    ].join('\n'),
  );
  await writeFile(
    join(configDir, 'pipewire', 'pipewire-pulse.conf.d', 'quell.conf'),
    ['# Quell test instance: its own socket, no D-Bus.', 'context.properties = {', '    support.dbus = false', '}', 'pulse.properties = {', `    server.address = [ "unix:${socketPath}" ]`, '}', ''].join('\n'),
  );
  // WirePlumber 0.4 exits (code 70) when a component it must load cannot reach D-Bus: the portal permission store
  // and ALSA device reservation. Without them, and without hardware monitors, it runs with no bus at all. Files in
  // $XDG_CONFIG_HOME/wireplumber/*.lua.d/ run between Debian's, in name order: these after the 50-*-config.lua.
  await writeFile(
    join(configDir, 'wireplumber', 'main.lua.d', '51-quell-headless.lua'),
    [
      '-- Quell test instance: no D-Bus (portal, device reservation), no hardware (ALSA, cameras): null sinks only.',
      'default_access.properties["enable-flatpak-portal"] = false',
      'alsa_monitor.enabled = false',
      'v4l2_monitor.enabled = false',
      'libcamera_monitor.enabled = false',
      '',
    ].join('\n'),
  );
  await writeFile(join(configDir, 'wireplumber', 'bluetooth.lua.d', '51-quell-headless.lua'), 'bluez_monitor.enabled = false\n');

  // The daemons get a clean env: nothing of the caller's PulseAudio, desktop session or bus leaks into them.
  // (No DBUS_SESSION_BUS_ADDRESS: WirePlumber finds no bus and skips what needs one, device reservation and portals.)
  const daemonEnv: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: join(dir, 'home'),
    XDG_RUNTIME_DIR: runtimeDir,
    PIPEWIRE_RUNTIME_DIR: runtimeDir,
    PULSE_RUNTIME_PATH: join(runtimeDir, 'pulse'),
    XDG_CONFIG_HOME: configDir,
    XDG_STATE_HOME: join(dir, 'state'),
  };
  const env: Record<string, string> = {
    PULSE_SERVER: `unix:${socketPath}`,
    PULSE_RUNTIME_PATH: join(runtimeDir, 'pulse'),
    PIPEWIRE_RUNTIME_DIR: runtimeDir,
    XDG_RUNTIME_DIR: runtimeDir,
  };
  const clientEnv = { ...process.env, ...env };
  const pactl = async (...args: string[]): Promise<string> => (await run('pactl', args, { env: clientEnv, timeout: 10_000 })).stdout;

  const children = new Map<DaemonName, ChildProcess>();
  const killAll = (): void => {
    for (const child of children.values()) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  // A test runner that dies without close() must not leave daemons behind.
  process.once('exit', killAll);
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= (async () => {
      // pipewire-pulse and WirePlumber first: they are clients of the graph.
      for (const name of [...DAEMONS].reverse()) {
        const child = children.get(name);
        if (!child || child.exitCode !== null || child.signalCode !== null) continue;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        if ((await Promise.race([exited.then(() => true), sleep(3000).then(() => false)])) === false) {
          child.kill('SIGKILL');
          await exited;
        }
      }
      process.removeListener('exit', killAll);
      await rm(dir, { recursive: true, force: true });
    })();
    return closed;
  };

  const logTail = (name: string): string => {
    try {
      return readFileSync(join(dir, `${name}.log`), 'utf8').split('\n').slice(-25).join('\n').trim();
    } catch {
      return '';
    }
  };
  const start = (name: DaemonName): ChildProcess => {
    const log = openSync(join(dir, `${name}.log`), 'a');
    try {
      const child = spawn(name, [], { env: daemonEnv, stdio: ['ignore', log, log] });
      children.set(name, child);
      // A missing binary arrives as an 'error' event; keep it from crashing the runner, waitFor reports it.
      child.on('error', () => undefined);
      return child;
    } finally {
      closeSync(log);
    }
  };
  /** Polls `ready` until it holds, failing early when the daemon exits. */
  const waitFor = async (name: DaemonName | 'pactl', child: ChildProcess | undefined, ready: () => Promise<boolean>): Promise<void> => {
    const deadline = performance.now() + START_TIMEOUT_MS;
    while (performance.now() < deadline) {
      if (child && (child.exitCode !== null || child.signalCode !== null || child.pid === undefined)) {
        const how = child.pid === undefined ? `could not be started (is it installed? scripts/install-system-deps.sh)` : `exited (${child.exitCode ?? child.signalCode})`;
        throw new PipeWireStartError(`${name} ${how}`, name, logTail(name));
      }
      if (await ready().catch(() => false)) return;
      await sleep(50);
    }
    throw new PipeWireStartError(`${name} not ready after ${START_TIMEOUT_MS} ms`, name, logTail(name === 'pactl' ? 'pipewire-pulse' : name));
  };

  try {
    const pipewire = start('pipewire');
    await waitFor('pipewire', pipewire, async () => existsSync(join(runtimeDir, 'pipewire-0')));
    const wireplumber = start('wireplumber');
    const pulse = start('pipewire-pulse');
    await waitFor('pipewire-pulse', pulse, async () => existsSync(socketPath) && /Server Name/.test(await pactl('info')));
    if (wireplumber.exitCode !== null) throw new PipeWireStartError(`wireplumber exited (${wireplumber.exitCode})`, 'wireplumber', logTail('wireplumber'));

    for (const sink of TEST_SINKS) {
      await pactl('load-module', 'module-null-sink', `sink_name=${sink}`, `rate=${rateHz}`, 'format=float32le', 'channels=2', `sink_properties=device.description=${sink}`);
    }
    // pipewire-pulse stores the defaults in WirePlumber's "default" metadata: they hold once WirePlumber runs.
    await waitFor('wireplumber', wireplumber, async () => {
      await pactl('set-default-sink', 'quell_test_out');
      await pactl('set-default-source', 'quell_test_in.monitor');
      const info = await pactl('info');
      return /Default Sink: quell_test_out$/m.test(info) && /Default Source: quell_test_in\.monitor$/m.test(info);
    });
    const serverName = /^Server Name: (.*)$/m.exec(await pactl('info'))?.[1] ?? '';
    return { dir, env, serverName, pactl, close };
  } catch (err) {
    await close();
    throw err;
  }
}
