// Test and benchmark support (`@quell/inference/testing`): the verified test
// recordings, quality measures, offline runs of a stream and the models tests
// need. Production code never imports it.
export * from './test-audio.js';
export * from './test-models.js';
export * from './si-sdr.js';
export * from './mix-at-snr.js';
export * from './run-offline.js';
export * from './dfn3-offline-enhance.js';
// The parts a benchmark's bare ONNX Runtime floor and FFT bench drive directly.
export { Dfn3Networks } from '../models/deepfilternet3/dfn3-networks.js';
export { createFloatTensor, createSession, OrtSession } from '../onnx/session-factory.js';
export { parseDfn3Config } from '../models/deepfilternet3/config.js';
export { RealFft } from '../dsp/real-fft.js';
