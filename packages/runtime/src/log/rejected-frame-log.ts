import { FRAME_HEADER_SCHEMA, type RejectedFrame } from '@quell/protocol';
import type { Logger } from 'pino';

/**
 * Logs the first rejected data frame of each kind (reason and header field)
 * once, naming the field and its expected type; the stage's
 * `*_rejected_messages_total{reason}` counter counts every one. decodeFrame
 * returns one frozen result per kind, so remembering them allocates nothing
 * after the first of each.
 */
export class RejectedFrameLog {
  readonly #seen = new Set<RejectedFrame>();

  constructor(
    private readonly log: Logger,
    /** The counter that keeps counting, named in the message. */
    private readonly counterName: string,
  ) {}

  note(frame: RejectedFrame): void {
    if (this.#seen.has(frame)) return;
    this.#seen.add(frame);
    const what = frame.field
      ? `header field '${frame.field}' missing or not ${FRAME_HEADER_SCHEMA[frame.field].type.name}`
      : frame.reason;
    this.log.warn({ reason: frame.reason, field: frame.field }, `rejected a data frame (${what}; see docs/PROTOCOL.md): later ones of this kind are only counted in ${this.counterName}`);
  }
}
