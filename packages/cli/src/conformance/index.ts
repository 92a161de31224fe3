export * from './suite-types.js';
export * from './results.js';
export * from './record-suites.js';
export * from './frame-receiver.js';
export * from './script-suites.js';
export * from './load-suite.js';
export * from './frame-sink.js';
