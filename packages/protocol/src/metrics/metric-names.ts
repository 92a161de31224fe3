/**
 * Every Quell metric, in one table: the contract for Grafana dashboards and
 * alert rules. Names follow Prometheus conventions: `quell_<stage>_<thing>_<unit>`,
 * base units (seconds), `_total` for counters. A "chunk" is one data message
 * (one wire frame); an "audio frame" is one sample per channel.
 */
export type MetricType = 'counter' | 'gauge' | 'histogram';

export interface MetricSpec {
  type: MetricType;
  help: string;
  labels: readonly string[];
}

function spec(type: MetricType, help: string, labels: readonly string[] = []): MetricSpec {
  return { type, help, labels };
}

export const METRICS = {
  // capture
  quell_capture_chunks_sent_total: spec('counter', 'Chunks handed to the socket by capture'),
  quell_capture_audio_frames_sent_total: spec('counter', 'Audio frames (samples per channel) sent by capture'),
  quell_capture_drops_total: spec('counter', 'Chunks capture dropped, by reason', ['reason']),
  quell_capture_send_queue_depth_chunks: spec('gauge', 'Chunks waiting in the capture send queue'),
  quell_capture_pacer_lateness_seconds: spec('histogram', 'How late the pacer woke after each chunk deadline'),
  quell_capture_chunk_processing_seconds: spec('histogram', 'Time to read, encode and queue one chunk'),
  quell_capture_streams_active: spec('gauge', 'Streams capture is currently sending'),
  quell_capture_device_overflows_total: spec('counter', 'Input device overflows: frames the device captured that never reached capture'),
  quell_capture_device_errors_total: spec('counter', 'Input device failures (open, stream error, device gone), each followed by a reopen attempt'),
  quell_capture_device_reopens_total: spec('counter', 'Successful reopens of the input device after a failure'),
  quell_capture_device_open: spec('gauge', 'Device sources only: input devices open (one per device entry of --source; 0 while none is: missing, refused; retried with backoff)'),
  quell_capture_devices_wanted: spec('gauge', 'Device sources only: input devices --source names (quell_capture_device_open below it: one is missing)'),
  quell_capture_device_to_send_seconds: spec('histogram', 'Time from the device callback that completed a chunk to the chunk being queued for sending'),
  quell_capture_auth_failures_total: spec('counter', 'CURVE handshakes this process refused (client key not on the allow-list)'),
  quell_capture_swaps_total: spec('counter', 'Inference hand-overs (swaps) that ended, by outcome (completed, rolled-back)', ['outcome']),
  quell_capture_swap_duration_seconds: spec('histogram', 'Time from a candidate inference node saying hello to its swap ending (completed or rolled back)'),
  quell_capture_inference_nodes: spec('gauge', 'Inference nodes registered with capture, by role (active, candidate, draining)', ['role']),
  quell_capture_stream_node_info: spec('gauge', 'Inference node and model serving each stream (value 1)', ['stream', 'node', 'model']),
  quell_capture_node_failures_total: spec('counter', 'Inference nodes declared dead (no heartbeat within the node timeout)'),
  quell_capture_control_rejected_total: spec('counter', 'Control messages capture refused, by reason (malformed, unregistered, rate-limited, peer-cap, busy, swap-in-progress, node-cap, duplicate-node, no-data-key, watch-cap; docs/SECURITY.md)', ['reason']),
  quell_capture_control_links_closed_total: spec('counter', 'Links the control socket lost: peers that left, or were cut by libzmq for a message over the size cap (it gives no reason; docs/SECURITY.md)'),
  quell_capture_drain_timeouts_total: spec('counter', 'Draining inference nodes dropped for not finishing within --drain-timeout-ms'),
  // capture, per stream (series go 30 s after the stream ends; at most 64 streams, docs/METRICS.md)
  quell_capture_stream_chunks_sent_total: spec('counter', 'Chunks of each stream capture queued for sending (warm-up copies to a candidate inference node not counted)', ['stream']),
  quell_capture_stream_drops_total: spec('counter', 'Chunks of each stream capture dropped, by reason', ['stream', 'reason']),
  quell_capture_stream_chunks_read_total: spec('counter', 'Chunks of each stream read from its source: sent plus dropped (the ledger\'s input, docs/METRICS.md#the-ledger)', ['stream']),
  quell_capture_stream_audio_frames_read_total: spec('counter', 'Audio frames of each stream read from its source', ['stream']),
  quell_capture_stream_audio_frames_sent_total: spec('counter', 'Audio frames of each stream capture queued for sending', ['stream']),
  quell_capture_stream_audio_frames_dropped_total: spec('counter', 'Audio frames of each stream capture dropped (any reason)', ['stream']),
  quell_capture_stream_handover_copies_total: spec('counter', 'Second copies of chunks of each stream sent to the new node during a hand-over crossfade: both nodes process them and playback merges the two (not in chunks_sent_total)', ['stream']),
  quell_capture_stream_handover_copies_audio_frames_total: spec('counter', 'Audio frames of those hand-over second copies', ['stream']),
  quell_capture_dry_chunks_sent_total: spec('counter', 'Unprocessed (dry) copies of chunks handed to the dry-path socket to playback (--dry-endpoint)'),
  quell_capture_dry_drops_total: spec('counter', 'Dry copies capture dropped because the dry-path queue was full (playback slow or not connected); the processed path never waits for it'),
  // inference
  quell_inference_chunks_received_total: spec('counter', 'Valid chunks received by inference'),
  quell_inference_warm_up_chunks_total: spec('counter', 'Warm-up chunks run through the model with the output discarded, before this node takes a stream over'),
  quell_inference_chunks_sent_total: spec('counter', 'Chunks handed to the socket by inference'),
  quell_inference_audio_frames_processed_total: spec('counter', 'Audio frames processed by the model'),
  quell_inference_rejected_messages_total: spec('counter', 'Malformed messages inference ignored, by reason', ['reason']),
  quell_inference_drops_total: spec('counter', 'Chunks inference dropped, by reason (bad-output: the model gave a non-finite or implausible sample; the stream\'s state was reset and playback conceals the chunk; format: a chunk in another rate or channel count than its stream, refused)', ['reason']),
  quell_inference_clipped_samples_total: spec('counter', 'Input samples beyond full scale (±1) clipped to it before the model'),
  quell_inference_send_queue_depth_chunks: spec('gauge', 'Chunks waiting in the inference send queue'),
  quell_inference_chunk_processing_seconds: spec('histogram', 'Model processing time per chunk'),
  quell_inference_realtime_factor: spec('gauge', 'Processing time divided by audio time over the last scrape interval (1 = just real time)'),
  quell_inference_streams_active: spec('gauge', 'Streams with live model state'),
  quell_inference_lsnr_db: spec('gauge', 'Local SNR the model estimated for the last hop of each stream, dB (DeepFilterNet3 only)', ['stream']),
  quell_inference_model_info: spec('gauge', 'Model served by this inference node (value 1)', ['model', 'node']),
  quell_inference_input_links_closed_total: spec('counter', 'Links the input socket lost: capture going away, or a message over the size cap (libzmq gives no reason; docs/SECURITY.md)'),
  quell_inference_control_rejected_total: spec('counter', 'Control messages from capture this node could not read (bad size, not MessagePack, unknown type or a bad field): counted and ignored; the first of each kind is logged naming the field'),
  quell_inference_auth_failures_total: spec('counter', 'CURVE handshakes this process refused (client key not on the allow-list)'),
  quell_inference_input_idle_seconds: spec('gauge', 'Seconds since inference last received a chunk (0 before the first); grows during a stall upstream'),
  quell_inference_input_age_seconds: spec('histogram', 'Age of each input chunk when inference takes it: wall clock minus its capture time (queueing upstream and in the socket)'),
  quell_inference_degraded: spec('gauge', '1 while the overload policy passes audio through unprocessed because inference fell behind real time, else 0'),
  quell_inference_degraded_chunks_total: spec('counter', 'Chunks sent unprocessed (delayed dry signal) by the overload policy'),
  quell_inference_overload_transitions_total: spec('counter', 'Times inference entered the degraded (overloaded) state'),
  // inference, per stream (streams this node holds model state for)
  quell_inference_stream_chunks_received_total: spec('counter', 'Valid chunks of each stream received by inference (warm-up chunks not counted)', ['stream']),
  quell_inference_stream_chunk_processing_seconds: spec('histogram', 'Model processing time per chunk of each stream (_count: chunks processed)', ['stream']),
  quell_inference_stream_realtime_factor: spec('gauge', 'Processing time divided by audio time of each stream over the last scrape interval (1 = just real time)', ['stream']),
  quell_inference_stream_drops_total: spec('counter', 'Chunks of each stream inference dropped, by reason', ['stream', 'reason']),
  quell_inference_stream_chunks_sent_total: spec('counter', 'Chunks of each stream inference queued for sending to playback, the latency tail included', ['stream']),
  quell_inference_stream_audio_frames_received_total: spec('counter', 'Audio frames of each stream received by inference (warm-up chunks not counted)', ['stream']),
  quell_inference_stream_audio_frames_sent_total: spec('counter', 'Audio frames of each stream inference queued for sending, the latency tail included', ['stream']),
  quell_inference_stream_audio_frames_dropped_total: spec('counter', 'Audio frames of each stream inference dropped (any reason)', ['stream']),
  quell_inference_stream_tail_chunks_total: spec('counter', 'Extra chunk made at the end of each stream with the model\'s latency tail, then sent or dropped like any other (0 or 1 per stream and node; never received)', ['stream']),
  quell_inference_stream_tail_audio_frames_total: spec('counter', 'Audio frames of that latency tail (the model\'s latency in frames)', ['stream']),
  // playback
  quell_playback_chunks_received_total: spec('counter', 'Valid chunks received by playback'),
  quell_playback_chunks_played_total: spec('counter', 'Chunks written to the sink, concealment included'),
  quell_playback_audio_frames_played_total: spec('counter', 'Audio frames written to the sink, concealment included'),
  quell_playback_rejected_messages_total: spec('counter', 'Malformed messages playback ignored, by reason', ['reason']),
  quell_playback_drops_total: spec('counter', 'Received chunks playback discarded, by reason (late, duplicate, overflow, stale; mismatch: a second copy of a chunk with another frame count; format: another rate or channel count than its stream, or a first chunk too short to clock; stream-cap, stream-rate: too many streams, or new ones too fast; unplayable: the sink refused the stream a moment ago; device-busy: the device plays another stream; flushed: still buffered when a resync restarted the timeline); resync counts chunks that restarted a stream timeline (kept)', ['reason']),
  quell_playback_gaps_total: spec('counter', 'Chunks missing from the sequence, concealed with a fade'),
  quell_playback_underruns_total: spec('counter', 'Times the sink needed a chunk and the jitter buffer was empty'),
  quell_playback_latency_seconds: spec('histogram', 'End-to-end latency: time a chunk reaches the sink minus its capture time'),
  quell_playback_jitter_buffer_depth_chunks: spec('gauge', 'Chunks held in the jitter buffers'),
  quell_playback_jitter_buffer_target_chunks: spec('gauge', 'Jitter-buffer prefill target'),
  quell_playback_streams_active: spec('gauge', 'Streams with a live jitter buffer and sink'),
  quell_playback_sink_errors_total: spec('counter', 'Sink write or finalise errors'),
  quell_playback_device_underruns_total: spec('counter', 'Device blocks that got less audio than they asked for after playing started (the rest was silence)'),
  quell_playback_device_overflows_total: spec('counter', 'Chunks discarded toward the output device: a burst above target + target-max-ms, or a write refused by a full buffer'),
  quell_playback_device_errors_total: spec('counter', 'Output device failures (open, stream error, device gone), each followed by a reopen attempt'),
  quell_playback_device_reopens_total: spec('counter', 'Successful reopens of the output device after a failure'),
  quell_playback_device_stalls_total: spec('counter', 'Output device requests later than the audio queued ahead of the device: it ran dry or stopped taking audio (a gap the listener heard)'),
  quell_playback_device_stalled_seconds_total: spec('counter', 'Time the output device went without audio in those stalls'),
  quell_playback_device_buffer_level_seconds: spec('gauge', 'Audio buffered for the device stream (jitter buffer + resampler), as the drift controller measures it'),
  quell_playback_device_buffer_target_seconds: spec('gauge', 'Target of that level: measured arrival jitter plus a margin, within configured bounds'),
  quell_playback_device_queue_depth_frames: spec('gauge', 'Frames queued in the device sink ahead of the device'),
  quell_playback_device_open: spec('gauge', 'Device sink only: output devices open (the default one and one per --route; 0 while none is: missing, refused; retried with backoff)'),
  quell_playback_devices_wanted: spec('gauge', 'Device sink only: output devices playback plays to (the default one and one per --route device)'),
  quell_playback_drift_trim_ppm: spec('gauge', 'Resampling ratio trim the drift controller applies, ppm (positive: the sender clock is faster)'),
  quell_playback_input_links_closed_total: spec('counter', 'Links the input socket lost: senders that left, or were cut by libzmq for a message over the size cap (it gives no reason; docs/SECURITY.md)'),
  quell_playback_auth_failures_total: spec('counter', 'CURVE handshakes this process refused (client key not on the allow-list)'),
  quell_playback_crossfades_total: spec('counter', 'Chunks played as a crossfade of two inference nodes during a hand-over'),
  quell_playback_handover_fallbacks_total: spec('counter', 'Chunks of a hand-over played from the old node because the new node\'s chunk was not there in time'),
  quell_playback_input_idle_seconds: spec('gauge', 'Seconds since playback last received a chunk while a stream is open (0 when none is); grows during a stall upstream'),
  quell_playback_clock_resets_total: spec('counter', 'Times a stream\'s playout clock fell more than 200 ms behind (the process was held up) and skipped ahead instead of catching up chunk by chunk'),
  quell_playback_input_stalls_total: spec('counter', 'Times a stream open in playback received nothing for longer than --stall-threshold-ms'),
  // playback, per stream (streams with a live jitter buffer and sink)
  quell_playback_stream_chunks_received_total: spec('counter', 'Valid chunks of each stream received by playback', ['stream']),
  quell_playback_stream_chunks_played_total: spec('counter', 'Chunks of each stream written to the sink, concealment included', ['stream']),
  quell_playback_stream_gaps_total: spec('counter', 'Chunks missing from each stream, concealed with a fade', ['stream']),
  quell_playback_stream_underruns_total: spec('counter', "Times each stream's sink needed a chunk and its jitter buffer was empty", ['stream']),
  quell_playback_stream_drops_total: spec('counter', 'Received chunks of each stream playback discarded, by reason (as quell_playback_drops_total)', ['stream', 'reason']),
  quell_playback_stream_audio_frames_received_total: spec('counter', 'Audio frames of each stream received by playback', ['stream']),
  quell_playback_stream_chunks_merged_total: spec('counter', 'Second copies of hand-over chunks of each stream merged with (or standing in for) the first copy: received, not played twice, not drops', ['stream']),
  quell_playback_stream_audio_frames_merged_total: spec('counter', 'Audio frames of those merged second copies', ['stream']),
  quell_playback_stream_chunks_concealed_total: spec('counter', 'Chunks of each stream played as concealment (gaps, underruns, stale slots): in chunks_played_total, never received', ['stream']),
  quell_playback_stream_audio_frames_written_total: spec('counter', 'Received audio frames of each stream written to the sink (concealment not included; a file sink then trims the model latency)', ['stream']),
  quell_playback_stream_audio_frames_dropped_total: spec('counter', 'Audio frames of each stream playback discarded (any reason)', ['stream']),
  quell_playback_stream_latency_seconds: spec('histogram', 'End-to-end latency of each stream: time a chunk reaches the sink minus its capture time', ['stream']),
  quell_playback_stream_jitter_buffer_depth_chunks: spec('gauge', "Chunks held in each stream's jitter buffer", ['stream']),
  quell_playback_stream_jitter_buffer_target_chunks: spec('gauge', "Prefill target of each stream's jitter buffer", ['stream']),
  quell_playback_dry_chunks_received_total: spec('counter', 'Valid dry (unprocessed, flagged DRY) chunks received from capture\'s dry path; not in chunks_received_total'),
  quell_playback_dry_drops_total: spec('counter', 'Dry chunks playback did not keep for concealment, by reason (disabled: --conceal silence; no-stream: no processed stream with that id is open; format: rate or channels differ from the processed stream)', ['reason']),
  quell_playback_dry_concealed_chunks_total: spec('counter', 'Missing processed chunks played as the aligned dry (unprocessed) signal instead of a fade to silence (--conceal dry); each is also a gap or part of an underrun'),
} as const satisfies Record<string, MetricSpec>;

export type MetricName = keyof typeof METRICS;
