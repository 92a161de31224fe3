export * from './format-device-table.js';
export * from './virtual-devices.js';
