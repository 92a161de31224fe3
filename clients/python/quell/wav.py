"""Just enough WAV for the examples and tests: read PCM 16/24/32-bit or float32, write float32."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np


def read_wav(path: str | Path) -> tuple[np.ndarray, int]:
    """Samples as float32 (frames, channels) and the sample rate."""
    data = Path(path).read_bytes()
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError(f"{path}: not a WAV file")
    pos, fmt, body = 12, None, None
    while pos + 8 <= len(data):
        cid, size = data[pos:pos + 4], struct.unpack_from("<I", data, pos + 4)[0]
        chunk = data[pos + 8:pos + 8 + size]
        if cid == b"fmt ":
            fmt = struct.unpack_from("<HHIIHH", chunk)
            if fmt[0] == 0xFFFE:
                fmt = (struct.unpack_from("<H", chunk, 24)[0],) + fmt[1:]
        elif cid == b"data":
            body = chunk
        pos += 8 + size + (size & 1)
    if fmt is None or body is None:
        raise ValueError(f"{path}: no fmt or data chunk")
    kind, channels, rate, _, _, bits = fmt
    if kind == 3 and bits == 32:
        x = np.frombuffer(body, "<f4")
    elif kind == 1 and bits == 16:
        x = np.frombuffer(body, "<i2") / 32768.0
    elif kind == 1 and bits == 32:
        x = np.frombuffer(body, "<i4") / 2147483648.0
    elif kind == 1 and bits == 24:
        b = np.frombuffer(body, np.uint8).reshape(-1, 3).astype(np.int32)
        x = ((b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)) << 8 >> 8) / 8388608.0
    else:
        raise ValueError(f"{path}: unsupported WAV format {kind}/{bits} bits")
    frames = len(x) // channels
    return x[: frames * channels].astype(np.float32).reshape(frames, channels), rate


def write_wav(path: str | Path, samples: np.ndarray, rate: int) -> None:
    """Writes float32 samples, (frames, channels) or mono (frames,), as an IEEE-float WAV."""
    x = np.asarray(samples, dtype="<f4")
    channels = 1 if x.ndim == 1 else x.shape[1]
    body = x.tobytes()
    fmt = struct.pack("<HHIIHH", 3, channels, rate, rate * channels * 4, channels * 4, 32)
    Path(path).write_bytes(b"RIFF" + struct.pack("<I", 4 + 8 + len(fmt) + 8 + len(body)) + b"WAVE"
                           + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(body)) + body)
