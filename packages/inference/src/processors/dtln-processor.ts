import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { batchDtlnGraph } from '../models/dtln-batch-graph.js';
import { requireInstalledModel } from '../models/model-store.js';
import { createSession } from '../onnx/session-factory.js';
import { DtlnBatch } from './dtln-batch.js';
import { DTLN_HOP_FRAMES, DtlnModelState } from './dtln-model.js';
import { HopModelProcessor } from './hop-model-processor.js';
import type { ProcessorOptions } from './processor.js';

/**
 * Loads DTLN from `<modelDir>/dtln/` (verified against its sha256) into two
 * sessions. Latency at 16 kHz: 384 + 127 = 511 frames. With
 * `options.batchStreams`, the graphs take a batch axis and every stream's
 * hops run together (`DtlnBatch`): one hop (128 frames) more latency, about a
 * quarter of the CPU per stream with many streams.
 * Rejects with `ModelError` when the model is missing or corrupt.
 */
export async function createDtlnProcessor(options: ProcessorOptions): Promise<HopModelProcessor> {
  const dir = await requireInstalledModel('dtln', options.modelDir);
  const tuning = { intraOpThreads: options.intraOpThreads ?? 1 };
  if (options.batchStreams) {
    const stage1 = await createSession(batchDtlnGraph(await readFile(join(dir, 'model_1.onnx'))), tuning);
    const stage2 = await createSession(batchDtlnGraph(await readFile(join(dir, 'model_2.onnx'))), tuning);
    const batch = new DtlnBatch(stage1, stage2);
    return new HopModelProcessor('dtln', 16000, DTLN_HOP_FRAMES, [stage1, stage2], () => batch.createState(), { batchCounts: batch.counts });
  }
  const stage1 = await createSession(join(dir, 'model_1.onnx'), tuning);
  const stage2 = await createSession(join(dir, 'model_2.onnx'), tuning);
  return new HopModelProcessor('dtln', 16000, DTLN_HOP_FRAMES, [stage1, stage2], () => new DtlnModelState(stage1, stage2));
}
