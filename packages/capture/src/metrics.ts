import type { NodeRole, StreamRoute, SwapOutcome } from '@quell/protocol';
import { StageHistogram, StageRegistry, StreamSeries, streamCounter, streamCounterByLabel, TIMING_BUCKETS_S, zapRejections, zeroCounts, type ReasonCounts } from '@quell/runtime';
import { CAPTURE_DROP_REASONS } from './sender/chunk-outlet.js';

export { CAPTURE_DROP_REASONS };

const SWAP_BUCKETS_S = [0.1, 0.25, 0.5, 1, 1.5, 2, 3, 5, 10, 30];
const ROLES: readonly NodeRole[] = ['active', 'candidate', 'draining'];

/** One stream's counters (ChunkSender bumps them beside the stage totals). */
export interface CaptureStreamCounts {
  /** Chunks the stream's source gave (sent + dropped), and their frames. */
  chunksRead: number;
  framesRead: number;
  chunksSent: number;
  framesSent: number;
  readonly drops: ReasonCounts<(typeof CAPTURE_DROP_REASONS)[number]>;
  framesDropped: number;
  /** Second copies sent to the new node during a hand-over's crossfade (the router counts them). */
  handoverCopies: number;
  handoverCopyFrames: number;
}

function newStreamCounts(): CaptureStreamCounts {
  return { chunksRead: 0, framesRead: 0, chunksSent: 0, framesSent: 0, drops: zeroCounts(CAPTURE_DROP_REASONS), framesDropped: 0, handoverCopies: 0, handoverCopyFrames: 0 };
}

/** What the metrics read from the inference router (InferenceRouter has it), so metrics need not import the router. */
export interface RouterMetricsView {
  readonly counts: { readonly swaps: Record<SwapOutcome, number>; readonly moves: Record<SwapOutcome, number>; readonly nodeFailures: number; readonly drainTimeouts: number; readonly controlLinksClosed: number };
  readonly refused: ReasonCounts<string>;
  nodeCount(role: NodeRole): number;
  routes(): StreamRoute[];
}

/** Plain counters the capture loop increments; exported at scrape time. */
export class CaptureMetrics {
  readonly stage = new StageRegistry({ stage: 'capture' });
  audioFramesSent = 0;
  activeStreams = 0;
  readonly drops = zeroCounts(CAPTURE_DROP_REASONS);
  /** Per-stream counters: opened by each stream's sender, ended by the loop when the stream is sent. */
  readonly streams = new StreamSeries<CaptureStreamCounts>(newStreamCounts);
  readonly pacerLateness: StageHistogram;
  readonly chunkProcessing: StageHistogram;
  /** Device callback to send queue, per chunk (device source only). */
  readonly deviceToSend: StageHistogram;
  /** Hello of a candidate inference node to the end of its swap (routed mode). */
  readonly swapDuration: StageHistogram;
  /** The counters of each device source opened so far (one per device entry of --source, once it opened). */
  readonly devices: { readonly overflowCount: number; readonly errorCount: number; readonly reopenCount: number }[] = [];
  /** Failed device starts (no backend, no such device, open refused); each is retried with backoff. A started source reopens by itself. */
  deviceStartFailures = 0;
  /** Successful device starts after such a failure. */
  deviceRestarts = 0;
  /** The dry path's counters (--dry-endpoint); undefined while it is off. */
  dry: { readonly sentCount: number; readonly dropCount: number } | undefined;

  constructor(queue: { readonly depth: number; readonly sentCount: number }) {
    const s = this.stage;
    s.counter('quell_capture_chunks_sent_total', () => queue.sentCount);
    s.counter('quell_capture_audio_frames_sent_total', () => this.audioFramesSent);
    s.counterByLabel('quell_capture_drops_total', this.drops);
    s.gauge('quell_capture_send_queue_depth_chunks', () => queue.depth);
    s.gauge('quell_capture_streams_active', () => this.activeStreams);
    s.counter('quell_capture_auth_failures_total', zapRejections);
    streamCounter(s.registry, 'quell_capture_stream_chunks_sent_total', this.streams, (e) => e.chunksSent);
    streamCounterByLabel(s.registry, 'quell_capture_stream_drops_total', this.streams, (e) => e.drops);
    streamCounter(s.registry, 'quell_capture_stream_chunks_read_total', this.streams, (e) => e.chunksRead);
    streamCounter(s.registry, 'quell_capture_stream_audio_frames_read_total', this.streams, (e) => e.framesRead);
    streamCounter(s.registry, 'quell_capture_stream_audio_frames_sent_total', this.streams, (e) => e.framesSent);
    streamCounter(s.registry, 'quell_capture_stream_audio_frames_dropped_total', this.streams, (e) => e.framesDropped);
    streamCounter(s.registry, 'quell_capture_stream_handover_copies_total', this.streams, (e) => e.handoverCopies);
    streamCounter(s.registry, 'quell_capture_stream_handover_copies_audio_frames_total', this.streams, (e) => e.handoverCopyFrames);
    this.pacerLateness = new StageHistogram(s.registry, 'quell_capture_pacer_lateness_seconds', TIMING_BUCKETS_S);
    this.chunkProcessing = new StageHistogram(s.registry, 'quell_capture_chunk_processing_seconds', TIMING_BUCKETS_S);
    s.counter('quell_capture_device_overflows_total', () => this.#sumOverDevices((d) => d.overflowCount));
    s.counter('quell_capture_device_errors_total', () => this.deviceStartFailures + this.#sumOverDevices((d) => d.errorCount));
    s.counter('quell_capture_device_reopens_total', () => this.deviceRestarts + this.#sumOverDevices((d) => d.reopenCount));
    this.deviceToSend = new StageHistogram(s.registry, 'quell_capture_device_to_send_seconds', TIMING_BUCKETS_S);
    this.swapDuration = new StageHistogram(s.registry, 'quell_capture_swap_duration_seconds', SWAP_BUCKETS_S);
    s.counter('quell_capture_dry_chunks_sent_total', () => this.dry?.sentCount ?? 0);
    s.counter('quell_capture_dry_drops_total', () => this.dry?.dropCount ?? 0);
  }

  /**
   * Device sources: how many `--source` device entries have their device open (0 when none could be opened),
   * out of how many, so `quell status` and `npm start` can say when one is missing.
   */
  addDeviceState(devicesWanted: number): void {
    this.stage.gauge('quell_capture_device_open', () => this.devices.length);
    this.stage.gauge('quell_capture_devices_wanted', () => devicesWanted);
  }

  #sumOverDevices(count: (device: CaptureMetrics['devices'][number]) => number): number {
    let sum = 0;
    for (const device of this.devices) sum += count(device);
    return sum;
  }

  /** Routed mode: swaps, nodes and routes, read from the router at scrape time. */
  addRouter(router: RouterMetricsView): void {
    const s = this.stage;
    s.counterByLabel('quell_capture_swaps_total', router.counts.swaps);
    s.counterByLabel('quell_capture_stream_moves_total', router.counts.moves);
    s.counter('quell_capture_node_failures_total', () => router.counts.nodeFailures);
    s.counterByLabel('quell_capture_control_rejected_total', router.refused);
    s.counter('quell_capture_drain_timeouts_total', () => router.counts.drainTimeouts);
    s.counter('quell_capture_control_links_closed_total', () => router.counts.controlLinksClosed);
    s.gaugeByLabels('quell_capture_inference_nodes', () => ROLES.map((role) => [{ role }, router.nodeCount(role)]));
    s.gaugeByLabels('quell_capture_stream_node_info', () => router.routes().map((r) => [{ stream: String(r.stream), node: r.node, model: r.model }, 1]));
  }
}
