export * from './config.js';
export * from './metrics.js';
export * from './stage.js';
export * from './processors/processor.js';
export * from './processors/processor-registry.js';
