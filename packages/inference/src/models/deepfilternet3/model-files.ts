import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ModelError } from '../model-errors.js';
import { MODEL_MANIFEST } from '../model-manifest.js';
import { sha256Hex } from '../model-store.js';

/** The four files of the DeepFilterNet3 export, read and checked. */
export interface Dfn3Files {
  enc: Uint8Array;
  erbDec: Uint8Array;
  dfDec: Uint8Array;
  configText: string;
}

/**
 * Reads enc.onnx, erb_dec.onnx, df_dec.onnx and config.ini from `modelDir` and
 * checks each against the sha256 in the model manifest (the README's values).
 * Rejects with `ModelError` code `MODEL_NOT_INSTALLED` for a missing file and
 * `MODEL_CORRUPT` for a wrong hash; the bytes checked are the bytes used.
 */
export async function readDfn3Files(modelDir: string): Promise<Dfn3Files> {
  const bytes = new Map<string, Uint8Array>();
  for (const file of MODEL_MANIFEST.deepfilternet3.files) {
    const path = join(modelDir, file.fileName);
    let data: Uint8Array;
    try {
      data = await readFile(path);
    } catch (cause) {
      throw new ModelError('MODEL_NOT_INSTALLED', `DeepFilterNet3 file ${path} is missing: run 'quell models fetch deepfilternet3'`, { cause });
    }
    if (sha256Hex(data) !== file.sha256) {
      throw new ModelError('MODEL_CORRUPT', `DeepFilterNet3 file ${path} has the wrong sha256: delete it and run 'quell models fetch deepfilternet3'`);
    }
    bytes.set(file.fileName, data);
  }
  const get = (name: string): Uint8Array => {
    const data = bytes.get(name);
    if (!data) throw new Error(`readDfn3Files: the manifest lacks ${name}`);
    return data;
  };
  return {
    enc: get('enc.onnx'),
    erbDec: get('erb_dec.onnx'),
    dfDec: get('df_dec.onnx'),
    configText: new TextDecoder().decode(get('config.ini')),
  };
}
