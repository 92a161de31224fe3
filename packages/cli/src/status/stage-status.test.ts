import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseMetricsText } from '@quell/runtime';
import { formatStatus } from './format-status.js';
import { stageImbalances, streamLedgers } from './ledger.js';
import { downStatus, stageStatusFrom } from './stage-status.js';
import { metricsUrl } from './status-poller.js';

function inferenceText(sent: number, startTimeS = 1000): string {
  return `
process_start_time_seconds{stage="inference"} ${startTimeS}
process_resident_memory_bytes{stage="inference"} 83886080
quell_inference_chunks_received_total{stage="inference"} ${sent + 2}
quell_inference_chunks_sent_total{stage="inference"} ${sent}
quell_inference_drops_total{reason="queue-full",stage="inference"} 2
quell_inference_drops_total{reason="injected",stage="inference"} 0
quell_inference_rejected_messages_total{reason="version",stage="inference"} 1
quell_inference_send_queue_depth_chunks{stage="inference"} 3
quell_inference_streams_active{stage="inference"} 1
quell_inference_realtime_factor{stage="inference"} 0.25
quell_inference_model_info{model="dtln",node="gpu-1",stage="inference"} 1
quell_inference_chunk_processing_seconds_bucket{le="0.001",stage="inference"} ${sent}
quell_inference_chunk_processing_seconds_bucket{le="+Inf",stage="inference"} ${sent}
`;
}

describe('stageStatusFrom()', () => {
  it("reads playback's device: open with its playout level and target, or not open, said in the status text", () => {
    const text = (open: number) => `
quell_playback_device_open{stage="playback"} ${open}
quell_playback_device_errors_total{stage="playback"} 3
quell_playback_device_buffer_level_seconds{stage="playback"} 0.0287
quell_playback_device_buffer_target_seconds{stage="playback"} 0.0258
`;
    const open = stageStatusFrom('playback', 'http://x/metrics', parseMetricsText(text(1)), 0, null).status;
    assert.equal(open.deviceOpen, true);
    assert.deepEqual(open.playout, { levelS: 0.0287, targetS: 0.0258 });
    const none = stageStatusFrom('playback', 'http://x/metrics', parseMetricsText(text(0)), 0, null).status;
    assert.equal(none.deviceOpen, false);
    assert.equal(none.playout, null);
    const noDevice = stageStatusFrom('playback', 'http://x/metrics', parseMetricsText('quell_playback_chunks_played_total{stage="playback"} 5'), 0, null).status;
    assert.equal(noDevice.deviceOpen, null, 'a file or null sink has no device to miss');
    const page = (status: typeof open) => formatStatus({ time: 't', stages: { capture: downStatus('capture', 'u', 'x'), inference: downStatus('inference', 'u', 'x'), playback: status } } as never, { color: false });
    assert.match(page(open), /playout level 28\.7 ms \(target 25\.8 ms/);
    assert.match(page(none), /playback: no output device is open: 'npx quell devices'.*\(3 failed opens so far, retrying\)/);
  });

  it('several devices (capture --source device,pulse:…): one of two open is not open, and the status says how many are', () => {
    const text = `
quell_capture_device_open{stage="capture"} 1
quell_capture_devices_wanted{stage="capture"} 2
quell_capture_device_errors_total{stage="capture"} 4
`;
    const half = stageStatusFrom('capture', 'http://x/metrics', parseMetricsText(text), 0, null).status;
    assert.equal(half.deviceOpen, false);
    assert.equal(half.devicesOpen, 1);
    const page = formatStatus({ time: 't', stages: { capture: half, inference: downStatus('inference', 'u', 'x'), playback: downStatus('playback', 'u', 'x') } } as never, { color: false });
    assert.match(page, /capture: only 1 of 2 input devices are open: 'npx quell devices'/);
    const both = stageStatusFrom('capture', 'http://x/metrics', parseMetricsText(text.replace('device_open{stage="capture"} 1', 'device_open{stage="capture"} 2')), 0, null).status;
    assert.equal(both.deviceOpen, true);
  });

  it('reads chunk counts, drops by reason, queue, model and node from one scrape', () => {
    const { status } = stageStatusFrom('inference', 'http://x/metrics', parseMetricsText(inferenceText(100)), 0, null);
    assert.equal(status.up, true);
    assert.deepEqual(status.chunks, { received: 102, sent: 100 });
    assert.deepEqual(status.drops, { total: 2, byReason: { 'queue-full': 2, injected: 0 } });
    assert.equal(status.rejected, 1);
    assert.equal(status.queueDepthChunks, 3);
    assert.equal(status.model, 'dtln');
    assert.equal(status.node, 'gpu-1');
    assert.equal(status.realtimeFactor, 0.25);
    assert.equal(status.chunkRatePerS, null, 'no rate from a single read');
    assert.equal(status.timing?.window, 'since-start');
    assert.ok(status.timing?.p99S !== null && status.timing!.p99S! <= 0.001);
  });

  it('gives the chunk rate since the previous read, and none after a restart', () => {
    const first = stageStatusFrom('inference', 'u', parseMetricsText(inferenceText(100)), 1000, null);
    const second = stageStatusFrom('inference', 'u', parseMetricsText(inferenceText(150)), 1500, first.reading);
    assert.equal(second.status.chunkRatePerS, 100);
    assert.equal(second.status.timing?.window, 'interval');
    const restarted = stageStatusFrom('inference', 'u', parseMetricsText(inferenceText(160, 2000)), 2000, second.reading);
    assert.equal(restarted.status.chunkRatePerS, null);
  });
});

describe('formatStatus()', () => {
  it('prints one aligned row per stage and shows a down stage with its error', () => {
    const up = stageStatusFrom('inference', 'u', parseMetricsText(inferenceText(100)), 0, null).status;
    const text = formatStatus(
      { time: 't', stages: { capture: downStatus('capture', 'http://127.0.0.1:9101/metrics', 'ECONNREFUSED'), inference: up, playback: downStatus('playback', 'p', 'no answer (timeout)') }, imbalances: [] },
      { color: false },
    );
    const lines = text.split('\n');
    const header = lines.find((l) => l.startsWith('STAGE'));
    assert.ok(header);
    assert.match(text, /^capture\s+DOWN\s+ECONNREFUSED \(http:\/\/127\.0\.0\.1:9101\/metrics\)$/m);
    assert.match(text, /^inference\s+up\s+received 102, sent 100\s+-\s+3\s+2 \(queue-full 2\)/m);
    assert.match(text, /dtln @ gpu-1\s+rtf 0\.250$/m);
    const row = lines.find((l) => l.startsWith('inference'))!;
    assert.equal(row.indexOf('up'), header.indexOf('STATE'), 'columns line up');
    assert.ok(!text.includes('\x1b['), 'no ANSI codes without color');
  });
});

describe('per-stream status', () => {
  const playbackText = [
    'quell_playback_chunks_played_total{stage="playback"} 300',
    'quell_playback_stream_chunks_played_total{stream="1",stage="playback"} 200',
    'quell_playback_stream_chunks_played_total{stream="2",stage="playback"} 100',
    'quell_playback_stream_drops_total{stream="2",reason="late",stage="playback"} 3',
    'quell_playback_stream_drops_total{stream="2",reason="stale",stage="playback"} 1',
    'quell_playback_stream_latency_seconds_bucket{stream="1",le="0.02",stage="playback"} 100',
    'quell_playback_stream_latency_seconds_bucket{stream="1",le="0.05",stage="playback"} 200',
    'quell_playback_stream_latency_seconds_bucket{stream="1",le="+Inf",stage="playback"} 200',
    'quell_playback_stream_latency_seconds_bucket{stream="2",le="0.02",stage="playback"} 100',
    'quell_playback_stream_latency_seconds_bucket{stream="2",le="0.05",stage="playback"} 100',
    'quell_playback_stream_latency_seconds_bucket{stream="2",le="+Inf",stage="playback"} 100',
    '',
  ].join('\n');

  it('stageStatusFrom() reads each stream\'s chunks, drops and p99 from the stage\'s per-stream metrics', () => {
    const { status } = stageStatusFrom('playback', 'u', parseMetricsText(playbackText), 0, null);
    assert.deepEqual(Object.keys(status.streams ?? {}), ['1', '2']);
    assert.equal(status.streams?.['1'].chunks, 200);
    assert.equal(status.streams?.['2'].drops, 4);
    assert.ok(Math.abs((status.streams?.['1'].p99S ?? 0) - 0.0494) < 1e-9, `p99 ${status.streams?.['1'].p99S}`);
    assert.ok((status.streams?.['2'].p99S ?? 1) <= 0.02);
    assert.equal(downStatus('playback', 'u', 'x').streams, null);
  });

  it('formatStatus() adds one line per stream under the stage table', () => {
    const playback = stageStatusFrom('playback', 'u', parseMetricsText(playbackText), 0, null).status;
    const text = formatStatus({ time: 't', stages: { capture: downStatus('capture', 'c', 'ECONNREFUSED'), inference: downStatus('inference', 'i', 'ECONNREFUSED'), playback }, imbalances: [] }, { color: false });
    assert.match(text, /^STREAM\s+CAPTURE SENT\s+INFERENCE RECEIVED\s+PLAYBACK PLAYED\s+DROPS/m);
    assert.match(text, /^1\s+-\s+-\s+200\s+0\s+-\s+49\.4 ms$/m);
    assert.match(text, /^2\s+-\s+-\s+100\s+4\s+-\s+/m);
    assert.doesNotMatch(text, /ledger/);
  });

  it('formatStatus() names a stream whose ledger does not balance, one line under the streams', () => {
    const playback = stageStatusFrom('playback', 'u', parseMetricsText(playbackText), 0, null).status;
    const snapshot = { time: 't', stages: { capture: downStatus('capture', 'c', 'ECONNREFUSED'), inference: downStatus('inference', 'i', 'ECONNREFUSED'), playback }, imbalances: [{ stream: '2', imbalances: ['capture: 1 chunks, 480 frames unaccounted'] }] };
    assert.match(formatStatus(snapshot, { color: false }), /^ledger: stream 2 does not balance: capture: 1 chunks, 480 frames unaccounted$/m);
  });
});

describe('stageImbalances()', () => {
  it('is empty for a balanced capture account and names the stage and amounts otherwise', () => {
    const text = (read: number): string =>
      [
        `quell_capture_stream_chunks_read_total{stream="5"} ${read}`,
        'quell_capture_stream_audio_frames_read_total{stream="5"} 4800',
        'quell_capture_stream_chunks_sent_total{stream="5"} 9',
        'quell_capture_stream_audio_frames_sent_total{stream="5"} 4320',
        'quell_capture_stream_drops_total{stream="5",reason="queue-full"} 1',
        'quell_capture_stream_audio_frames_dropped_total{stream="5"} 480',
      ].join('\n');
    assert.deepEqual(streamLedgers({ capture: parseMetricsText(text(10)) }).map(stageImbalances), [[]]);
    assert.deepEqual(streamLedgers({ capture: parseMetricsText(text(11)) }).map(stageImbalances), [['capture: 1 chunks, 0 frames unaccounted']]);
  });
});

describe('metricsUrl()', () => {
  it('adds http:// and /metrics to host:port, keeps a full URL', () => {
    assert.equal(metricsUrl('127.0.0.1:9101'), 'http://127.0.0.1:9101/metrics');
    assert.equal(metricsUrl('http://10.0.0.2:9102'), 'http://10.0.0.2:9102/metrics');
    assert.equal(metricsUrl('http://h:1/custom'), 'http://h:1/custom');
  });

  it('stageStatusFrom() shows the inference node and model serving each stream from capture\'s routing metric', () => {
    const text = [
      '# TYPE quell_capture_stream_node_info gauge',
      'quell_capture_stream_node_info{stream="1",node="gtcrn-1",model="gtcrn",stage="capture"} 1',
      'quell_capture_chunks_sent_total{stage="capture"} 10',
      '',
    ].join('\n');
    const { status } = stageStatusFrom('capture', 'u', parseMetricsText(text), 0, null);
    assert.equal(status.model, 'stream 1: gtcrn');
    assert.equal(status.node, 'gtcrn-1');
  });
});
