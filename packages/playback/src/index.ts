export * from './config.js';
export * from './metrics.js';
export * from './stage.js';
export * from './jitter/jitter-buffer.js';
export * from './conceal/concealer.js';
export * from './playout/stream-playout.js';
export * from './sinks/device-sink.js';
