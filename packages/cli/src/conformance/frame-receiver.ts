import { FrameFlags } from '@quell/protocol';
import { createLinkSecurity, createPullSocket, createPushSocket, scrapeMetrics, sumSamples, type LinkSecurityConfig } from '@quell/runtime';
import { chunkParts, OutputCollector, samplesOf } from './frame-io.js';
import type { CaseResult } from './results.js';
import type { FrameCase, FrameReceiverSuite } from './suite-types.js';

export interface FrameReceiverOptions {
  /** Where the runner binds the PUSH the stage under test pulls from. */
  input: string;
  /** Where the runner binds the PULL the stage under test pushes to. */
  output: string;
  /** The stage's Prometheus endpoint, to check each reject's reason; without it reasons are not checked. */
  metricsUrl?: string;
  /** The counter of rejected frames by `reason` at that endpoint. */
  rejectedMetric: string;
  security: LinkSecurityConfig;
  /** Longest wait for the stage to connect and answer the first probe, ms. */
  connectTimeoutMs: number;
}

async function rejectedCount(options: FrameReceiverOptions, reason: string): Promise<number | null> {
  if (!options.metricsUrl) return null;
  return sumSamples(await scrapeMetrics(options.metricsUrl), options.rejectedMetric, { reason });
}

/**
 * Runs suite `frame-receiver` against a stage that pulls data frames and
 * pushes what it accepts (an inference node in direct mode): each recorded
 * frame, then a valid probe frame; once the probe comes out, the case's frame
 * must have come out (accept) or not (reject, counted under its reason when
 * metrics are given), and the stage must still be working.
 */
export async function runFrameReceiverSuite(suite: FrameReceiverSuite, options: FrameReceiverOptions): Promise<CaseResult[]> {
  const security = await createLinkSecurity(options.security, 'conformance', [
    { endpoint: options.input, mode: 'bind' },
    { endpoint: options.output, mode: 'bind' },
  ]);
  const push = createPushSocket({ highWaterMarkChunks: 1000, curve: security.curve[0] });
  const pull = createPullSocket({ highWaterMarkChunks: 1000, curve: security.curve[1] });
  await push.bind(options.input);
  await pull.bind(options.output);
  const outputs = new OutputCollector(pull);
  const probe = suite.probe;
  const sendProbe = (seq: number): Promise<void> => push.send(chunkParts(probe.stream, seq, probe.frames, probe.sampleRateHz));
  const probeOut = (seq: number) => () => outputs.of(probe.stream).some((h) => h.seq === seq);
  const results: CaseResult[] = [];
  try {
    // Until the stage has connected, a probe waits in the PUSH's queue; the first one out proves the link.
    const firstSeq = 0x8000_0000;
    await sendProbe(firstSeq);
    if (!(await outputs.until(probeOut(firstSeq), options.connectTimeoutMs))) {
      return [{ name: 'connect', ok: false, detail: `no output for a valid probe frame within ${options.connectTimeoutMs} ms: is the stage pulling from ${options.input} and pushing to ${options.output}?` }];
    }
    for (const [index, c] of suite.cases.entries()) results.push(await runCase(c, index));
    if (outputs.malformed.length > 0) results.push({ name: 'every output frame decodes', ok: false, detail: `the stage sent ${outputs.malformed.length} malformed frames: ${outputs.malformed.slice(0, 5).join(', ')}` });
    return results;
  } finally {
    push.close();
    pull.close();
    await security.close();
  }

  async function runCase(c: FrameCase, index: number): Promise<CaseResult> {
    const reason = 'reject' in c.expect ? c.expect.reject : null;
    const before = reason ? await rejectedCount(options, reason) : null;
    const malformedBefore = outputs.malformed.length;
    await push.send([Buffer.from(c.header, 'hex'), ...(c.samples ? [samplesOf(c.samples)] : []), ...(c.extraParts ?? []).map((p) => Buffer.from(p, 'hex'))]);
    await sendProbe(index);
    if (!(await outputs.until(probeOut(index), 3000))) return { name: c.name, ok: false, detail: 'the stage stopped answering valid frames after this one' };
    const out = outputs.of(c.stream);
    if ('accept' in c.expect) {
      const own = out.find((h) => h.seq === c.seq);
      if (!own) return { name: c.name, ok: false, detail: 'accepted frame expected, nothing came out for it' };
      if (c.expect.endOfStream && !out.some((h) => (h.flags & FrameFlags.END_OF_STREAM) !== 0)) return { name: c.name, ok: false, detail: 'END_OF_STREAM was not passed on' };
      if (c.expect.handover && !own.handover) return { name: c.name, ok: false, detail: 'the handover map was not kept' };
      return { name: c.name, ok: true, detail: 'accepted' };
    }
    if (out.length > 0 || outputs.malformed.length > malformedBefore) return { name: c.name, ok: false, detail: `reject '${reason}' expected, the frame came out` };
    if (before === null) return { name: c.name, ok: true, detail: 'not passed on (reason not checked: no metrics URL)' };
    let delta = 0;
    // The metrics endpoint may answer from a render up to ~100 ms old.
    for (let i = 0; i < 20 && delta < 1; i++) {
      delta = (await rejectedCount(options, reason!))! - before;
      if (delta < 1) await new Promise((r) => setTimeout(r, 50));
    }
    return delta === 1 ? { name: c.name, ok: true, detail: `rejected as '${reason}'` } : { name: c.name, ok: false, detail: `${options.rejectedMetric}{reason="${reason}"} rose by ${delta}, not 1` };
  }
}
