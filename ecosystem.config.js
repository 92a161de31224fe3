// pm2 apps for the three Quell stages. Only env and args live here; every
// default is in the stage's config.ts, and any QUELL_* variable set in the
// shell that runs `pm2 start` overrides these (pm2 passes the environment on).
//
// On a desktop `pm2 start ecosystem.config.js` takes the default microphone
// through the model to the default output. Pick other devices with
// QUELL_CAPTURE_DEVICE / QUELL_PLAYBACK_DEVICE (names from `quell devices`);
// for system audio on Linux run `quell virtual-devices up` and set
// QUELL_CAPTURE_PULSE_SOURCE=quell_input.monitor. Without a device (CI, a
// server) the stages stay up, log the error, count it in
// quell_*_device_errors_total and retry with backoff; set
// QUELL_CAPTURE_SOURCE=synth and QUELL_PLAYBACK_SINK=file there.
const path = require('node:path');

const stage = (name, env) => ({
  name: `quell-${name}`,
  script: path.join(__dirname, 'packages', name, 'dist', 'main.js'),
  cwd: __dirname,
  // Stages send 'ready' once their sockets are bound (runtime's runStage).
  wait_ready: true,
  listen_timeout: 15000,
  kill_timeout: 3000,
  // A config error exits with 2: restarting cannot fix it. Not 0: pm2 reports a
  // process killed by a signal (kill -9, OOM) as exit code 0, so 0 here means never restarting after a crash.
  stop_exit_codes: [2],
  max_restarts: 50,
  exp_backoff_restart_delay: 200,
  // Niceness -10 keeps audio flowing while the machine does other work; without
  // root or CAP_SYS_NICE the stage logs a warning and runs at normal priority.
  env: Object.fromEntries(Object.entries({ [`QUELL_${name.toUpperCase()}_PRIORITY`]: '-10', ...env }).map(([k, v]) => [k, process.env[k] ?? v])),
});

module.exports = {
  apps: [
    stage('playback', {
      QUELL_PLAYBACK_SINK: 'device',
      // Used only with QUELL_PLAYBACK_SINK=file.
      QUELL_PLAYBACK_OUTPUT: path.join(__dirname, '.quell', 'output', 'stream-{stream}.wav'),
    }),
    // Capture before inference: an inference node is ready only once it has
    // registered with capture's control socket and serves (docs/SWAP.md).
    stage('capture', {
      QUELL_CAPTURE_SOURCE: 'device',
    }),
    stage('inference', {
      QUELL_INFERENCE_MODEL: 'dtln',
    }),
  ],
};
