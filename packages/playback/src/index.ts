export * from './config.js';
export * from './metrics.js';
export * from './stage.js';
export * from './jitter/jitter-buffer.js';
export * from './jitter/concealer.js';
export * from './jitter/stream-playout.js';
export * from './sinks/device-sink.js';
