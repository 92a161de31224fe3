import { createDtlnProcessor } from './dtln-processor.js';
import { GainProcessor } from './gain-processor.js';
import { createGtcrnProcessor } from './gtcrn-processor.js';
import { PassthroughProcessor } from './passthrough-processor.js';
import type { Processor, ProcessorOptions } from './processor.js';

const FACTORIES: Readonly<Record<string, (options: ProcessorOptions) => Promise<Processor>>> = {
  passthrough: async () => new PassthroughProcessor(),
  gain: async (options) => new GainProcessor(options),
  dtln: createDtlnProcessor,
  gtcrn: createGtcrnProcessor,
};

/** Names `createProcessor` accepts. */
export const PROCESSOR_NAMES: readonly string[] = Object.keys(FACTORIES);

/**
 * Creates the named processor. `options.modelDir` is the model store root
 * (holding `dtln/`, `gtcrn/`). Throws `TypeError` for an unknown name (the
 * message lists the known ones); model processors reject with `ModelError`
 * when their files are missing or corrupt.
 */
export async function createProcessor(name: string, options: ProcessorOptions): Promise<Processor> {
  const factory = FACTORIES[name];
  if (factory === undefined) throw new TypeError(`unknown processor '${name}': known processors are ${PROCESSOR_NAMES.join(', ')}`);
  return factory(options);
}
