import { describeControlReject, type ControlDecodeResult } from '@quell/protocol';
import type { Logger } from 'pino';

/**
 * Logs the first refused control message of each kind (reason, type and field)
 * once, naming what was wrong; the caller's counter counts every one. The kinds
 * come from the control schema, so the set of them stays small.
 */
export class RejectedControlLog {
  readonly #seen = new Set<string>();

  constructor(
    private readonly log: Logger,
    /** Who sent it, for the message ('' or e.g. ' from capture'). */
    private readonly from: string,
    /** The counter that keeps counting, named in the message. */
    private readonly counterName: string,
  ) {}

  note(read: Extract<ControlDecodeResult, { ok: false }>): void {
    const kind = `${read.reason}:${read.type ?? ''}:${read.field ?? ''}`;
    if (this.#seen.has(kind)) return;
    this.#seen.add(kind);
    this.log.warn({ type: read.type, field: read.field }, `refused a control message${this.from} (${describeControlReject(read)}; see docs/PROTOCOL.md): later ones of this kind are only counted in ${this.counterName}`);
  }
}
