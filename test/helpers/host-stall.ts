import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

/** How late the runner's own idle timer must be to say the whole machine stalled (a paused VM, both cores saturated). */
export const HOST_STALL_MS = 40;
const RESOLUTION_MS = 10;

/**
 * Watches the test runner's own event loop, idle between its awaits: it is late only when the whole machine
 * stalls, which stalls PulseAudio's clock too and which no pipeline can hide. (After each reset the first timer
 * interval is not recorded: a stall in those 10 ms goes unseen, so a test can only be stricter.)
 */
export class HostStallWatch {
  readonly #delay: IntervalHistogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });

  constructor() {
    this.#delay.enable();
  }

  reset(): void {
    this.#delay.reset();
  }

  /** The worst stall of the machine since the last reset, ms; 0 when under HOST_STALL_MS. */
  get stallMs(): number {
    const lateMs = this.#delay.max / 1e6 - RESOLUTION_MS;
    return lateMs >= HOST_STALL_MS ? Math.round(lateMs) : 0;
  }

  stop(): void {
    this.#delay.disable();
  }
}
