import type { FrameHeader } from '@quell/protocol';
import type { MessageParts } from '@quell/runtime';

/** Why capture dropped a chunk: its queue was full, or no inference node was there to take it (or it died holding it). */
export const CAPTURE_DROP_REASONS = ['queue-full', 'no-node', 'node-lost'] as const;
export type DropReason = (typeof CAPTURE_DROP_REASONS)[number];

/**
 * Where stamped chunks go: one send queue (direct mode) or the inference
 * router (routed mode). `header` is the sender's reused header: read it, or
 * copy it, but keep no reference.
 */
export interface ChunkOutlet {
  /** Never waits; the drop reason when the chunk could not be queued, else null. */
  offer(parts: MessageParts, header: FrameHeader): DropReason | null;
  /** Waits for room (offline runs); the drop reason when the chunk could not be queued even so (a swap, or stopping with no node), else null. */
  put(parts: MessageParts, header: FrameHeader): Promise<DropReason | null>;
}
