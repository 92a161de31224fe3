/** Every processor `--model` may name; the registry has a factory for each (a tiny module, so config parsing loads no model code). */
export const PROCESSOR_NAMES = ['passthrough', 'gain', 'dtln', 'gtcrn', 'deepfilternet3'] as const;
export type ProcessorName = (typeof PROCESSOR_NAMES)[number];

/** True when `name` is one of PROCESSOR_NAMES (own names only: 'constructor' or '__proto__' are not). */
export function isProcessorName(name: string): name is ProcessorName {
  return (PROCESSOR_NAMES as readonly string[]).includes(name);
}

/** The one line for a model name that is none of PROCESSOR_NAMES. */
export function unknownModelMessage(name: string): string {
  return `unknown model '${name}': choose one of ${PROCESSOR_NAMES.join(', ')}`;
}
