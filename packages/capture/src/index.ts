export * from './config.js';
export * from './metrics.js';
export * from './stage.js';
export * from './sources/chunk-source.js';
export * from './sources/synth-source.js';
export * from './sources/wav-file-source.js';
export * from './sources/device-source.js';
export { CONTROL_REFUSALS, type ControlRefusal } from './router/control-gate.js';
