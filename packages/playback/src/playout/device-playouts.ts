import type { DeviceTarget } from '@quell/runtime';
import type { DeviceMetricsView } from '../metrics.js';
import type { DevicePlayout } from './device-playout.js';

/**
 * Playback's output devices: the default one (`--device`) and one per other device `--route` names, each its
 * own DevicePlayout (its own clock, drift correction and one-stream-at-a-time policy); which one plays a
 * stream. For metrics the counters are summed over the devices; the level, target, queue and trim gauges are
 * the default device's.
 */
export class DevicePlayouts implements DeviceMetricsView {
  readonly #default: DevicePlayout;
  readonly #all: DevicePlayout[];
  readonly #byStream = new Map<number, DevicePlayout>();

  /** `open` makes the DevicePlayout of one target (not started). */
  constructor(defaultTarget: DeviceTarget, routes: ReadonlyMap<number, DeviceTarget>, open: (target: DeviceTarget) => DevicePlayout) {
    this.#default = open(defaultTarget);
    const byLabel = new Map<string, DevicePlayout>([['device', this.#default]]);
    for (const [streamId, target] of routes) {
      let playout = byLabel.get(target.label);
      if (!playout) {
        playout = open(target);
        byLabel.set(target.label, playout);
      }
      this.#byStream.set(streamId, playout);
    }
    this.#all = [...byLabel.values()];
  }

  /** The device that plays `streamId`: its route's, else the default one. */
  for(streamId: number): DevicePlayout {
    return this.#byStream.get(streamId) ?? this.#default;
  }

  get all(): readonly DevicePlayout[] {
    return this.#all;
  }

  /** Devices open now. */
  get openCount(): number {
    return this.#all.filter((p) => p.deviceName !== '').length;
  }

  async start(): Promise<void> {
    await Promise.all(this.#all.map((p) => p.start()));
  }

  async close(): Promise<void> {
    await Promise.all(this.#all.map((p) => p.close()));
  }

  get underrunCount(): number {
    return this.#sum((p) => p.underrunCount);
  }
  get overflowCount(): number {
    return this.#sum((p) => p.overflowCount);
  }
  get errorCount(): number {
    return this.#sum((p) => p.errorCount);
  }
  get reopenCount(): number {
    return this.#sum((p) => p.reopenCount);
  }
  get stallCount(): number {
    return this.#sum((p) => p.stallCount);
  }
  get outputUnderflowCount(): number {
    return this.#sum((p) => p.outputUnderflowCount);
  }
  get stalledSeconds(): number {
    return this.#sum((p) => p.stalledSeconds);
  }
  get levelS(): number {
    return this.#default.levelS;
  }
  get targetS(): number {
    return this.#default.targetS;
  }
  get queuedFrames(): number {
    return this.#default.queuedFrames;
  }
  get trimPpm(): number {
    return this.#default.trimPpm;
  }
  get deviceName(): string {
    return this.#default.deviceName;
  }

  #sum(count: (playout: DevicePlayout) => number): number {
    let sum = 0;
    for (const p of this.#all) sum += count(p);
    return sum;
  }
}
