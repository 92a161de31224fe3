export * from './process/stage-process.js';
export * from './process/process-files.js';
export * from './process/inputs.js';
export * from './devices/index.js';
export * from './conformance/index.js';
export * from './status/ledger.js';
