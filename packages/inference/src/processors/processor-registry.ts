import { join } from 'node:path';
import { ModelError } from '../models/model-errors.js';
import { createDeepFilterNet3Processor } from './deepfilternet3-processor.js';
import { createDtlnProcessor } from './dtln-processor.js';
import { GainProcessor } from './gain-processor.js';
import { createGtcrnProcessor } from './gtcrn-processor.js';
import { PassthroughProcessor } from './passthrough-processor.js';
import type { Processor, ProcessorOptions } from './processor.js';
import { isProcessorName, unknownModelMessage, type ProcessorName } from './processor-names.js';

export { PROCESSOR_NAMES } from './processor-names.js';

const FACTORIES: Readonly<Record<ProcessorName, (options: ProcessorOptions) => Promise<Processor>>> = {
  passthrough: async () => new PassthroughProcessor(),
  gain: async (options) => new GainProcessor(options),
  dtln: createDtlnProcessor,
  gtcrn: createGtcrnProcessor,
  deepfilternet3: (options) =>
    createDeepFilterNet3Processor({
      modelDir: join(options.modelDir, 'deepfilternet3'),
      intraOpThreads: options.intraOpThreads,
      vadGate: options.vadGateThresholdDb === undefined ? undefined : { thresholdDb: options.vadGateThresholdDb },
    }),
};

/**
 * Creates the named processor. `options.modelDir` is the model store root
 * (holding `dtln/`, `gtcrn/`). Throws `ModelError` MODEL_UNKNOWN for an unknown name (the
 * message lists the known ones); model processors reject with `ModelError`
 * when their files are missing or corrupt.
 */
export async function createProcessor(name: string, options: ProcessorOptions): Promise<Processor> {
  if (!isProcessorName(name)) throw new ModelError('MODEL_UNKNOWN', unknownModelMessage(name));
  return FACTORIES[name](options);
}
