export * from './histogram-quantile.js';
export * from './status-stage.js';
export * from './stage-status.js';
export * from './stream-status.js';
export * from './status-poller.js';
export * from './format-status.js';
export * from './run-status.js';
