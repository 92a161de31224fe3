import { createLinkSecurity, createPushSocket, scrapeMetrics, sumSamples, type LinkSecurityConfig } from '@quell/runtime';
import { chunkParts, samplesOf } from './frame-io.js';
import type { CaseResult } from './results.js';
import type { FrameCase, FrameReceiverSuite } from './suite-types.js';

export interface FrameSinkOptions {
  /** The PULL the stage under test binds (playback's --endpoint); the runner connects a PUSH to it. */
  input: string;
  /** The stage's Prometheus endpoint: the only place a sink's reactions show. */
  metricsUrl: string;
  /** The counter of frames the stage took (decoded and valid), e.g. quell_playback_chunks_received_total. */
  acceptedMetric: string;
  /** The counter of rejected frames by `reason`. */
  rejectedMetric: string;
  security: LinkSecurityConfig;
  /** Longest wait for the first probe to be counted, ms. */
  connectTimeoutMs: number;
}

/**
 * Runs suite `frame-receiver` against a stage that takes frames and sends
 * nothing on (playback): each case is judged by the stage's counters instead
 * of its output — an accepted frame counts once as accepted, a rejected one
 * once under its reason and not as accepted — and after each, a valid probe
 * frame must be counted as accepted (the stage still works). Flags and the
 * hand-over map are not observable this way; they are reported as such.
 */
export async function runFrameSinkSuite(suite: FrameReceiverSuite, options: FrameSinkOptions): Promise<CaseResult[]> {
  const security = await createLinkSecurity(options.security, 'conformance', [{ endpoint: options.input, mode: 'connect' }]);
  const push = createPushSocket({ highWaterMarkChunks: 1000, curve: security.curve[0] });
  push.connect(options.input);
  const probe = suite.probe;
  const sendProbe = (seq: number): Promise<void> => push.send(chunkParts(probe.stream, seq, probe.frames, probe.sampleRateHz));
  const read = async (reason: string | null): Promise<{ accepted: number; rejected: number }> => {
    const samples = await scrapeMetrics(options.metricsUrl);
    return { accepted: sumSamples(samples, options.acceptedMetric), rejected: reason ? sumSamples(samples, options.rejectedMetric, { reason }) : 0 };
  };
  /** Reads until `done` holds (the endpoint may answer from a render ~100 ms old), at most `withinMs`; returns the last read. */
  const settle = async (reason: string | null, done: (c: { accepted: number; rejected: number }) => boolean, withinMs: number) => {
    const end = performance.now() + withinMs;
    let counts = await read(reason);
    while (!done(counts) && performance.now() < end) {
      await new Promise((r) => setTimeout(r, 50));
      counts = await read(reason);
    }
    return counts;
  };
  try {
    const start = await read(null);
    await sendProbe(0x8000_0000);
    const connected = await settle(null, (c) => c.accepted > start.accepted, options.connectTimeoutMs);
    if (connected.accepted <= start.accepted) {
      return [{ name: 'connect', ok: false, detail: `${options.acceptedMetric} did not count a valid probe frame within ${options.connectTimeoutMs} ms: is the stage pulling from ${options.input}?` }];
    }
    const results: CaseResult[] = [];
    for (const [index, c] of suite.cases.entries()) results.push(await runCase(c, index));
    return results;
  } finally {
    push.close();
    await security.close();
  }

  async function runCase(c: FrameCase, index: number): Promise<CaseResult> {
    const reason = 'reject' in c.expect ? c.expect.reject : null;
    const before = await settle(reason, () => true, 0);
    await push.send([Buffer.from(c.header, 'hex'), ...(c.samples ? [samplesOf(c.samples)] : []), ...(c.extraParts ?? []).map((p) => Buffer.from(p, 'hex'))]);
    await sendProbe(index);
    const accepted = before.accepted + 1 + (reason ? 0 : 1);
    const rejected = before.rejected + (reason ? 1 : 0);
    await settle(reason, (n) => n.accepted >= accepted && n.rejected >= rejected, 3000);
    // One more read after the render interval, so a late extra count shows too.
    await new Promise((r) => setTimeout(r, 150));
    const after = await read(reason);
    const took = after.accepted - before.accepted - 1;
    if (after.accepted - before.accepted < 1) return { name: c.name, ok: false, detail: 'the stage stopped counting valid frames after this one' };
    if (!reason) return took === 1 ? { name: c.name, ok: true, detail: 'accepted (flags and hand-over map not observable in a sink)' } : { name: c.name, ok: false, detail: `accepted frame expected, ${options.acceptedMetric} rose by ${took}` };
    if (took !== 0) return { name: c.name, ok: false, detail: `reject '${reason}' expected, the frame was counted as accepted` };
    const delta = after.rejected - before.rejected;
    return delta === 1 ? { name: c.name, ok: true, detail: `rejected as '${reason}'` } : { name: c.name, ok: false, detail: `${options.rejectedMetric}{reason="${reason}"} rose by ${delta}, not 1` };
  }
}
