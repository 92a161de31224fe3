// pm2 apps for the three Quell stages. Only env and pm2's own settings live
// here; every default is in the stage's config.ts, and any QUELL_* variable
// set in the shell that runs `pm2 start` overrides these (pm2 passes the
// environment on).
//
// On a desktop `pm2 start ecosystem.config.js` takes the default microphone
// through the model to the default output. Pick other devices with
// QUELL_CAPTURE_DEVICE / QUELL_PLAYBACK_DEVICE (names from `quell devices`);
// for system audio on Linux run `quell virtual-devices up` and set
// QUELL_CAPTURE_PULSE_SOURCE=quell_input.monitor. Both at once:
// QUELL_BOTH_WAYS=1 (after `quell virtual-devices up`) captures the microphone
// (stream 1) and what apps play into "Quell Input" (stream 2), each through
// its own model state, and plays the clean microphone to "Quell Microphone"
// (for call apps) and the clean system audio to the default output. Without a device (CI, a
// server) the stages stay up, log the error, count it in
// quell_*_device_errors_total and retry with backoff; set
// QUELL_CAPTURE_SOURCE=synth and QUELL_PLAYBACK_SINK=file there.
const path = require('node:path');

// Sink and source names made by `quell virtual-devices up` (packages/cli/src/devices/virtual-devices.ts).
const bothWays = process.env.QUELL_BOTH_WAYS === '1';
// QUELL_INFERENCE_NODES=N (N > 1) runs N inference nodes as a pool (capture's --node-pool): each stream
// is served by the least-loaded node, and `pm2 reload quell-inference` replaces them one at a time, each
// handing its streams to the others. Node i answers metrics on QUELL_INFERENCE_METRICS_PORT + i (pm2's
// instance number; a reload's new worker takes the next free one, so scrape N + 1 ports).
const inferenceNodes = Math.max(1, Number.parseInt(process.env.QUELL_INFERENCE_NODES ?? '1', 10) || 1);
const pool = inferenceNodes > 1;

const stage = (name, env, options = {}) => ({
  name: `quell-${name}`,
  script: path.join(__dirname, 'packages', name, 'dist', 'main.js'),
  cwd: __dirname,
  // Stages send 'ready' once their sockets are bound (runtime's runStage).
  wait_ready: true,
  // How long pm2 waits for 'ready' (on a reload, for the new inference node to
  // take the streams over) before it goes on, and stops the old node, anyway.
  listen_timeout: 15000,
  // Above runStage's 1.8 s shutdown budget (which holds a stopping inference
  // node's hand-over wait), so pm2 never SIGKILLs a stage that is draining.
  kill_timeout: 3000,
  // A config error exits with 2: restarting cannot fix it. An inference node
  // retired by a hand-over (`quell swap`) exits with 3: restarting it would
  // take the streams back. Not 0: pm2 reports a process killed by a signal
  // (kill -9, OOM) as exit code 0, so 0 here means never restarting after a crash.
  stop_exit_codes: [2, 3],
  max_restarts: 50,
  exp_backoff_restart_delay: 200,
  // Niceness -10 keeps audio flowing while the machine does other work; without
  // root or CAP_SYS_NICE the stage logs a warning and runs at normal priority.
  env: Object.fromEntries(Object.entries({ [`QUELL_${name.toUpperCase()}_PRIORITY`]: '-10', ...env }).map(([k, v]) => [k, process.env[k] ?? v])),
  ...options,
});

module.exports = {
  apps: [
    stage('playback', {
      QUELL_PLAYBACK_SINK: 'device',
      QUELL_PLAYBACK_ROUTE: bothWays ? '1=pulse:quell_mic_sink,2=device' : '',
      // QUELL_LATENCY=low|balanced|safe sets both device sides at once (packages/playback/README.md#latency).
      QUELL_PLAYBACK_LATENCY: process.env.QUELL_LATENCY ?? 'balanced',
      // Used only with QUELL_PLAYBACK_SINK=file.
      QUELL_PLAYBACK_OUTPUT: path.join(__dirname, '.quell', 'output', 'stream-{stream}.wav'),
    }),
    // Capture before inference: an inference node is ready only once it has
    // registered with capture's control socket and serves (docs/SWAP.md).
    stage('capture', {
      QUELL_CAPTURE_SOURCE: bothWays ? 'device,pulse:quell_input.monitor' : 'device',
      QUELL_CAPTURE_LATENCY: process.env.QUELL_LATENCY ?? 'balanced',
      ...(pool ? { QUELL_CAPTURE_NODE_POOL: '1', QUELL_CAPTURE_MAX_NODES: String(Math.max(4, 2 * inferenceNodes)) } : {}),
    }),
    stage(
      'inference',
      {
        QUELL_INFERENCE_MODEL: 'dtln',
        ...(pool ? { QUELL_INFERENCE_METRICS_PORT_PER_INSTANCE: '1' } : {}),
      },
      {
        // Cluster mode so that `pm2 reload quell-inference` starts the new
        // node first and stops the old one only after the new one says
        // 'ready', which it does once capture has handed it the streams
        // (fork mode stops the old node first: a gap). One instance unless
        // QUELL_INFERENCE_NODES asks for a pool: without --node-pool a second
        // one would register as a candidate and take the streams over
        // (docs/SWAP.md, "pm2 reload"). With one instance the metrics port is
        // shared by the two workers during the hand-over (Node's cluster
        // module); the old one stops answering on it once drained.
        exec_mode: 'cluster',
        instances: inferenceNodes,
      },
    ),
  ],
};
