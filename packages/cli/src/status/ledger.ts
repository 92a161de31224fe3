import type { MetricName } from '@quell/protocol';
import type { MetricSample } from '@quell/runtime';

/** A number of chunks and the audio frames in them. */
export interface Amount {
  chunks: number;
  frames: number;
}

/**
 * One stage's account of one stream: what came in, what went out, what it
 * dropped (by reason) and what it still holds or accounted otherwise.
 * `missing` = in − out − dropped − other: 0 when every chunk is accounted for.
 */
export interface StageAccount {
  in: Amount;
  out: Amount;
  dropped: Amount;
  dropsByReason: Record<string, number>;
  /** Capture: nothing. Inference: nothing (the latency tail is in `in`). Playback: merged hand-over copies. */
  other: Amount;
  /** Chunks still buffered (playback's jitter buffer); their frames are not exported, so `missing.frames` is exact only when this is 0. */
  heldChunks: number;
  missing: Amount;
}

/**
 * The ledger of one stream across the three stages (docs/METRICS.md#the-ledger).
 * Each stage must balance by itself; between stages, what one sent the next
 * must have received. `links` is what left one stage and did not reach the next
 * (positive) or arrived without having left (negative, e.g. from a node no
 * longer scraped). `inTransit` is the two links together: what went into
 * inference and never reached playback nor was counted dropped there; it is
 * what a killed inference node took with it.
 */
export interface StreamLedger {
  stream: string;
  capture: StageAccount | null;
  /** Every inference node scraped, summed. */
  inference: StageAccount | null;
  playback: StageAccount | null;
  links: { captureToInference: Amount | null; inferenceToPlayback: Amount | null };
  inTransit: Amount | null;
}

const ZERO: Amount = { chunks: 0, frames: 0 };

function sub(a: Amount, ...bs: Amount[]): Amount {
  let { chunks, frames } = a;
  for (const b of bs) {
    chunks -= b.chunks;
    frames -= b.frames;
  }
  return { chunks, frames };
}

function add(...xs: Amount[]): Amount {
  return sub(ZERO, ...xs.map((x) => ({ chunks: -x.chunks, frames: -x.frames })));
}

/** A stream's samples of one stage (or several nodes of it), read by metric name. */
class StreamReader {
  readonly #samples: MetricSample[];

  constructor(samples: MetricSample[]) {
    this.#samples = samples;
  }

  sum(name: MetricName, exceptReason?: string): number {
    let total = 0;
    for (const s of this.#samples) if (s.name === name && (exceptReason === undefined || s.labels.reason !== exceptReason)) total += s.value;
    return total;
  }

  byReason(name: MetricName, exceptReason?: string): Record<string, number> {
    const out: Record<string, number> = {};
    for (const s of this.#samples) {
      const reason = s.labels.reason;
      if (s.name !== name || reason === undefined || reason === exceptReason) continue;
      out[reason] = (out[reason] ?? 0) + s.value;
    }
    return out;
  }

  amount(chunks: MetricName, frames: MetricName): Amount {
    return { chunks: this.sum(chunks), frames: this.sum(frames) };
  }
}

function account(inAmount: Amount, out: Amount, dropped: Amount, dropsByReason: Record<string, number>, other: Amount, heldChunks: number): StageAccount {
  const missing = sub(inAmount, out, dropped, other);
  missing.chunks -= heldChunks;
  return { in: inAmount, out, dropped, dropsByReason, other, heldChunks, missing };
}

function captureAccount(r: StreamReader): StageAccount {
  return account(
    r.amount('quell_capture_stream_chunks_read_total', 'quell_capture_stream_audio_frames_read_total'),
    r.amount('quell_capture_stream_chunks_sent_total', 'quell_capture_stream_audio_frames_sent_total'),
    { chunks: r.sum('quell_capture_stream_drops_total'), frames: r.sum('quell_capture_stream_audio_frames_dropped_total') },
    r.byReason('quell_capture_stream_drops_total'),
    ZERO,
    0,
  );
}

function inferenceAccount(r: StreamReader): StageAccount {
  return account(
    add(
      r.amount('quell_inference_stream_chunks_received_total', 'quell_inference_stream_audio_frames_received_total'),
      r.amount('quell_inference_stream_tail_chunks_total', 'quell_inference_stream_tail_audio_frames_total'),
    ),
    r.amount('quell_inference_stream_chunks_sent_total', 'quell_inference_stream_audio_frames_sent_total'),
    { chunks: r.sum('quell_inference_stream_drops_total'), frames: r.sum('quell_inference_stream_audio_frames_dropped_total') },
    r.byReason('quell_inference_stream_drops_total'),
    ZERO,
    0,
  );
}

function playbackAccount(r: StreamReader): StageAccount {
  // `resync` counts chunks that restarted the stream's timeline: they are kept, not dropped.
  const playedFromInput = r.sum('quell_playback_stream_chunks_played_total') - r.sum('quell_playback_stream_chunks_concealed_total');
  return account(
    r.amount('quell_playback_stream_chunks_received_total', 'quell_playback_stream_audio_frames_received_total'),
    { chunks: playedFromInput, frames: r.sum('quell_playback_stream_audio_frames_written_total') },
    { chunks: r.sum('quell_playback_stream_drops_total', 'resync'), frames: r.sum('quell_playback_stream_audio_frames_dropped_total') },
    r.byReason('quell_playback_stream_drops_total', 'resync'),
    r.amount('quell_playback_stream_chunks_merged_total', 'quell_playback_stream_audio_frames_merged_total'),
    r.sum('quell_playback_stream_jitter_buffer_depth_chunks'),
  );
}

function byStream(samples: readonly MetricSample[], prefix: string): Map<string, MetricSample[]> {
  const out = new Map<string, MetricSample[]>();
  for (const s of samples) {
    const id = s.labels.stream;
    if (id === undefined || !s.name.startsWith(prefix)) continue;
    let list = out.get(id);
    if (!list) out.set(id, (list = []));
    list.push(s);
  }
  return out;
}

/** Scrapes of the stages to reconcile; a stage not scraped is left out of the ledger (its links are null). */
export interface LedgerScrapes {
  capture?: readonly MetricSample[];
  /** Every inference node (several during a swap). */
  inference?: readonly (readonly MetricSample[])[];
  playback?: readonly MetricSample[];
}

/**
 * The ledger of every stream any stage exports per-stream series for, by
 * stream id. Exact once a stream has ended and its chunks have landed; while
 * it flows, chunks in flight between stages show as missing on a link.
 */
export function streamLedgers(scrapes: LedgerScrapes): StreamLedger[] {
  const capture = scrapes.capture ? byStream(scrapes.capture, 'quell_capture_stream_') : null;
  const inference = scrapes.inference ? byStream(scrapes.inference.flat(), 'quell_inference_stream_') : null;
  const playback = scrapes.playback ? byStream(scrapes.playback, 'quell_playback_stream_') : null;
  const ids = new Set([...(capture?.keys() ?? []), ...(inference?.keys() ?? []), ...(playback?.keys() ?? [])]);
  const ledgers: StreamLedger[] = [];
  for (const stream of [...ids].sort((a, b) => Number(a) - Number(b))) {
    const c = capture ? new StreamReader(capture.get(stream) ?? []) : null;
    const i = inference ? new StreamReader(inference.get(stream) ?? []) : null;
    const p = playback ? new StreamReader(playback.get(stream) ?? []) : null;
    const captureToInference =
      c && i
        ? sub(
            add(
              c.amount('quell_capture_stream_chunks_sent_total', 'quell_capture_stream_audio_frames_sent_total'),
              c.amount('quell_capture_stream_handover_copies_total', 'quell_capture_stream_handover_copies_audio_frames_total'),
            ),
            i.amount('quell_inference_stream_chunks_received_total', 'quell_inference_stream_audio_frames_received_total'),
          )
        : null;
    const inferenceToPlayback =
      i && p
        ? sub(
            i.amount('quell_inference_stream_chunks_sent_total', 'quell_inference_stream_audio_frames_sent_total'),
            p.amount('quell_playback_stream_chunks_received_total', 'quell_playback_stream_audio_frames_received_total'),
          )
        : null;
    const inferenceAcc = i ? inferenceAccount(i) : null;
    ledgers.push({
      stream,
      capture: c ? captureAccount(c) : null,
      inference: inferenceAcc,
      playback: p ? playbackAccount(p) : null,
      links: { captureToInference, inferenceToPlayback },
      // A node that is gone took its own account with it: what it received minus what it sent is the two links' sum
      // less what the nodes still scraped hold unaccounted.
      inTransit: captureToInference && inferenceToPlayback && inferenceAcc ? add(captureToInference, inferenceToPlayback, inferenceAcc.missing) : null,
    });
  }
  return ledgers;
}

function note(out: string[], what: string, a: Amount | null, exactFrames = true): void {
  if (a && (a.chunks !== 0 || (exactFrames && a.frames !== 0))) out.push(`${what}: ${a.chunks} chunks, ${a.frames} frames unaccounted`);
}

/** Ways a stream's stages fail to balance each by itself, as short phrases (links left out: a live view sees chunks in flight there). */
export function stageImbalances(l: StreamLedger): string[] {
  const out: string[] = [];
  note(out, 'capture', l.capture?.missing ?? null);
  note(out, 'inference', l.inference?.missing ?? null);
  note(out, 'playback', l.playback?.missing ?? null, (l.playback?.heldChunks ?? 0) === 0);
  return out;
}

/** Every way an ended stream's ledger fails to balance, stages and links, as short phrases (empty when it balances). */
export function ledgerImbalances(l: StreamLedger): string[] {
  const out = stageImbalances(l);
  note(out, 'capture → inference', l.links.captureToInference);
  note(out, 'inference → playback', l.links.inferenceToPlayback);
  return out;
}
