// Test and benchmark support (`@quell/inference/testing`): the verified test
// recordings, quality measures, offline runs of a stream and the models tests
// need. Production code never imports it.
export * from './test-audio.js';
export * from './test-models.js';
export * from './si-sdr.js';
export * from './mix-at-snr.js';
export * from './run-offline.js';
export * from './dfn3-offline-enhance.js';
