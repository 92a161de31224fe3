/** One file of a model: its name inside the model's folder, sha256 and upstream address. */
export interface ModelFile {
  readonly fileName: string;
  readonly sha256: string;
  readonly url: string;
}

export interface ModelManifestEntry {
  readonly name: string;
  /** The rate the model runs at, in Hz. */
  readonly nativeRateHz: number;
  readonly licence: string;
  readonly files: readonly ModelFile[];
}

// Upstream files are pinned to commits, so the sha256 below cannot drift.
const DTLN_BASE = 'https://github.com/breizhn/DTLN/raw/1de1f15a8b5b7e1c44905618ff2ef70ca8277fbc/pretrained_model';
const GTCRN_BASE = 'https://github.com/Xiaobin-Rong/gtcrn/raw/3862c44808dca492ea5a8a145d2dc2a1028d08c8/stream/onnx_models';
const DFN3_BASE = 'https://github.com/liudonghua123/deepfilternet-web/raw/1b520cea5625f50d6df01883d13483c2f62d31ca/public/standard-model';

/** Every model `quell models fetch` knows, keyed by name. */
export const MODEL_MANIFEST: Readonly<Record<string, ModelManifestEntry>> = {
  dtln: {
    name: 'dtln',
    nativeRateHz: 16000,
    licence: 'MIT',
    files: [
      { fileName: 'model_1.onnx', sha256: '22b91cae3855e5a0620e66a917ca6c82c58db0e842c770f58d86751c5e8d4ae3', url: `${DTLN_BASE}/model_1.onnx` },
      { fileName: 'model_2.onnx', sha256: 'e20c92f9233fccf29cddf86970d0d0161a03aebccc26d6f4d5639c4d5ec2e639', url: `${DTLN_BASE}/model_2.onnx` },
    ],
  },
  gtcrn: {
    name: 'gtcrn',
    nativeRateHz: 16000,
    licence: 'MIT',
    files: [
      { fileName: 'gtcrn_simple.onnx', sha256: 'b4718df6228e7bdf1a8a435cf98f838636eb2fd331acabf86ba87c5192ebcb87', url: `${GTCRN_BASE}/gtcrn_simple.onnx` },
    ],
  },
  deepfilternet3: {
    name: 'deepfilternet3',
    nativeRateHz: 48000,
    licence: 'MIT OR Apache-2.0',
    files: [
      { fileName: 'enc.onnx', sha256: '7c5399d3da8a50ebef1c1a0ae421b33376aa5e45d0e92df16da7e83c9c131916', url: `${DFN3_BASE}/enc.onnx` },
      { fileName: 'erb_dec.onnx', sha256: 'ab669a1d10afe20911728b33053a452071042317a90581092b325da7b2f9d895', url: `${DFN3_BASE}/erb_dec.onnx` },
      { fileName: 'df_dec.onnx', sha256: '23114ce3b0f6464b763ee62f7bb8aab6b2a129a21eabd5bcfe59413db05f278a', url: `${DFN3_BASE}/df_dec.onnx` },
      { fileName: 'config.ini', sha256: '415eb925d44990d938fb739f514aa3662c1ec0ea836cff044fa1291b82cb4290', url: `${DFN3_BASE}/config.ini` },
    ],
  },
};

export const MODEL_NAMES: readonly string[] = Object.keys(MODEL_MANIFEST);
