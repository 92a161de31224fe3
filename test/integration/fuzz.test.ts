/**
 * Fuzz: hostile input at inference's and playback's data inputs while valid
 * streams flow through them. A seeded generator makes malformed messages of
 * known kinds (random bytes, truncated and oversized parts, wrong version,
 * lying length fields, NaN/Inf samples, absurd rates and channel counts,
 * extra parts, valid headers with garbage bodies, non-map and prototype-
 * polluting headers). Each one is classified locally with the same codec
 * first: it must be rejected, and for a reason its kind allows (the oracle
 * that catches a mis-classification). The stages must then count exactly
 * those reasons, stay up, keep RSS bounded, and deliver every valid chunk.
 *
 * Denormal samples are finite, valid audio: the codec passes them unchanged
 * (flushing them to zero is a DSP choice for a model, not a wire rule), so
 * the valid streams carry denormals and the output must hold them bit-exact.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { Packr } from 'msgpackr';
import type * as zmq from 'zeromq';
import { StageProcess, type StageMessage } from '@quell/cli';
import { decodeFrame, encodeFrame, encodeHeader, FrameFlags, REJECT_REASONS, type FrameHeader, type RejectReason } from '@quell/protocol';
import { createPushSocket, defaultLinkSecurity, readWav, scrapeMetrics, type MetricSample } from '@quell/runtime';
import { chunkHeader } from '../helpers/frames.js';
import { metric, tempDir } from '../helpers/pipeline.js';

/** Malformed messages per target (inference input, playback input). */
const BAD_PER_TARGET = 100_000;
/** One valid chunk after this many malformed ones. */
const BAD_PER_VALID = 500;
const VALID_CHUNKS = Math.ceil(BAD_PER_TARGET / BAD_PER_VALID) + 1;
/**
 * RSS a stage may add over the second half of the run, bytes, and the most it may use at the end. Each
 * stage holds at most its receive high-water mark (64 messages) of at most 4 MiB each, plus V8's heap.
 */
const RSS_GROWTH_BOUND_BYTES = 32 * 1024 * 1024;
const RSS_MAX_BYTES = 256 * 1024 * 1024;
const DENORMALS = [1e-40, -1e-40, 1.401298464324817e-45, -3e-39];

/** xorshift32: deterministic, so a failure replays. */
function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x1_0000_0000;
  };
}

/** Samples of valid chunk `seq` of `stream`, with denormals sprinkled in. */
function validSamples(stream: number, seq: number): Float32Array {
  const samples = new Float32Array(480);
  for (let i = 0; i < samples.length; i++) samples[i] = i % 40 === 3 ? DENORMALS[(seq + i) % DENORMALS.length] : ((seq * 480 + i) % 1000) / 2000 + stream / 100;
  return samples;
}

function validMessage(stream: number, seq: number): Buffer[] {
  return encodeFrame(chunkHeader(stream, seq, { flags: seq === VALID_CHUNKS - 1 ? FrameFlags.END_OF_STREAM : 0 }), validSamples(stream, seq));
}

const rawPackr = new Packr({ useRecords: false, mapsAsObjects: true });
const recordPackr = new Packr({ useRecords: true });
const ALL: readonly RejectReason[] = REJECT_REASONS;

type Kind = { name: string; allowed: readonly RejectReason[]; make: (r: () => number, stream: number) => Buffer[] };

function bytes(r: () => number, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = (r() * 256) | 0;
  return out;
}
const pick = <T>(r: () => number, xs: readonly T[]): T => xs[(r() * xs.length) | 0];
const int = (r: () => number, lo: number, hi: number): number => lo + ((r() * (hi - lo + 1)) | 0);
const header = (stream: number, o: Record<string, unknown>): FrameHeader => ({ ...chunkHeader(stream, 0), ...o }) as FrameHeader;
const body = (h: { frameCount: number; channelCount: number }): Buffer => Buffer.alloc(h.frameCount * h.channelCount * 4);

const KINDS: Kind[] = [
  { name: 'random-one-part', allowed: ['part-count'], make: (r) => [bytes(r, int(r, 0, 300))] },
  { name: 'random-two-parts', allowed: ALL, make: (r) => [bytes(r, int(r, 1, 300)), bytes(r, int(r, 0, 2000))] },
  { name: 'extra-parts', allowed: ['part-count'], make: (r, s) => [...validMessage(s, 0), ...Array.from({ length: int(r, 1, 3) }, () => bytes(r, int(r, 0, 64)))] },
  { name: 'empty-header', allowed: ['header-size'], make: () => [Buffer.alloc(0), Buffer.alloc(1920)] },
  {
    name: 'truncated-header',
    allowed: ['header-decode'],
    make: (r, s) => {
      const h = encodeHeader(chunkHeader(s, 0));
      return [Buffer.from(h.subarray(0, int(r, 1, h.length - 1))), Buffer.alloc(1920)];
    },
  },
  { name: 'oversized-header', allowed: ['header-size'], make: (r) => [bytes(r, int(r, 513, 6000)), Buffer.alloc(1920)] },
  { name: 'wrong-version', allowed: ['version'], make: (r, s) => encodeFrame(header(s, { v: pick(r, [0, 2, 255, -1, 1.5, '1', null, true]) }), new Float32Array(480)) },
  {
    name: 'bad-field',
    allowed: ['field'],
    make: (r, s) => {
      // captureTimeUs is any finite time >= 0 (not a u32), so it only gets values bad for every field.
      const key = pick(r, ['stream', 'seq', 'ts', 'flags', 'delayFrames', 'captureTimeUs']);
      const bad = key === 'captureTimeUs' ? [-1, 'x', null, -1e300, Number.NaN, Number.POSITIVE_INFINITY, [], {}] : [-1, 2 ** 32, 1.5, 'x', null, 2 ** 40, Number.NaN, []];
      const value = key === 'flags' && r() < 0.3 ? pick(r, [8, 0x80, 0xffff_fffe]) : pick(r, bad);
      const h = header(s, { [key]: value }) as unknown as Record<string, unknown>;
      if (r() < 0.2) delete h[key];
      return [rawPackr.pack(h), Buffer.alloc(1920)];
    },
  },
  { name: 'absurd-rate', allowed: ['sample-rate'], make: (r, s) => [rawPackr.pack(header(s, { sampleRateHz: pick(r, [0, -48_000, 7_999, 384_001, 1e12, 44_100.5, Number.NaN, '48000', null]) })), Buffer.alloc(1920)] },
  { name: 'absurd-channels', allowed: ['channel-count'], make: (r, s) => [rawPackr.pack(header(s, { channelCount: pick(r, [0, 9, 1e6, -1, 1.5, null, 2 ** 32]) })), Buffer.alloc(1920)] },
  { name: 'absurd-frame-count', allowed: ['frame-count'], make: (r, s) => [rawPackr.pack(header(s, { frameCount: pick(r, [-1, 384_001, 2 ** 31, 0.5, '480']) })), Buffer.alloc(1920)] },
  {
    name: 'lying-length',
    allowed: ['length-mismatch'],
    make: (r, s) => {
      const h = header(s, { frameCount: int(r, 0, 2000), channelCount: int(r, 1, 8) });
      let n = h.frameCount * h.channelCount * 4 + pick(r, [-4, 4, -1, 1, 3, 1920, -1920]);
      if (n < 0) n = h.frameCount * h.channelCount * 4 + 2;
      return [encodeHeader(h), Buffer.alloc(n)];
    },
  },
  {
    name: 'oversized-body',
    allowed: ['length-mismatch'],
    // Rare and large: up to 4 MiB bodies behind a 480-frame header.
    make: (r, s) => [encodeHeader(chunkHeader(s, 0)), Buffer.alloc(r() < 0.05 ? int(r, 1 << 20, 4 << 20) : int(r, 1921, 64_000))],
  },
  {
    name: 'non-finite',
    allowed: ['non-finite'],
    make: (r, s) => {
      const h = chunkHeader(s, 0, { channelCount: int(r, 1, 2) });
      const b = body(h);
      b.writeUInt32LE(pick(r, [0x7fc0_0000, 0xffc0_0000, 0x7f80_0001, 0x7f80_0000, 0xff80_0000, 0x7fff_ffff]), int(r, 0, h.frameCount * h.channelCount - 1) * 4);
      return [encodeHeader(h), b];
    },
  },
  {
    name: 'garbage-body',
    allowed: ['non-finite', 'length-mismatch'],
    // A valid header with random bytes: the right length (with one NaN forced in, so it is surely bad) or a random one.
    make: (r, s) => {
      const h = chunkHeader(s, 0);
      if (r() < 0.5) return [encodeHeader(h), bytes(r, int(r, 0, 4000) * 4 + (r() < 0.5 ? 0 : int(r, 1, 3)))].map((b, i) => (i === 1 && b.length === 1920 ? Buffer.concat([b, Buffer.alloc(4)]) : b));
      const b = bytes(r, 1920);
      b.writeUInt32LE(0x7fc0_0001 + int(r, 0, 1000), int(r, 0, 479) * 4);
      return [encodeHeader(h), b];
    },
  },
  {
    name: 'non-map-header',
    allowed: ['header-decode'],
    make: (r) => [pick(r, [rawPackr.pack([1, 2, 3]), rawPackr.pack('v'), rawPackr.pack(1), rawPackr.pack(null), rawPackr.pack(new Date(0)), Buffer.from([0xc1]), Buffer.from([0xd4, 0x7f, 0x00]), rawPackr.pack(true)]), Buffer.alloc(1920)],
  },
  {
    name: 'proto-header',
    allowed: ['header-decode', 'version', 'field'],
    make: (r, s) => {
      // {"__proto__": {...valid header}} and msgpackr record encodings.
      const inner = rawPackr.pack(chunkHeader(s, 0));
      const proto = Buffer.concat([Buffer.from([0x81, 0xa9]), Buffer.from('__proto__'), inner]);
      return [r() < 0.5 ? proto : recordPackr.pack([chunkHeader(s, 0)]), Buffer.alloc(1920)];
    },
  },
];

interface Tally {
  sent: number;
  validSent: number;
  byReason: Map<RejectReason, number>;
  oracleMisses: string[];
}

/**
 * Sends malformed messages `from` to `to` (of BAD_PER_TARGET) with a valid chunk of `stream` every BAD_PER_VALID,
 * into `tally`; the last round also sends the remaining valid chunks, ending the stream.
 */
async function fuzz(socket: zmq.Push, stream: number, seed: number, from: number, to: number, tally: Tally): Promise<void> {
  const r = prng(seed + from);
  for (let i = from; i < to; i++) {
    if (i % BAD_PER_VALID === 0) await socket.send(validMessage(stream, tally.validSent++));
    const kind = KINDS[i % KINDS.length];
    const parts = kind.make(r, stream);
    const local = decodeFrame(parts);
    if (local.ok) {
      tally.oracleMisses.push(`${kind.name}#${i} decoded as valid`);
      continue;
    }
    if (!kind.allowed.includes(local.reason)) tally.oracleMisses.push(`${kind.name}#${i} rejected as ${local.reason}`);
    tally.byReason.set(local.reason, (tally.byReason.get(local.reason) ?? 0) + 1);
    await socket.send(parts);
    tally.sent++;
  }
  if (to === BAD_PER_TARGET) while (tally.validSent < VALID_CHUNKS) await socket.send(validMessage(stream, tally.validSent++));
}

const rss = (m: MetricSample[]): number => metric(m, 'process_resident_memory_bytes');

describe('fuzz', { timeout: 120_000 }, () => {
  it(`${2 * BAD_PER_TARGET} malformed messages at inference and playback: no crash, bounded RSS, every reject counted by reason, every valid chunk delivered`, async () => {
    const dir = await tempDir();
    // The test's sockets prove this user's local key, as the stages' own peers do: they test what an insider's bad frames cost.
    const security = await defaultLinkSecurity('test', [{ endpoint: 'tcp://127.0.0.1:*', mode: 'bind' }, { endpoint: 'tcp://127.0.0.1:*', mode: 'connect' }]);
    const fakeCapture = createPushSocket({ highWaterMarkChunks: 1000, curve: security.curve[0] });
    await fakeCapture.bind('tcp://127.0.0.1:*');
    const playback = new StageProcess('playback', ['--endpoint', 'tcp://127.0.0.1:*', '--output', join(dir, 'out-{stream}.wav'), '--metrics-port', '0', '--log-level', 'warn']);
    const ends = new Map<number, StageMessage>();
    playback.onMessage((m) => m.type === 'stream-end' && ends.set(m.streamId as number, m));
    const pbInfo = await playback.ready;
    const inference = new StageProcess('inference', ['--control', '', '--input-endpoint', fakeCapture.lastEndpoint!, '--output-endpoint', String(pbInfo.endpoint), '--model', 'passthrough', '--metrics-port', '0', '--log-level', 'warn']);
    const infInfo = await inference.ready;
    const direct = createPushSocket({ highWaterMarkChunks: 1000, curve: security.curve[1] });
    direct.connect(String(pbInfo.endpoint));
    const scrape = (port: unknown): Promise<MetricSample[]> => scrapeMetrics(`http://127.0.0.1:${port}/metrics`);
    try {
      const viaInference: Tally = { sent: 0, validSent: 0, byReason: new Map(), oracleMisses: [] };
      const straight: Tally = { sent: 0, validSent: 0, byReason: new Map(), oracleMisses: [] };
      // Round 1 warms both stages up (streams, sinks, JIT, allocator pools) to the baseline RSS; round 2 must not add to it.
      const half = BAD_PER_TARGET / 2;
      const started = performance.now();
      await Promise.all([fuzz(fakeCapture, 1, 0x5eed, 0, half, viaInference), fuzz(direct, 2, 0xbad5eed, 0, half, straight)]);
      const [infBefore, pbBefore] = await Promise.all([scrape(infInfo.metricsPort), scrape(pbInfo.metricsPort)]);
      await Promise.all([fuzz(fakeCapture, 1, 0x5eed, half, BAD_PER_TARGET, viaInference), fuzz(direct, 2, 0xbad5eed, half, BAD_PER_TARGET, straight)]);
      const sendSeconds = (performance.now() - started) / 1000;
      for (let i = 0; i < 200 && ends.size < 2; i++) await sleep(100);
      const [inf, pb] = await Promise.all([scrape(infInfo.metricsPort), scrape(pbInfo.metricsPort)]);
      const report = {
        sent: viaInference.sent + straight.sent,
        sendSeconds: Number(sendSeconds.toFixed(1)),
        messagesPerSecond: Math.round((viaInference.sent + straight.sent) / sendSeconds),
        inferenceRssMiB: [rss(infBefore), rss(inf)].map((b) => Number((b / 2 ** 20).toFixed(1))),
        playbackRssMiB: [rss(pbBefore), rss(pb)].map((b) => Number((b / 2 ** 20).toFixed(1))),
        inferenceRejected: Object.fromEntries(viaInference.byReason),
        playbackRejected: Object.fromEntries(straight.byReason),
      };
      console.log(`# fuzz ${JSON.stringify(report)}`);
      assert.deepEqual([...viaInference.oracleMisses, ...straight.oracleMisses].slice(0, 10), [], 'codec verdicts outside what each kind allows');
      assert.ok(report.sent >= 100_000, `only ${report.sent} malformed messages sent`);
      assert.equal(inference.child.exitCode, null, 'inference still running');
      assert.equal(playback.child.exitCode, null, 'playback still running');
      for (const reason of REJECT_REASONS) {
        assert.equal(metric(inf, 'quell_inference_rejected_messages_total', { reason }), viaInference.byReason.get(reason) ?? 0, `inference ${reason}`);
        assert.equal(metric(pb, 'quell_playback_rejected_messages_total', { reason }), straight.byReason.get(reason) ?? 0, `playback ${reason}`);
      }
      assert.equal(metric(inf, 'quell_inference_rejected_messages_total'), viaInference.sent);
      assert.equal(metric(pb, 'quell_playback_rejected_messages_total'), straight.sent);
      assert.equal(metric(inf, 'quell_inference_chunks_received_total'), VALID_CHUNKS);
      assert.equal(metric(pb, 'quell_playback_chunks_received_total'), 2 * VALID_CHUNKS);
      for (const id of [1, 2]) {
        const end = ends.get(id);
        assert.equal(end?.framesPlayed, VALID_CHUNKS * 480, `stream ${id} frames`);
        assert.equal(end?.gaps, 0, `stream ${id} gaps`);
        const out = (await readWav(join(dir, `out-${id}.wav`))).samples;
        const expected = new Float32Array(VALID_CHUNKS * 480);
        for (let seq = 0; seq < VALID_CHUNKS; seq++) expected.set(validSamples(id, seq), seq * 480);
        assert.ok(out.length === expected.length && out.every((x, i) => Object.is(x, expected[i])), `stream ${id} samples, denormals included, bit-exact`);
      }
      for (const [stage, before, after] of [['inference', infBefore, inf], ['playback', pbBefore, pb]] as const) {
        assert.ok(rss(after) - rss(before) < RSS_GROWTH_BOUND_BYTES, `${stage} RSS grew ${((rss(after) - rss(before)) / 2 ** 20).toFixed(1)} MiB`);
        assert.ok(rss(after) < RSS_MAX_BYTES, `${stage} RSS ${(rss(after) / 2 ** 20).toFixed(1)} MiB`);
      }
    } finally {
      fakeCapture.close();
      direct.close();
      await security.close();
      await Promise.all([inference.stop(), playback.stop()]);
    }
  });
});
