import { createCurveKeyPair, createDealerSocket, createLinkSecurity, createPullSocket, createPushSocket, createRouterSocket, receiveMessages, type LinkSecurityConfig } from '@quell/runtime';
import type * as zmq from 'zeromq';
import { ControlInbox } from './control-inbox.js';
import { OutputCollector } from './frame-io.js';
import type { CaseResult } from './results.js';
import { runScript } from './script-runner.js';
import type { ScriptSuite } from './suite-types.js';

export interface NodeSuiteOptions {
  /** Where the runner binds the control ROUTER the node under test registers with (its capture endpoint). */
  control: string;
  /** Where the runner binds the PULL the node sends its output to (its output endpoint). */
  output: string;
  metricsUrl?: string;
  security: LinkSecurityConfig;
}

/**
 * Suite `node`: the runner plays capture for an inference node (any
 * language) that registers at `control` and sends its output to `output`.
 */
export async function runNodeSuite(suite: ScriptSuite, options: NodeSuiteOptions): Promise<CaseResult[]> {
  const security = await createLinkSecurity(options.security, 'conformance', [
    { endpoint: options.control, mode: 'bind' },
    { endpoint: options.output, mode: 'bind' },
  ]);
  const router = createRouterSocket({ curve: security.curve[0] });
  const pull = createPullSocket({ highWaterMarkChunks: 1000, curve: security.curve[1] });
  await router.bind(options.control);
  await pull.bind(options.output);
  const inbox = new ControlInbox();
  const outputs = new OutputCollector(pull);
  let identity: Buffer | null = null;
  let push: zmq.Push | null = null;
  let closeDataServer: (() => Promise<void>) | undefined;
  const loop = (async () => {
    try {
      for await (const [from, payload] of receiveMessages(router)) inbox.add(payload, from);
    } catch {
      // Closed.
    }
  })();
  try {
    return await runScript(
      suite,
      {
        inbox,
        outputs,
        metricsUrl: options.metricsUrl,
        sendControl: async (part) => {
          if (!identity) throw new Error('no node has said hello yet');
          await router.send([identity, part]);
        },
        sendData: async (parts) => {
          if (!push) throw new Error('no data link yet');
          await push.send(parts);
        },
        onHello: async (hello, from) => {
          identity = from;
          const dataKey = hello.type === 'hello' ? hello.dataKey : undefined;
          if (security.enabled && !dataKey) throw new Error('hello has no dataKey although the links use CURVE');
          const server = dataKey ? await security.dedicatedServer([dataKey]) : undefined;
          closeDataServer = server ? () => server.close() : undefined;
          push = createPushSocket({ highWaterMarkChunks: 1000, curve: server?.curve });
          await push.bind(options.control.replace(/:(\d+|\*)$/, ':*'));
          return { node: hello.type === 'hello' ? hello.node : undefined, input: push.lastEndpoint };
        },
      },
      {},
    );
  } finally {
    router.close();
    pull.close();
    (push as zmq.Push | null)?.close();
    await closeDataServer?.();
    await security.close();
    await Promise.all([loop, outputs.closed()]);
  }
}

export interface CaptureControlOptions {
  /** Capture's control endpoint. */
  control: string;
  /** Capture's Prometheus endpoint, for the refusal counters. */
  metricsUrl?: string;
  security: LinkSecurityConfig;
}

/** Suite `capture-control`: the runner is a control client (a DEALER) of capture's ROUTER. */
export async function runCaptureControlSuite(suite: ScriptSuite, options: CaptureControlOptions): Promise<CaseResult[]> {
  const security = await createLinkSecurity(options.security, 'conformance', [{ endpoint: options.control, mode: 'connect' }]);
  const dealer = createDealerSocket({ curve: security.curve[0] });
  dealer.connect(options.control);
  const inbox = new ControlInbox();
  const loop = (async () => {
    try {
      for await (const [payload] of receiveMessages(dealer)) inbox.add(payload);
    } catch {
      // Closed.
    }
  })();
  try {
    return await runScript(suite, { inbox, metricsUrl: options.metricsUrl, sendControl: (part) => dealer.send(part) }, { dataKey: security.enabled ? createCurveKeyPair().publicKey : undefined });
  } finally {
    dealer.close();
    await security.close();
    await loop;
  }
}
