#!/usr/bin/python3
"""An inference node in Python: a gain (1 by default: a passthrough), an optional one-pole low-pass,
and an optional pure delay that it declares as its latency (so the kit flushes it at end of stream).

    python3 clients/python/examples/gain_node.py --gain 0.5 --node-id py-gain
"""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from quell import QuellNode  # noqa: E402


class GainNode(QuellNode):
    model = "python-gain"

    def __init__(self, gain: float = 1.0, lowpass: float = 0.0, delay: int = 0) -> None:
        self.gain, self.lowpass, self.delay_frames = np.float32(gain), np.float32(lowpass), delay

    def open_stream(self, stream):
        stream.state["y"] = np.zeros(stream.channel_count, np.float32)
        stream.state["line"] = np.zeros((self.delay_frames, stream.channel_count), np.float32)

    def process(self, stream, samples):
        out = samples * self.gain
        if self.lowpass:
            # y[n] = (1 - a) x[n] + a y[n-1], per channel, state carried across chunks.
            y, a = stream.state["y"], self.lowpass
            for i, x in enumerate(out):
                out[i] = y = (1 - a) * x + a * y
            stream.state["y"] = y
        if self.delay_frames:
            both = np.concatenate([stream.state["line"], out])
            out, stream.state["line"] = both[: len(out)], both[len(out):]
        return out


if __name__ == "__main__":
    args = sys.argv[1:]
    opts = {"--gain": 1.0, "--lowpass": 0.0, "--delay": 0}
    for name, default in opts.items():
        if name in args:
            i = args.index(name)
            opts[name] = type(default)(args[i + 1])
            del args[i:i + 2]
    raise SystemExit(GainNode(opts["--gain"], opts["--lowpass"], opts["--delay"]).main(args))
