// pm2 apps for the three Quell stages. Only env and args live here; every
// default is in the stage's config.ts, and any QUELL_* variable set in the
// shell that runs `pm2 start` overrides these (pm2 passes the environment on).
const path = require('node:path');

const stage = (name, env) => ({
  name: `quell-${name}`,
  script: path.join(__dirname, 'packages', name, 'dist', 'main.js'),
  cwd: __dirname,
  // Stages send 'ready' once their sockets are bound (runtime's runStage).
  wait_ready: true,
  listen_timeout: 15000,
  kill_timeout: 3000,
  // A config error exits with 2: restarting cannot fix it.
  stop_exit_codes: [0, 2],
  max_restarts: 50,
  exp_backoff_restart_delay: 200,
  env: Object.fromEntries(Object.entries(env).map(([k, v]) => [k, process.env[k] ?? v])),
});

module.exports = {
  apps: [
    stage('playback', {
      QUELL_PLAYBACK_SINK: 'file',
      QUELL_PLAYBACK_OUTPUT: path.join(__dirname, '.quell', 'output', 'stream-{stream}.wav'),
    }),
    stage('inference', {
      QUELL_INFERENCE_MODEL: 'passthrough',
    }),
    stage('capture', {
      QUELL_CAPTURE_SOURCE: 'synth',
      // Ten minutes of a 440 Hz tone, then the stream ends and the file is finalised.
      QUELL_CAPTURE_SYNTH_DURATION_S: '600',
    }),
  ],
};
