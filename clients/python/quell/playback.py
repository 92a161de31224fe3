"""A playback receiver: what Quell's playback does at its input, without a sound device.

It binds one PULL (default ``tcp://127.0.0.1:5556``) that inference nodes
(``--output-endpoint``) connect their PUSH to, decodes and validates every
frame (rejects are counted by Quell's reason names), and keeps a ledger per
stream: chunks by seq, gaps, duplicates, the samples in seq order. During a
hand-over both nodes send the same seqs (each output names its `node`): from
`atSeq` on the ledger keeps the new node's copy (a cut, where Quell's playback
crossfades).
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import zmq

from .capture import MAX_DATA_BYTES
from .codec import Frame, Rejected, decode_frame, seq_sub
from .keys import LinkSecurity


@dataclass
class StreamLedger:
    stream: int
    sample_rate_hz: int
    channel_count: int
    # Received chunks by seq (the node's copy that is kept).
    chunks: dict[int, Frame] = field(default_factory=dict)
    first_seq: int | None = None
    last_seq: int | None = None
    copies: int = 0
    duplicates: int = 0
    ended: bool = False
    delay_frames: int = 0
    nodes: Counter = field(default_factory=Counter)

    def add(self, frame: Frame) -> None:
        h = frame.header
        self.copies += 1
        if h.node:
            self.nodes[h.node] += 1
        self.delay_frames = h.delay_frames
        if self.first_seq is None or seq_sub(h.seq, self.first_seq) < 0:
            self.first_seq = h.seq
        if self.last_seq is None or seq_sub(h.seq, self.last_seq) > 0:
            self.last_seq = h.seq
        if h.end_of_stream:
            self.ended = True
        old = self.chunks.get(h.seq)
        if old is None:
            self.chunks[h.seq] = frame
            return
        ho = h.handover
        if ho and seq_sub(h.seq, ho.at_seq) >= 0 and h.node == ho.to and old.header.node != ho.to:
            self.chunks[h.seq] = frame  # the hand-over's new node wins from atSeq on
        elif not (ho and old.header.node != h.node):
            self.duplicates += 1  # the same node twice, or a copy outside a hand-over

    @property
    def missing(self) -> list[int]:
        """Seqs between the first and last received that never arrived (gaps)."""
        if self.first_seq is None or self.last_seq is None:
            return []
        span = seq_sub(self.last_seq, self.first_seq) + 1
        return [(self.first_seq + i) & 0xFFFF_FFFF for i in range(span) if (self.first_seq + i) & 0xFFFF_FFFF not in self.chunks]

    def samples(self) -> np.ndarray:
        """Every received chunk's samples in seq order, (frames, channels) float32."""
        order = sorted(self.chunks, key=lambda s: seq_sub(s, self.first_seq or 0))
        parts = [self.chunks[s].samples for s in order]
        return np.concatenate(parts) if parts else np.zeros((0, self.channel_count), np.float32)


class PlaybackReceiver:
    """Binds a PULL as Quell's playback does (CURVE server under the local key unless `local_auth="off"`)."""

    def __init__(self, endpoint: str = "tcp://127.0.0.1:5556", *, local_auth: str = "curve", key_dir: str | None = None, high_water_mark: int = 256) -> None:
        self.context = zmq.Context()
        self.security = LinkSecurity.from_args(local_auth, key_dir, self.context)
        self.socket = self.context.socket(zmq.PULL)
        self.socket.rcvhwm = high_water_mark
        self.socket.maxmsgsize = MAX_DATA_BYTES
        self.socket.linger = 0
        self.security.server(self.socket)
        self.socket.bind(endpoint)
        self.endpoint = self.socket.getsockopt_string(zmq.LAST_ENDPOINT)
        self.rejected: Counter = Counter()
        self.streams: dict[int, StreamLedger] = {}

    def receive(self, timeout_s: float = 1.0) -> Frame | None:
        """The next valid frame (also added to its stream's ledger), or None after `timeout_s` without one."""
        deadline = time.monotonic() + timeout_s
        while (left := deadline - time.monotonic()) > 0:
            if not self.socket.poll(max(1, int(left * 1000)), zmq.POLLIN):
                return None
            result = decode_frame(self.socket.recv_multipart())
            if isinstance(result, Rejected):
                self.rejected[result.reason] += 1
                continue
            h = result.header
            ledger = self.streams.get(h.stream)
            if ledger is None:
                ledger = self.streams[h.stream] = StreamLedger(h.stream, h.sample_rate_hz, h.channel_count)
            ledger.add(result)
            return result
        return None

    def run_until_ended(self, streams: int = 1, idle_timeout_s: float = 30.0) -> bool:
        """Receives until `streams` streams have ended; False when nothing came for `idle_timeout_s`."""
        while sum(s.ended for s in self.streams.values()) < streams:
            if self.receive(idle_timeout_s) is None:
                return False
        # The last chunk may overtake a hand-over copy by a moment: take what is still on the wire.
        while self.receive(0.2) is not None:
            pass
        return True

    def close(self) -> None:
        self.socket.close()
        self.security.close()
        self.context.term()
