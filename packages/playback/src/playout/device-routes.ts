import { ConfigError, parseDeviceTarget, type DeviceTarget } from '@quell/runtime';

/**
 * `--route` as stream id → device: each entry `STREAM=TARGET`, TARGET as capture's device entries
 * (`device`, `device:NAME`, `pulse:SINK`). Throws ConfigError naming the fix.
 */
export function parseRoutes(entries: readonly string[]): Map<number, DeviceTarget> {
  const routes = new Map<number, DeviceTarget>();
  for (const entry of entries) {
    const match = /^(\d+)=(.+)$/.exec(entry);
    const target = match ? parseDeviceTarget(match[2]) : null;
    if (!match || !target) throw new ConfigError(`--route entry '${entry}' is not STREAM=TARGET with TARGET device, device:NAME or pulse:SINK (e.g. 1=pulse:quell_mic_sink)`);
    const streamId = Number(match[1]);
    if (streamId > 0xffff_ffff) throw new ConfigError(`--route entry '${entry}': stream ids are u32 (0..4294967295)`);
    if (routes.has(streamId)) throw new ConfigError(`--route names stream ${streamId} twice: give each stream one device`);
    routes.set(streamId, target);
  }
  return routes;
}
