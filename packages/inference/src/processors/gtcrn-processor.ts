import { join } from 'node:path';
import { requireInstalledModel } from '../models/model-store.js';
import { createSession } from '../onnx/session-factory.js';
import { GTCRN_HOP_FRAMES, GtcrnModelState } from './gtcrn-model.js';
import { HopModelProcessor } from './hop-model-processor.js';
import type { ProcessorOptions } from './processor.js';

/**
 * Loads streaming GTCRN from `<modelDir>/gtcrn/` (verified against its
 * sha256). Latency at 16 kHz: 256 + 255 = 511 frames.
 * Rejects with `ModelError` when the model is missing or corrupt.
 */
export async function createGtcrnProcessor(options: ProcessorOptions): Promise<HopModelProcessor> {
  const dir = await requireInstalledModel('gtcrn', options.modelDir);
  const session = await createSession(join(dir, 'gtcrn_simple.onnx'), { intraOpThreads: options.intraOpThreads ?? 1 });
  return new HopModelProcessor('gtcrn', 16000, GTCRN_HOP_FRAMES, [session], () => new GtcrnModelState(session));
}
