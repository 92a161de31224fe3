// Test and benchmark support (`@quell/runtime/testing`): fakes, PulseAudio and PipeWire
// helpers, test signals and their measures. Production code never imports it.
export * from './fake-port-audio.js';
export * from './pipewire-env.js';
export * from './pulse-env.js';
export * from './signal-match.js';
export * from './sine-fit.js';
