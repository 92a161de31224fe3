#!/usr/bin/env node
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { CONFIG_EXIT_CODE, defaultLinkKeyDir, LINK_SECURITY_OPTIONS, listDevices, loadLocalKeyPair, LOCAL_KEY_FILE, parseConfig, QuellError } from '@quell/runtime';
import { down, formatDeviceTable, up } from './devices/index.js';
import { resolveJobs, UsageError } from './process/inputs.js';
import { FAST_CHUNK_MS, formatSummary, processFiles, REALTIME_CHUNK_MS } from './process/process-files.js';
import { stageEntry, type StageName } from './process/stage-process.js';

const STAGES: readonly StageName[] = ['capture', 'inference', 'playback'];

/** User-facing failures print one line and exit 2; anything else is a bug and keeps its stack. */
function fail(err: unknown): never {
  process.stderr.write(`quell: ${(err as Error).message}\n`);
  process.exit(err instanceof QuellError ? CONFIG_EXIT_CODE : 1);
}

// `quell capture|inference|playback [flags]` runs that stage in this process,
// with its own flag parser (see each package's config.ts).
const [subcommand, ...rest] = process.argv.slice(2);
if (STAGES.includes(subcommand as StageName)) {
  process.argv.splice(2, 1);
  await import(stageEntry(subcommand as StageName));
} else {
  const program = new Command('quell').description('Real-time neural noise suppression: capture -> inference -> playback');
  program.command('capture').description('run the capture stage (flags: see packages/capture/README.md)');
  program.command('inference').description('run the inference stage (flags: see packages/inference/README.md)');
  program.command('playback').description('run the playback stage (flags: see packages/playback/README.md)');
  program
    .command('process')
    .description('denoise WAV files through the three stages: IN.wav OUT.wav, IN... --out-dir DIR, or IN... --in-place')
    .argument('<paths...>', 'IN.wav OUT.wav, or input files/folders with --out-dir or --in-place')
    .option('--out-dir <dir>', 'write outputs here, named like the inputs')
    .option('--in-place', 'replace each input with its cleaned version, only once that is complete and verified')
    .option('--model <name>', 'model to run', 'passthrough')
    .option('--chunk-ms <ms>', `chunk length in ms (default ${REALTIME_CHUNK_MS}, or ${FAST_CHUNK_MS} with --fast: the output is the same whatever the chunk)`)
    .option('--fast', 'as fast as the stages allow (no frame dropped) instead of real-time pace')
    .option('--jobs <n>', "files processed at once, each by its own three stages (default: the machine's cores, at most the number of files)")
    .option('--json', 'print the summary as JSON (no progress)')
    .addOption(new Option('--model-dir <dir>', 'folder with fetched models'))
    .action(async (paths: string[], opts: { outDir?: string; inPlace?: boolean; model: string; chunkMs?: string; fast?: boolean; jobs?: string; json?: boolean; modelDir?: string }) => {
      try {
        const jobCount = opts.jobs === undefined ? undefined : Number(opts.jobs);
        if (jobCount !== undefined && !(Number.isInteger(jobCount) && jobCount >= 1)) throw new UsageError(`--jobs must be a whole number of 1 or more, not '${opts.jobs}'`);
        const chunkMs = opts.chunkMs === undefined ? undefined : Number(opts.chunkMs);
        if (chunkMs !== undefined && !(chunkMs > 0)) throw new UsageError(`--chunk-ms must be a number of ms above 0, not '${opts.chunkMs}'`);
        const jobs = await resolveJobs(paths, opts.outDir, opts.inPlace === true);
        const summary = await processFiles(jobs, {
          model: opts.model,
          chunkMs,
          fast: opts.fast === true,
          jobs: jobCount,
          progress: opts.json ? 'quiet' : 'auto',
          inferenceArgs: opts.modelDir ? ['--model-dir', opts.modelDir] : [],
        });
        process.stdout.write(opts.json ? `${JSON.stringify(summary)}\n` : `${formatSummary(summary)}\n`);
        for (const f of summary.failed) process.stderr.write(`quell process: ${f.input}: ${f.reason}\n`);
        if (summary.failed.length > 0) process.exitCode = 1;
      } catch (err) {
        fail(err);
      }
    });
  const models = program.command('models').description('install and list the ONNX models');
  models
    .command('fetch')
    .description('copy models from the mirror folder (or download them) and verify their sha256')
    .argument('[names...]', 'models to fetch (default: all of them, as quell models list names them)')
    .option('--mirror <dir>', 'folder to copy from (default: ../shared/models, or $QUELL_MODEL_MIRROR)')
    .action(async (names: string[], opts: { mirror?: string }) => {
      try {
        // Loaded here, not at start: ONNX Runtime costs every other command (quell process included) ~60 ms to load.
        const { fetchModels, MODEL_NAMES } = await import('@quell/inference');
        for (const fetched of await fetchModels(names.length > 0 ? names : MODEL_NAMES, { mirrorDir: opts.mirror ?? process.env.QUELL_MODEL_MIRROR })) {
          process.stdout.write(`${fetched.name}: ${fetched.dir}\n`);
        }
      } catch (err) {
        fail(err);
      }
    });
  models
    .command('list')
    .description('show which models are installed')
    .action(async () => {
      const { listInstalledModels, MODEL_NAMES } = await import('@quell/inference');
      const installed = new Set(await listInstalledModels());
      for (const name of MODEL_NAMES) process.stdout.write(`${name.padEnd(16)} ${installed.has(name) ? 'installed' : "missing (run 'quell models fetch')"}\n`);
    });
  program
    .command('devices')
    .description('list audio devices (PortAudio), marking the defaults')
    .action(async () => {
      try {
        process.stdout.write(`${formatDeviceTable(await listDevices())}\n`);
      } catch (err) {
        fail(err);
      }
    });
  const virtual = program.command('virtual-devices').description('PulseAudio/PipeWire routing: a "Quell Input" sink and a "Quell Microphone" source');
  virtual.command('up').description('create them (harmless if they exist)').action(async () => {
    try {
      const result = await up();
      process.stdout.write(`created: ${result.created.join(', ') || 'nothing'}; already there: ${result.existing.join(', ') || 'nothing'}\n`);
    } catch (err) {
      fail(err);
    }
  });
  virtual.command('down').description('remove exactly what up created').action(async () => {
    try {
      const removed = await down();
      process.stdout.write(`removed: ${removed.join(', ') || 'nothing'}\n`);
    } catch (err) {
      fail(err);
    }
  });
  program
    .command('keys')
    .description('make a CURVE key pair for one stage: NAME.key (secret, mode 0600) and NAME.pub (see packages/runtime/README.md)')
    .option('--out <dir>', 'folder to write to', '.')
    .option('--name <name>', 'file name stem', 'quell')
    .option('--force', 'replace existing files')
    .option('--local', "make (or show) this user's local link key instead, which every stage uses by default on this machine (docs/SECURITY.md)")
    .action(async (opts: { out: string; name: string; force?: boolean; local?: boolean }) => {
      try {
        if (opts.local) {
          const dir = defaultLinkKeyDir();
          const pair = await loadLocalKeyPair(dir);
          process.stdout.write(`local link key: ${join(dir, LOCAL_KEY_FILE)} (public key ${pair.publicKey})\n`);
          return;
        }
        const { writeKeyFiles } = await import('./keys/write-key-files.js');
        const files = await writeKeyFiles({ outDir: opts.out, name: opts.name, force: opts.force === true });
        process.stdout.write(`secret key pair: ${files.keyPath}\npublic key:      ${files.pubPath} (${files.publicKey})\n`);
      } catch (err) {
        fail(err);
      }
    });
  program
    .command('swap')
    .description('move the streams to a new inference node without stopping them: start it beside the running one, warm it up, crossfade, drain the old one (docs/SWAP.md)')
    .requiredOption('--model <name>', 'model of the new node')
    .option('--control <endpoint>', "capture's control endpoint", 'tcp://127.0.0.1:5557')
    .option('--model-dir <dir>', 'folder with fetched models for the new node')
    .option('--node-id <id>', 'id of the new node (default <model>-<time>)')
    .option('--output-endpoint <endpoint>', 'where the new node sends its output (default: where the active node sends)')
    .option('--log-dir <dir>', "folder for the new node's log", '.quell/logs')
    .option('--timeout-s <s>', 'longest wait for the outcome, s', '30')
    .option('--json', 'print the outcome as JSON')
    .action(async (opts: { model: string; control: string; modelDir?: string; nodeId?: string; outputEndpoint?: string; logDir: string; timeoutS: string; json?: boolean }) => {
      try {
        const { runSwap, formatSwap } = await import('./swap/swap-command.js');
        const result = await runSwap({
          model: opts.model,
          control: opts.control,
          modelDir: opts.modelDir,
          nodeId: opts.nodeId,
          outputEndpoint: opts.outputEndpoint,
          logDir: opts.logDir,
          timeoutMs: Number(opts.timeoutS) * 1000,
          // The same local-auth settings as capture's (QUELL_CAPTURE_LOCAL_AUTH, QUELL_CAPTURE_LINK_KEY_DIR), never its server key files.
          linkSecurity: parseConfig(LINK_SECURITY_OPTIONS, 'QUELL_CAPTURE', { QUELL_CAPTURE_LOCAL_AUTH: process.env.QUELL_CAPTURE_LOCAL_AUTH, QUELL_CAPTURE_LINK_KEY_DIR: process.env.QUELL_CAPTURE_LINK_KEY_DIR }, []),
        });
        process.stdout.write(opts.json ? `${JSON.stringify(result)}\n` : `${formatSwap(result)}\n`);
        process.exitCode = result.outcome === 'completed' ? 0 : 1;
      } catch (err) {
        fail(err);
      }
    });
  program
    .command('conformance')
    .description('run a recorded conformance suite (conformance/*.json) against any implementation of a stage: frame-receiver, node or capture-control (conformance/README.md)')
    .argument('<suite>', 'frame-receiver | node | capture-control')
    .option('--input <endpoint>', 'frame-receiver: where the runner binds the PUSH the stage pulls from', 'tcp://127.0.0.1:5655')
    .option('--output <endpoint>', 'frame-receiver, node: where the runner binds the PULL the stage pushes to', 'tcp://127.0.0.1:5656')
    .option('--control <endpoint>', "node: where the runner binds the ROUTER the node registers with; capture-control: capture's control endpoint", 'tcp://127.0.0.1:5657')
    .option('--metrics <url>', "the stage's Prometheus endpoint, to check reject reasons and refusal counts")
    .option('--rejected-metric <name>', 'frame-receiver: the counter of rejected frames by reason', 'quell_inference_rejected_messages_total')
    .option('--accepted-metric <name>', "frame-receiver against a stage that sends nothing on (playback): the counter of frames it took; the runner then connects to --input (the stage's bound PULL) and judges by --metrics alone")
    .option('--connect-timeout-s <s>', 'frame-receiver: longest wait for the stage to connect', '15')
    .option('--suite-dir <dir>', 'folder of the recorded suites (default: the repository\'s conformance/)')
    .option('--local-auth <mode>', "curve (this user's local key, like the stages) or off (plaintext)", 'curve')
    .option('--json', 'print the results as JSON')
    .action(async (name: string, opts: { input: string; output: string; control: string; metrics?: string; rejectedMetric: string; acceptedMetric?: string; connectTimeoutS: string; suiteDir?: string; localAuth: string; json?: boolean }) => {
      try {
        const conformance = await import('./conformance/index.js');
        if (!(conformance.SUITE_NAMES as readonly string[]).includes(name)) throw new QuellError('ERR_CONFIG', `unknown suite '${name}': pick one of ${conformance.SUITE_NAMES.join(', ')}`);
        const suite = await conformance.loadSuite(name as (typeof conformance.SUITE_NAMES)[number], opts.suiteDir);
        const security = parseConfig(LINK_SECURITY_OPTIONS, 'QUELL_CONFORMANCE', process.env, ['--local-auth', opts.localAuth]);
        if (suite.suite === 'frame-receiver' && opts.acceptedMetric && !opts.metrics) throw new QuellError('ERR_CONFIG', '--accepted-metric needs --metrics: a sink is judged by its counters');
        const results =
          suite.suite === 'frame-receiver' && opts.acceptedMetric
            ? await conformance.runFrameSinkSuite(suite, { input: opts.input, metricsUrl: opts.metrics!, acceptedMetric: opts.acceptedMetric, rejectedMetric: opts.rejectedMetric, security, connectTimeoutMs: Number(opts.connectTimeoutS) * 1000 })
            : suite.suite === 'frame-receiver'
            ? await conformance.runFrameReceiverSuite(suite, { input: opts.input, output: opts.output, metricsUrl: opts.metrics, rejectedMetric: opts.rejectedMetric, security, connectTimeoutMs: Number(opts.connectTimeoutS) * 1000 })
            : suite.suite === 'node'
              ? await conformance.runNodeSuite(suite, { control: opts.control, output: opts.output, metricsUrl: opts.metrics, security })
              : await conformance.runCaptureControlSuite(suite, { control: opts.control, metricsUrl: opts.metrics, security });
        process.stdout.write(opts.json ? `${JSON.stringify(results)}\n` : `${conformance.formatResults(name, results)}\n`);
        process.exitCode = results.length > 0 && results.every((r) => r.ok) ? 0 : 1;
      } catch (err) {
        fail(err);
      }
    });
  const status = await import('./status/index.js');
  program
    .command('status')
    .description("live view of every stage from its /metrics (like 'pm2 monit'); --json prints one snapshot and exits")
    .option('--capture-url <url>', 'capture metrics URL (host:port or full URL)', status.DEFAULT_STATUS_URLS.capture)
    .option('--inference-url <url>', 'inference metrics URL (host:port or full URL)', status.DEFAULT_STATUS_URLS.inference)
    .option('--playback-url <url>', 'playback metrics URL (host:port or full URL)', status.DEFAULT_STATUS_URLS.playback)
    .option('--interval-ms <ms>', 'time between redraws, ms (>= 100)', '1000')
    .option('--json', 'print one snapshot as JSON and exit (a stage that does not answer has "up": false)')
    .action(async (opts: { captureUrl: string; inferenceUrl: string; playbackUrl: string; intervalMs: string; json?: boolean }) => {
      const stop = new AbortController();
      const onSignal = (): void => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        const intervalMs = Number(opts.intervalMs);
        if (!(intervalMs >= 100)) throw new QuellError('ERR_CONFIG', `--interval-ms must be a number >= 100, got '${opts.intervalMs}'`);
        const urls = { capture: status.metricsUrl(opts.captureUrl), inference: status.metricsUrl(opts.inferenceUrl), playback: status.metricsUrl(opts.playbackUrl) };
        await status.runStatus({ urls, intervalMs, json: opts.json === true, out: process.stdout, signal: stop.signal });
      } catch (err) {
        fail(err instanceof TypeError && err.message.includes('Invalid URL') ? new QuellError('ERR_CONFIG', `bad metrics URL: ${err.message}`) : err);
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
  await program.parseAsync();
}
