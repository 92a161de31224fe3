#!/usr/bin/python3
"""A capture in Python: sends a WAV file as one stream, at real time, to an inference node in direct mode.

    npx quell inference --control '' --input-endpoint tcp://127.0.0.1:5555 --model dtln &
    python3 clients/python/examples/send_wav.py speech.wav --bind tcp://127.0.0.1:5555
"""

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from quell import CaptureSender  # noqa: E402
from quell.wav import read_wav  # noqa: E402

p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
p.add_argument("wav")
p.add_argument("--bind", default="tcp://127.0.0.1:5555", help="endpoint the PUSH binds (inference's --input-endpoint)")
p.add_argument("--stream", type=int, default=1)
p.add_argument("--chunk-frames", type=int, default=0, help="frames per chunk (default 10 ms)")
p.add_argument("--fast", action="store_true", help="as fast as the receiver takes it, instead of real time")
p.add_argument("--local-auth", choices=("curve", "off"), default="curve")
p.add_argument("--link-key-dir", default=None)
p.add_argument("--wait-s", type=float, default=30.0, help="how long to wait for the inference node to connect")
args = p.parse_args()

samples, rate = read_wav(args.wav)
sender = CaptureSender(args.bind, local_auth=args.local_auth, key_dir=args.link_key_dir)
try:
    if not sender.wait_for_receiver(args.wait_s):
        sys.exit(f"no inference node connected to {sender.endpoint} within {args.wait_s} s")
    stream = sender.send_samples(args.stream, samples, rate, args.chunk_frames or None, realtime=not args.fast)
    print(json.dumps({"stream": args.stream, "chunksSent": stream.chunks_sent, "drops": stream.drops, "frames": len(samples)}), flush=True)
finally:
    sender.close()
