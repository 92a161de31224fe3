"""QuellNode: put your own model into a running Quell pipeline as an inference node.

    class MyNode(QuellNode):
        model = "my-denoiser"
        def process(self, stream, samples):
            return samples * 0.5

    raise SystemExit(MyNode().main())

The kit does what a Quell inference node does (docs/SWAP.md), in routed mode:
says hello to capture's control ROUTER (again every second until welcomed, and
again when capture answers a heartbeat with ``unknown-node``), pulls chunks
from the data socket capture binds for it, sends a heartbeat every 200 ms,
runs WARM_UP chunks through the model and discards the output (then says
``warmed``), stamps every output with its node id, acks the end of a
hand-over's crossfade (``progress``), and on ``drain`` finishes what is on the
wire, says ``drained`` and exits (code 3, retired). ``abort`` before it
serves stops it (code 1). SIGINT/SIGTERM ask capture to hand the streams to
another node first (``leaving``). At end of stream a node that declares a
latency (`delay_frames`) gets that many frames of silence pushed through it,
sent as one last chunk, so the output is as long as the input.

`process` gets one chunk of one stream as float32 (frames, channels) at the
stream's own rate (``native_rate_hz = 0``: the kit never resamples; a model
with a fixed rate resamples inside `process`) and returns the same shape.
Keep per-stream model state in `stream.state`.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import socket as pysocket
import sys
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import zmq

from .capture import MAX_DATA_BYTES, wall_clock_us
from .codec import (END_OF_STREAM, Frame, FrameHeader, Rejected, decode_control, decode_frame,
                    encode_control, encode_frame, seq_add, seq_sub)
from .keys import LinkSecurity, fresh_key_pair

RETIRED_EXIT_CODE = 3
log = logging.getLogger("quell.node")


@dataclass
class Stream:
    """One stream as the node sees it; `state` is yours (model state, buffers)."""

    id: int
    sample_rate_hz: int
    channel_count: int
    state: dict[str, Any] = field(default_factory=dict)


@dataclass
class NodeConfig:
    control: str = "tcp://127.0.0.1:5557"
    output_endpoint: str = "tcp://127.0.0.1:5556"
    node_id: str = ""
    local_auth: str = "curve"
    key_dir: str | None = None
    heartbeat_ms: int = 200
    # Drop live input older than this (wall clock minus capture time) instead of playing it late; 0 = never.
    max_input_age_ms: float = 300.0
    high_water_mark: int = 64


@dataclass
class NodeStats:
    chunks_in: int = 0
    chunks_out: int = 0
    warm_up_chunks: int = 0
    rejected: Counter = field(default_factory=Counter)
    drops: Counter = field(default_factory=Counter)


class QuellNode:
    """Subclass it and implement `process`; `main()` runs it until capture retires it or a signal stops it."""

    #: Shown in capture's status and `quell status`.
    model: str = "python"
    #: 0: takes any rate (the kit never resamples).
    native_rate_hz: int = 0
    #: Frames the output lags the input (at the stream's rate); flushed with silence at end of stream.
    delay_frames: int = 0

    def open_stream(self, stream: Stream) -> None:
        """A new stream (or one whose state was reset): set up `stream.state`."""

    def process(self, stream: Stream, samples: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def close_stream(self, stream: Stream) -> None:
        """The stream ended or went away: release its state."""

    def stream_delay_frames(self, stream: Stream) -> int:
        """The latency of this stream, frames; `delay_frames` unless overridden (a latency that depends on the rate)."""
        return self.delay_frames

    def run(self, config: NodeConfig) -> str:
        """Serves until retired (`"retired"`), stopped by a signal (`"stopped"`) or refused (`"aborted: reason"`)."""
        return _Runner(self, config).run()

    def main(self, argv: list[str] | None = None) -> int:
        """Command line: --control, --output-endpoint, --node-id, --local-auth, --link-key-dir. Returns the exit code."""
        p = argparse.ArgumentParser(description=f"Quell inference node '{self.model}' (Python kit)")
        p.add_argument("--control", default="tcp://127.0.0.1:5557", help="capture's control endpoint")
        p.add_argument("--output-endpoint", default="tcp://127.0.0.1:5556", help="playback's input endpoint")
        p.add_argument("--node-id", default="", help="node id (default host:pid)")
        p.add_argument("--local-auth", choices=("curve", "off"), default="curve", help="CURVE under ~/.config/quell/local.key, or plaintext")
        p.add_argument("--link-key-dir", default=None, help="folder of local.key")
        p.add_argument("--heartbeat-ms", type=int, default=200)
        p.add_argument("--summary", action="store_true", help="print a JSON summary on stdout at exit")
        p.add_argument("--log-level", default="warning")
        args = p.parse_args(argv)
        logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr, format="%(asctime)s %(name)s %(levelname)s %(message)s")
        runner = _Runner(self, NodeConfig(args.control, args.output_endpoint, args.node_id, args.local_auth, args.link_key_dir, args.heartbeat_ms))
        outcome = runner.run()
        if args.summary:
            s = runner.stats
            print(json.dumps({"node": runner.node_id, "outcome": outcome, "chunksIn": s.chunks_in, "chunksOut": s.chunks_out,
                              "warmUpChunks": s.warm_up_chunks, "rejected": dict(s.rejected), "drops": dict(s.drops)}), flush=True)
        return RETIRED_EXIT_CODE if outcome == "retired" else 0 if outcome == "stopped" else 1


class _Runner:
    """One node's sockets and protocol state; a single thread polls the control and data sockets."""

    def __init__(self, node: QuellNode, config: NodeConfig) -> None:
        self.node = node
        self.config = config
        self.node_id = config.node_id or f"{pysocket.gethostname()}:{os.getpid()}"
        self.stats = NodeStats()
        self.context = zmq.Context()
        self.security = LinkSecurity.from_args(config.local_auth, config.key_dir, self.context)
        self.control = self.context.socket(zmq.DEALER)
        self.control.maxmsgsize = 64 * 1024
        self.control.linger = 200
        self.security.client(self.control)
        # The data input proves a key pair of its own, named in the hello: capture's socket for this node admits it alone.
        data_key = fresh_key_pair() if self.security.enabled else None
        self.input = self.context.socket(zmq.PULL)
        self.input.rcvhwm = config.high_water_mark
        self.input.maxmsgsize = MAX_DATA_BYTES
        self.input.linger = 0
        self.security.client(self.input, data_key)
        self.output = self.context.socket(zmq.PUSH)
        self.output.sndhwm = config.high_water_mark
        self.output.linger = 1000
        self.security.client(self.output)
        self.output.connect(config.output_endpoint)
        self.control.connect(config.control)
        self.hello: dict[str, Any] = {
            "type": "hello", "node": self.node_id, "model": node.model, "nativeRateHz": node.native_rate_hz,
            "pid": os.getpid(), "metricsPort": 0, "outputEndpoint": config.output_endpoint,
        }
        if data_key:
            self.hello["dataKey"] = data_key.public_key
        self.input_endpoint: str | None = None
        self.promoted = False
        self.streams: dict[int, Stream] = {}
        self.last_seq: dict[int, int] = {}
        self.warm_targets: dict[int, int] = {}
        self.progress_sent: dict[int, int] = {}
        self.outcome: str | None = None
        self.draining_since: float | None = None
        self.leaving_since: float | None = None
        self.quiet_since: float | None = None
        self.last_input = 0.0
        self.signalled = False

    def send(self, message: dict[str, Any]) -> None:
        try:
            self.control.send(encode_control(message), zmq.NOBLOCK)
        except zmq.Again:
            pass  # capture is gone or not reading: control messages are repeated or moot

    # ---- the loop ----

    def run(self) -> str:
        previous = {s: signal.signal(s, self._on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
        poller = zmq.Poller()
        poller.register(self.control, zmq.POLLIN)
        poller.register(self.input, zmq.POLLIN)
        next_hello = next_heartbeat = time.monotonic()
        last_rehello = 0.0
        try:
            while self.outcome is None:
                now = time.monotonic()
                if self.input_endpoint is None and now >= next_hello:
                    self.send(self.hello)
                    next_hello = now + 1.0
                if self.input_endpoint is not None and now >= next_heartbeat:
                    self.send({"type": "heartbeat", "node": self.node_id, "streams": [[s, q] for s, q in self.last_seq.items()]})
                    next_heartbeat = now + self.config.heartbeat_ms / 1000
                self._check_stopping(now)
                for sock, _ in poller.poll(timeout=20):
                    if sock is self.control:
                        while (m := self._recv_control()) is not False:
                            if m is None:
                                continue
                            if m["type"] == "unknown-node" and time.monotonic() - last_rehello > 0.5:
                                last_rehello = time.monotonic()
                                self.send(self.hello)
                            else:
                                self._on_control(m)
                    else:
                        for _ in range(64):
                            try:
                                parts = self.input.recv_multipart(zmq.NOBLOCK)
                            except zmq.Again:
                                break
                            self._on_data(parts)
            return self.outcome
        finally:
            for s, h in previous.items():
                signal.signal(s, h)
            self._close()

    def _recv_control(self) -> dict[str, Any] | None | bool:
        try:
            return decode_control(self.control.recv(zmq.NOBLOCK))
        except zmq.Again:
            return False

    def _on_signal(self, signum: int, frame: Any) -> None:
        self.signalled = True

    def _check_stopping(self, now: float) -> None:
        if self.signalled and self.leaving_since is None and self.draining_since is None:
            if self.input_endpoint is None:
                self.outcome = "stopped"
                return
            # Stopped (pm2 reload or stop, Ctrl-C): ask capture to hand the streams to another node first.
            self.leaving_since = now
            self.send({"type": "leaving", "node": self.node_id})
        if self.draining_since is not None and self._quiet(now, self.draining_since):
            self.send({"type": "drained", "node": self.node_id})
            self.outcome = "retired"
        elif self.leaving_since is not None and self.draining_since is None and now - self.leaving_since > 1.2:
            self._say_bye(now)

    def _quiet(self, now: float, since: float) -> bool:
        """Input quiet for 50 ms (at most 0.6 s after `since`): what was on the wire is processed."""
        return now - max(self.last_input, since) >= 0.05 or now - since >= 0.6

    def _say_bye(self, now: float) -> None:
        self.quiet_since = self.quiet_since or now
        if self._quiet(now, self.quiet_since):
            self.send({"type": "bye", "node": self.node_id})
            self.outcome = "stopped"

    # ---- control ----

    def _on_control(self, m: dict[str, Any]) -> None:
        kind = m["type"]
        if kind == "welcome":
            if m["inputEndpoint"] != self.input_endpoint:
                # First welcome, or a restarted capture gave this node a new data socket: pull from that one.
                if self.input_endpoint is not None:
                    self.input.disconnect(self.input_endpoint)
                self.input.connect(m["inputEndpoint"])
                log.info("registered with capture as %s (%s), input %s", self.node_id, m["role"], m["inputEndpoint"])
            self.input_endpoint = m["inputEndpoint"]
            if m["role"] == "active":
                self.promoted = True
        elif kind == "warm-up":
            done = self.last_seq.get(m["stream"])
            if done is not None and seq_sub(done, m["lastSeq"]) >= 0:
                self.send({"type": "warmed", "node": self.node_id, "stream": m["stream"], "seq": done})
            else:
                self.warm_targets[m["stream"]] = m["lastSeq"]
        elif kind == "promote":
            self.promoted = True
            log.info("serving the streams")
        elif kind == "abort":
            log.warning("capture aborted this node: %s", m["reason"])
            if not self.promoted:
                self.outcome = f"aborted: {m['reason']}"
        elif kind == "drain":
            # The streams have moved to a successor: finish what is on the wire, say drained, exit.
            if self.draining_since is None:
                self.draining_since = time.monotonic()
        elif kind == "no-successor" and self.leaving_since is not None and self.draining_since is None:
            self._say_bye(time.monotonic())

    # ---- data ----

    def _on_data(self, parts: list[bytes]) -> None:
        self.last_input = time.monotonic()
        frame = decode_frame(parts)
        if isinstance(frame, Rejected):
            self.stats.rejected[frame.reason] += 1
            return
        h = frame.header
        self.stats.chunks_in += 1
        if h.warm_up:
            self._warm_up(frame)
        else:
            self._process(frame)
        self._processed(h)
        if h.end_of_stream:
            self._end_stream(h.stream)
            self.last_seq.pop(h.stream, None)
            self.progress_sent.pop(h.stream, None)

    def _stream(self, h: FrameHeader) -> Stream:
        s = self.streams.get(h.stream)
        if s is not None and (s.sample_rate_hz != h.sample_rate_hz or s.channel_count != h.channel_count):
            self._end_stream(h.stream)
            s = None
        if s is None:
            s = self.streams[h.stream] = Stream(h.stream, h.sample_rate_hz, h.channel_count)
            self.node.open_stream(s)
        return s

    def _end_stream(self, stream_id: int) -> None:
        s = self.streams.pop(stream_id, None)
        if s is not None:
            self.node.close_stream(s)

    def _run_model(self, stream: Stream, samples: np.ndarray) -> np.ndarray | None:
        out = np.asarray(self.node.process(stream, samples), dtype=np.float32)
        if out.shape != samples.shape:
            out = out.reshape(samples.shape)  # (frames,) for mono is fine; anything else raises
        if not np.isfinite(out).all():
            # A NaN stays in a recurrent state for good: start the stream's model afresh.
            self.stats.drops["bad-output"] += 1
            self._end_stream(stream.id)
            return None
        return out

    def _warm_up(self, frame: Frame) -> None:
        """WARM_UP input (docs/SWAP.md): settles the model's state before this node is heard; the output is discarded."""
        self.stats.warm_up_chunks += 1
        self._run_model(self._stream(frame.header), frame.samples)

    def _process(self, frame: Frame) -> None:
        h = frame.header
        if self.config.max_input_age_ms > 0 and not h.end_of_stream and wall_clock_us() - h.capture_time_us > self.config.max_input_age_ms * 1000:
            self.stats.drops["stale"] += 1
            return
        stream = self._stream(h)
        delay = self.node.stream_delay_frames(stream)
        out = self._run_model(stream, frame.samples)
        if out is None:
            if not h.end_of_stream:
                return
            out = np.zeros_like(frame.samples)
            stream = self._stream(h)
        last = h.end_of_stream
        # Playback tells the two nodes of a hand-over apart by this stamp.
        h.node = self.node_id
        h.delay_frames += delay
        if last and delay > 0:
            h.flags &= ~END_OF_STREAM
        self._send(h, out)
        if last and delay > 0:
            # Push the model's latency out with silence, sent as one last chunk flagged end-of-stream.
            silence = np.zeros((delay, stream.channel_count), np.float32)
            tail = self._run_model(stream, silence)
            self._send(replace(h, seq=seq_add(h.seq, 1), ts=seq_add(h.ts, h.frame_count), frame_count=delay, flags=h.flags | END_OF_STREAM),
                       silence if tail is None else tail)
            h.flags |= END_OF_STREAM

    def _send(self, h: FrameHeader, samples: np.ndarray) -> None:
        try:
            self.output.send_multipart(encode_frame(h, samples), zmq.NOBLOCK, copy=False)
            self.stats.chunks_out += 1
        except zmq.Again:
            self.stats.drops["queue-full"] += 1

    def _processed(self, h: FrameHeader) -> None:
        """After each chunk (warm-up or live): progress per stream and the acks capture waits for."""
        self.last_seq[h.stream] = h.seq
        if h.warm_up:
            target = self.warm_targets.get(h.stream)
            if target is not None and seq_sub(h.seq, target) >= 0:
                del self.warm_targets[h.stream]
                self.send({"type": "warmed", "node": self.node_id, "stream": h.stream, "seq": h.seq})
            return
        ho = h.handover
        if ho is None or ho.to != self.node_id:
            return
        end = seq_add(ho.at_seq, ho.fade_chunks)
        if seq_sub(h.seq, end) >= 0 and self.progress_sent.get(h.stream) != end:
            self.progress_sent[h.stream] = end
            self.send({"type": "progress", "node": self.node_id, "stream": h.stream, "seq": h.seq})

    def _close(self) -> None:
        for stream_id in list(self.streams):
            self._end_stream(stream_id)
        self.control.close()
        self.input.close()
        self.output.close()  # linger: what is queued for playback still goes
        self.security.close()
        self.context.term()
