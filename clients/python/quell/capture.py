"""A capture sender: what Quell's capture does in direct mode (``--control ''``).

It binds one PUSH (default ``tcp://127.0.0.1:5555``) that an inference node
started with ``--control ''`` connects its PULL to, and sends each stream as
chunks stamped with seq and ts (both from 0, +1 chunk and +frames per chunk,
wrapping at 2^32) and the wall-clock capture time. The last chunk of a stream
carries END_OF_STREAM (it may be shorter than the others, or empty).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Iterator

import numpy as np
import zmq

from .codec import END_OF_STREAM, FrameHeader, encode_frame, seq_add
from .keys import LinkSecurity

# The samples of the largest valid frame: Quell caps data messages at this.
MAX_DATA_BYTES = 384_000 * 8 * 4


def wall_clock_us() -> float:
    return time.time_ns() / 1000.0


@dataclass
class StreamSender:
    """One stream's counters; `send` never waits: a chunk the socket cannot take is a counted drop (its seq is used up)."""

    socket: zmq.Socket
    stream: int
    sample_rate_hz: int
    channel_count: int
    seq: int = 0
    ts: int = 0
    chunks_sent: int = 0
    drops: int = 0

    def send(self, samples: np.ndarray, end_of_stream: bool = False, capture_time_us: float | None = None, block: bool = False) -> bool:
        x = np.asarray(samples, dtype=np.float32).reshape(-1, self.channel_count)
        header = FrameHeader(
            stream=self.stream, seq=self.seq, ts=self.ts,
            capture_time_us=wall_clock_us() if capture_time_us is None else capture_time_us,
            sample_rate_hz=self.sample_rate_hz, channel_count=self.channel_count,
            frame_count=len(x), flags=END_OF_STREAM if end_of_stream else 0,
        )
        try:
            self.socket.send_multipart(encode_frame(header, x), flags=0 if block else zmq.NOBLOCK, copy=False)
            self.chunks_sent += 1
            ok = True
        except zmq.Again:
            self.drops += 1
            ok = False
        # A dropped chunk still uses its seq and ts, so receivers see the gap.
        self.seq = seq_add(self.seq, 1)
        self.ts = seq_add(self.ts, len(x))
        return ok


def chunks(samples: np.ndarray, chunk_frames: int) -> Iterator[tuple[np.ndarray, bool]]:
    """(chunk, end_of_stream) pairs as Quell's file source makes them: the last is short, or empty when the length divides."""
    n = len(samples)
    for start in range(0, n + 1, chunk_frames):
        part = samples[start:start + chunk_frames]
        yield part, len(part) < chunk_frames
        if len(part) < chunk_frames:
            return


class CaptureSender:
    """Binds a PUSH as Quell's capture does in direct mode (CURVE server under the local key unless `local_auth="off"`)."""

    def __init__(self, endpoint: str = "tcp://127.0.0.1:5555", *, local_auth: str = "curve", key_dir: str | None = None, high_water_mark: int = 64) -> None:
        self.context = zmq.Context()
        self.security = LinkSecurity.from_args(local_auth, key_dir, self.context)
        self.socket = self.context.socket(zmq.PUSH)
        self.socket.sndhwm = high_water_mark
        self.socket.linger = 1000
        self.security.server(self.socket)
        self.socket.bind(endpoint)
        self.endpoint = self.socket.getsockopt_string(zmq.LAST_ENDPOINT)

    def wait_for_receiver(self, timeout_s: float = 30.0) -> bool:
        """True once an inference node has connected (and passed CURVE): a PUSH can send only then."""
        return bool(self.socket.poll(int(timeout_s * 1000), zmq.POLLOUT))

    def open_stream(self, stream: int, sample_rate_hz: int, channel_count: int = 1) -> StreamSender:
        return StreamSender(self.socket, stream, sample_rate_hz, channel_count)

    def send_samples(self, stream: int, samples: np.ndarray, sample_rate_hz: int, chunk_frames: int | None = None, realtime: bool = True) -> StreamSender:
        """Sends a whole signal (frames, channels) as one stream, paced at real time by absolute deadlines unless `realtime=False`."""
        samples = samples.reshape(len(samples), -1)
        chunk_frames = chunk_frames or sample_rate_hz // 100
        sender = self.open_stream(stream, sample_rate_hz, samples.shape[1])
        start = time.monotonic_ns()
        for i, (chunk, last) in enumerate(chunks(samples, chunk_frames)):
            if realtime:
                # Deadline of chunk i: start + i * chunk duration, in integer ns so rounding never accumulates.
                wait = start + i * chunk_frames * 1_000_000_000 // sample_rate_hz - time.monotonic_ns()
                if wait > 0:
                    time.sleep(wait / 1e9)
            sender.send(chunk, end_of_stream=last, block=not realtime)
        return sender

    def close(self) -> None:
        self.socket.close()
        self.security.close()
        self.context.term()
