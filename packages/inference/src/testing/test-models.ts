import { DEFAULT_MODEL_STORE_DIR, fetchModels } from '../models/model-store.js';

/**
 * Makes the models tests need present in the default store (from the mirror,
 * verified) and returns the store folder for `ProcessorOptions.modelDir`.
 */
export async function prepareTestModels(names: readonly string[]): Promise<string> {
  await fetchModels(names, { storeDir: DEFAULT_MODEL_STORE_DIR });
  return DEFAULT_MODEL_STORE_DIR;
}
