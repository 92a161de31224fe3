#!/usr/bin/python3
"""A playback in Python: receives processed streams from inference nodes and writes each to a WAV file.

    python3 clients/python/examples/receive_wav.py --bind tcp://127.0.0.1:5556 --out 'out-{stream}.wav'
"""

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from quell import PlaybackReceiver  # noqa: E402
from quell.wav import write_wav  # noqa: E402

p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
p.add_argument("--bind", default="tcp://127.0.0.1:5556", help="endpoint the PULL binds (inference's --output-endpoint)")
p.add_argument("--out", default="out-{stream}.wav", help="output path; {stream} is the stream id")
p.add_argument("--streams", type=int, default=1, help="exit once this many streams have ended")
p.add_argument("--idle-timeout-s", type=float, default=30.0)
p.add_argument("--local-auth", choices=("curve", "off"), default="curve")
p.add_argument("--link-key-dir", default=None)
args = p.parse_args()

receiver = PlaybackReceiver(args.bind, local_auth=args.local_auth, key_dir=args.link_key_dir)
try:
    ended = receiver.run_until_ended(args.streams, args.idle_timeout_s)
    summary = {"ended": ended, "rejected": dict(receiver.rejected), "streams": []}
    for s in receiver.streams.values():
        # Like Quell's file sink: drop the first delayFrames, so the output lines up with the input.
        out = s.samples()[s.delay_frames:]
        write_wav(args.out.replace("{stream}", str(s.stream)), out, s.sample_rate_hz)
        summary["streams"].append({"stream": s.stream, "chunks": len(s.chunks), "copies": s.copies, "missing": s.missing,
                                   "duplicates": s.duplicates, "ended": s.ended, "delayFrames": s.delay_frames,
                                   "frames": len(out), "nodes": dict(s.nodes)})
    print(json.dumps(summary), flush=True)
    sys.exit(0 if ended else 1)
finally:
    receiver.close()
