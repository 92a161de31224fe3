import { encodeControl, FrameFlags, type ControlMessage, type HandoverInfo } from '@quell/protocol';
import { scrapeMetrics, sumSamples } from '@quell/runtime';
import type { ControlInbox } from './control-inbox.js';
import { chunkParts, samplesOf, type OutputCollector } from './frame-io.js';
import { substitute } from './matcher.js';
import type { CaseResult } from './results.js';
import type { ScriptSuite, Step } from './suite-types.js';

/** How a script reaches the peer under test; the data parts exist only where the runner plays capture. */
export interface ScriptLinks {
  inbox: ControlInbox;
  sendControl(part: Buffer): Promise<void>;
  sendData?(parts: Buffer[]): Promise<void>;
  outputs?: OutputCollector;
  /** Called when the hello step matched: sets up the node's data link and returns the variables it defines (`node`, `input`). */
  onHello?(hello: ControlMessage, identity: Buffer): Promise<Record<string, unknown>>;
  /** The peer's Prometheus endpoint, for `counter` steps; without it they are reported as not checked. */
  metricsUrl?: string;
}

function describe(step: Step): string {
  const what = 'expect' in step ? `expect ${step.expect}` : `send ${step.send}`;
  const detail = 'message' in step ? ` ${String(step.message.type)}` : 'stream' in step ? ` stream ${step.stream}` : '';
  return `${what}${detail}${step.note ? ` (${step.note})` : ''}`;
}

/**
 * Runs a scripted exchange (suite `node` or `capture-control`) step by step;
 * stops at the first failing step, since later ones depend on it.
 */
export async function runScript(suite: ScriptSuite, links: ScriptLinks, initialVars: Record<string, unknown>): Promise<CaseResult[]> {
  const vars: Record<string, unknown> = { ...initialVars };
  const results: CaseResult[] = [];
  const counterKey = (metric: string, labels: Record<string, string>): string => `counter:${metric}:${JSON.stringify(labels)}`;
  if (links.metricsUrl) {
    // `counter` steps count from here: the rise since the script started.
    for (const s of suite.steps) if ('expect' in s && s.expect === 'counter') vars[counterKey(s.metric, s.labels)] = sumSamples(await scrapeMetrics(links.metricsUrl), s.metric, s.labels);
  }
  for (const [index, step] of suite.steps.entries()) {
    const name = `${index + 1}. ${describe(step)}`;
    let detail: string;
    try {
      detail = await runStep(step);
    } catch (err) {
      detail = `FAIL ${(err as Error).message}`;
    }
    const ok = !detail.startsWith('FAIL ');
    results.push({ name, ok, detail: ok ? detail : detail.slice(5) });
    if (!ok) return results;
  }
  if (links.inbox.malformed.length > 0) results.push({ name: 'every control message decodes', ok: false, detail: links.inbox.malformed.slice(0, 5).join('; ') });
  if (links.outputs && links.outputs.malformed.length > 0) results.push({ name: 'every output frame decodes', ok: false, detail: links.outputs.malformed.slice(0, 5).join(', ') });
  return results;

  async function runStep(step: Step): Promise<string> {
    if ('send' in step) {
      switch (step.send) {
        case 'control':
          await links.sendControl(encodeControl(substitute(step.message, vars) as ControlMessage));
          return 'sent';
        case 'control-hex':
          await links.sendControl(Buffer.from(step.hex, 'hex'));
          return 'sent';
        case 'chunks': {
          const handover = step.handover ? (substitute(step.handover, vars) as unknown as HandoverInfo) : undefined;
          for (let i = 0; i < step.count; i++) await links.sendData!(chunkParts(step.stream, step.fromSeq + i, step.frames, step.sampleRateHz, step.flags ?? 0, handover));
          return `sent ${step.count}`;
        }
        case 'frame-hex':
          await links.sendData!([Buffer.from(step.header, 'hex'), samplesOf(step.samples)]);
          return 'sent';
      }
    }
    switch (step.expect) {
      case 'control': {
        const got = await links.inbox.next(step.message, vars, step.withinMs);
        if (!got) return `FAIL nothing matching ${JSON.stringify(substitute(step.message, vars))} within ${step.withinMs} ms (unmatched: ${links.inbox.unmatched().join(', ') || 'none'})`;
        if (got.message.type === 'hello' && links.onHello) Object.assign(vars, await links.onHello(got.message, got.identity));
        return `got ${JSON.stringify(got.message).slice(0, 160)}`;
      }
      case 'no-control': {
        const arrived = await links.inbox.arrivingWithin(step.forMs);
        return arrived.length === 0 ? `nothing in ${step.forMs} ms` : `FAIL got ${arrived.map((m) => m.type).join(', ')}`;
      }
      case 'outputs': {
        const outputs = links.outputs!;
        const seqs = Array.from({ length: step.count }, (_, i) => (step.fromSeq + i) >>> 0);
        const arrived = await outputs.until(() => seqs.every((s) => outputs.of(step.stream).some((h) => h.seq === s)), step.withinMs);
        const out = outputs.of(step.stream).filter((h) => seqs.includes(h.seq));
        if (!arrived) return `FAIL ${out.length} of ${step.count} outputs within ${step.withinMs} ms`;
        if (step.node && out.some((h) => h.node !== vars.node)) return `FAIL an output is not stamped node '${String(vars.node)}'`;
        if (step.handover && out.some((h) => !h.handover)) return 'FAIL an output lost its handover map';
        if (step.endOfStream) {
          const eos = await outputs.until(() => outputs.of(step.stream).some((h) => (h.flags & FrameFlags.END_OF_STREAM) !== 0), step.withinMs);
          if (!eos) return 'FAIL END_OF_STREAM was not passed on';
        }
        return `${step.count} outputs`;
      }
      case 'no-output': {
        const before = links.outputs!.of(step.stream).length;
        await new Promise((r) => setTimeout(r, step.forMs));
        const after = links.outputs!.of(step.stream).length;
        return after === before ? `none in ${step.forMs} ms` : `FAIL ${after - before} outputs`;
      }
      case 'counter': {
        if (!links.metricsUrl) return 'not checked (no metrics URL)';
        const base = vars[counterKey(step.metric, step.labels)] as number;
        let value = 0;
        for (let i = 0; i < 20; i++) {
          value = sumSamples(await scrapeMetrics(links.metricsUrl), step.metric, step.labels) - base;
          if (value >= step.delta) break;
          await new Promise((r) => setTimeout(r, 50));
        }
        return value === step.delta ? `${step.metric} +${value}` : `FAIL ${step.metric}${JSON.stringify(step.labels)} rose by ${value}, not ${step.delta}`;
      }
    }
  }
}
