export * from './wire/frame-header.js';
export * from './wire/reject-reason.js';
export * from './wire/frame-codec.js';
export * from './clock/seq.js';
export * from './clock/chunk-deadlines.js';
export * from './clock/clocks.js';
export * from './clock/pacer.js';
export * from './metrics/metric-names.js';
