"""Quell's wire format: data frames and control messages.

A data frame is a two-part ZeroMQ message: a MessagePack map (the header) and
the samples as raw little-endian float32, interleaved. A control message is one
part, a MessagePack map with a ``type``. Decoders mirror Quell's own
(packages/protocol/src/wire/frame-codec.ts, control/control-message.ts): they
never raise, and a rejected frame names the same reason a Quell stage counts.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Callable

import msgpack
import numpy as np

PROTOCOL_VERSION = 1

# FrameHeader.flags bits.
END_OF_STREAM = 1
WARM_UP = 2
DRY = 4
FLAGS_MASK = END_OF_STREAM | WARM_UP | DRY

MIN_RATE_HZ = 8_000
MAX_RATE_HZ = 384_000
MAX_CHANNELS = 8
MAX_FRAMES = 384_000
MAX_HEADER_BYTES = 512
MAX_NODE_ID = 64
MAX_FADE_CHUNKS = 1000
MAX_CONTROL_BYTES = 64 * 1024
U32 = 0xFFFF_FFFF

REJECT_REASONS = (
    "part-count", "header-size", "header-decode", "version", "field",
    "sample-rate", "channel-count", "frame-count", "length-mismatch", "non-finite",
)

_KNOWN = ("v", "stream", "seq", "ts", "captureTimeUs", "sampleRateHz", "channelCount",
          "frameCount", "flags", "delayFrames", "handover", "node")


def seq_add(a: int, n: int) -> int:
    """a + n modulo 2^32 (seq and ts wrap)."""
    return (a + n) & U32


def seq_sub(a: int, b: int) -> int:
    """a - b for two u32 counters, wrap-safe, in [-2^31, 2^31): > 0 when a is past b."""
    d = (a - b) & U32
    return d - (1 << 32) if d >= (1 << 31) else d


@dataclass
class Handover:
    """Capture's stamp while a hand-over runs: from `at_seq` on playback crossfades from node `from_node` to `to`."""

    from_node: str
    to: str
    at_seq: int
    fade_chunks: int

    def to_wire(self) -> dict[str, Any]:
        return {"from": self.from_node, "to": self.to, "atSeq": self.at_seq, "fadeChunks": self.fade_chunks}


@dataclass
class FrameHeader:
    stream: int
    seq: int
    ts: int
    capture_time_us: float
    sample_rate_hz: int
    channel_count: int
    frame_count: int
    flags: int = 0
    delay_frames: int = 0
    handover: Handover | None = None
    node: str | None = None
    v: int = PROTOCOL_VERSION
    # Fields this version does not know, carried through unchanged.
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def end_of_stream(self) -> bool:
        return bool(self.flags & END_OF_STREAM)

    @property
    def warm_up(self) -> bool:
        return bool(self.flags & WARM_UP)

    def to_wire(self) -> dict[str, Any]:
        h: dict[str, Any] = dict(self.extra)
        h.update(
            v=self.v, stream=self.stream, seq=self.seq, ts=self.ts,
            # A float64: Quell before issue 18 rejects captureTimeUs sent as a MessagePack integer.
            captureTimeUs=float(self.capture_time_us),
            sampleRateHz=self.sample_rate_hz, channelCount=self.channel_count,
            frameCount=self.frame_count, flags=self.flags, delayFrames=self.delay_frames,
        )
        if self.handover is not None:
            h["handover"] = self.handover.to_wire()
        if self.node is not None:
            h["node"] = self.node
        return h


@dataclass
class Frame:
    header: FrameHeader
    # float32, shape (frame_count, channel_count).
    samples: np.ndarray


@dataclass
class Rejected:
    reason: str


def _int(x: Any, lo: int = 0, hi: int = U32) -> int | None:
    """An integer in [lo, hi] whatever its MessagePack encoding (int or an integral float), else None."""
    if isinstance(x, bool):
        return None
    if isinstance(x, int):
        return x if lo <= x <= hi else None
    if isinstance(x, float) and x.is_integer() and lo <= x <= hi:
        return int(x)
    return None


def _node_id(x: Any) -> bool:
    return isinstance(x, str) and 0 < len(x) <= MAX_NODE_ID


def _handover(x: Any) -> Handover | None:
    if not isinstance(x, dict) or not _node_id(x.get("from")) or not _node_id(x.get("to")):
        return None
    at, fade = _int(x.get("atSeq")), _int(x.get("fadeChunks"), 1, MAX_FADE_CHUNKS)
    if at is None or fade is None:
        return None
    return Handover(x["from"], x["to"], at, fade)


def _header(h: dict[str, Any]) -> FrameHeader | str:
    if _int(h.get("v")) != PROTOCOL_VERSION:
        return "version"
    u32s = [_int(h.get(k)) for k in ("stream", "seq", "ts", "flags", "delayFrames")]
    t = h.get("captureTimeUs")
    if any(x is None for x in u32s) or isinstance(t, bool) or not isinstance(t, (int, float)) or not math.isfinite(t) or t < 0:
        return "field"
    stream, seq, ts, flags, delay = u32s
    rate = _int(h.get("sampleRateHz"), MIN_RATE_HZ, MAX_RATE_HZ)
    if rate is None:
        return "sample-rate"
    channels = _int(h.get("channelCount"), 1, MAX_CHANNELS)
    if channels is None:
        return "channel-count"
    frames = _int(h.get("frameCount"), 0, MAX_FRAMES)
    if frames is None:
        return "frame-count"
    node = h.get("node")
    if node is not None and not _node_id(node):
        return "field"
    handover = None
    if h.get("handover") is not None:
        handover = _handover(h["handover"])
        if handover is None:
            return "field"
    if flags & ~FLAGS_MASK:
        return "field"
    extra = {k: v for k, v in h.items() if k not in _KNOWN}
    return FrameHeader(stream, seq, ts, t, rate, channels, frames, flags, delay, handover, node, PROTOCOL_VERSION, extra)


def decode_frame(parts: list[bytes]) -> Frame | Rejected:
    """Validates and decodes a received two-part message; never raises. The samples are a writable copy."""
    if len(parts) != 2:
        return Rejected("part-count")
    head, body = bytes(parts[0]), parts[1]
    if not 0 < len(head) <= MAX_HEADER_BYTES:
        return Rejected("header-size")
    try:
        raw = msgpack.unpackb(head, raw=False, strict_map_key=False)
    except Exception:
        return Rejected("header-decode")
    if not isinstance(raw, dict):
        return Rejected("header-decode")
    header = _header(raw)
    if isinstance(header, str):
        return Rejected(header)
    if len(body) != header.frame_count * header.channel_count * 4:
        return Rejected("length-mismatch")
    samples = np.frombuffer(body, dtype="<f4").astype(np.float32).reshape(header.frame_count, header.channel_count)
    if not np.isfinite(samples).all():
        return Rejected("non-finite")
    return Frame(header, samples)


def encode_frame(header: FrameHeader, samples: np.ndarray) -> list[bytes]:
    """The two parts of a data frame. `samples` is (frames, channels) or, for mono, (frames,)."""
    data = np.ascontiguousarray(samples, dtype="<f4")
    if data.size != header.frame_count * header.channel_count:
        raise ValueError(f"{data.size} samples for {header.frame_count} frames x {header.channel_count} channels")
    return [msgpack.packb(header.to_wire(), use_bin_type=True), data.tobytes()]


# ---- control messages ----

_Check = Callable[[Any], bool]
_u32: _Check = lambda x: _int(x) is not None
_text: _Check = lambda x: isinstance(x, str) and len(x) <= 1024
_finite: _Check = lambda x: not isinstance(x, bool) and isinstance(x, (int, float)) and math.isfinite(x) and x >= 0
_role: _Check = lambda x: x in ("active", "candidate", "draining")
_Z85_KEY = re.compile(r"^[0-9a-zA-Z.\-:+=^!/*?&<>()\[\]{}@%$#]{40}$")
_key: _Check = lambda x: x is None or (isinstance(x, str) and _Z85_KEY.match(x) is not None)
_pair: _Check = lambda p: isinstance(p, list) and len(p) == 2 and _u32(p[0]) and _u32(p[1])


def _list_of(item: _Check) -> _Check:
    return lambda x: isinstance(x, list) and len(x) <= 4096 and all(item(i) for i in x)


def _record(fields: dict[str, _Check]) -> _Check:
    return lambda x: isinstance(x, dict) and all(check(x.get(k)) for k, check in fields.items())


CONTROL_FIELDS: dict[str, dict[str, _Check]] = {
    # inference node -> capture
    "hello": {"node": _node_id, "model": _text, "nativeRateHz": _u32, "pid": _u32, "metricsPort": _u32, "outputEndpoint": _text, "dataKey": _key},
    "heartbeat": {"node": _node_id, "streams": _list_of(_pair)},
    "warmed": {"node": _node_id, "stream": _u32, "seq": _u32},
    "progress": {"node": _node_id, "stream": _u32, "seq": _u32},
    "drained": {"node": _node_id},
    "bye": {"node": _node_id},
    "leaving": {"node": _node_id},
    # capture -> inference node
    "welcome": {"inputEndpoint": _text, "role": _role},
    "warm-up": {"stream": _u32, "lastSeq": _u32},
    "promote": {},
    "abort": {"reason": _text},
    "drain": {},
    "no-successor": {},
    "unknown-node": {},
    # client <-> capture
    "status-request": {},
    "status": {
        "nodes": _list_of(_record({"node": _node_id, "model": _text, "role": _role, "nativeRateHz": _u32, "pid": _u32,
                                   "metricsPort": _u32, "outputEndpoint": _text, "silentMs": _finite})),
        "streams": _list_of(_record({"stream": _u32, "node": _node_id, "model": _text, "seq": _u32})),
    },
    "watch": {},
    "swap": {"outcome": lambda x: x in ("completed", "rolled-back"), "from": _text, "to": _text, "reason": _text, "durationS": _finite},
}


def encode_control(message: dict[str, Any]) -> bytes:
    """One MessagePack part; raises ValueError for a message Quell would refuse."""
    if decode_control(packed := msgpack.packb(message, use_bin_type=True)) is None:
        raise ValueError(f"not a valid control message: {message!r}")
    return packed


def decode_control(part: bytes | None) -> dict[str, Any] | None:
    """A known control message with well-formed fields, else None; extra fields are allowed. Never raises."""
    if not part or len(part) > MAX_CONTROL_BYTES:
        return None
    try:
        raw = msgpack.unpackb(part, raw=False, strict_map_key=False)
    except Exception:
        return None
    if not isinstance(raw, dict) or not isinstance(raw.get("type"), str) or raw["type"] not in CONTROL_FIELDS:
        return None
    return raw if _record(CONTROL_FIELDS[raw["type"]])(raw) else None
