"""Unit tests of the kit's codec, keys and chunking (python3 -m unittest discover -s clients/python/tests)."""

import math
import sys
import tempfile
import unittest
from pathlib import Path

import msgpack
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from quell import codec  # noqa: E402
from quell.capture import chunks  # noqa: E402
from quell.codec import (END_OF_STREAM, WARM_UP, FrameHeader, Handover, Rejected, decode_control, decode_frame,  # noqa: E402
                         encode_control, encode_frame, seq_add, seq_sub)
from quell.keys import fresh_key_pair, format_key_pair, load_local_key, parse_key_pair  # noqa: E402
from quell.playback import StreamLedger  # noqa: E402


def header(**over) -> FrameHeader:
    h = FrameHeader(stream=7, seq=3, ts=1440, capture_time_us=1.7e15, sample_rate_hz=48_000, channel_count=1, frame_count=480)
    for k, v in over.items():
        setattr(h, k, v)
    return h


def raw(**over) -> dict:
    h = header().to_wire()
    h.update(over)
    return h


def parts(h: dict, samples: bytes | None = None) -> list[bytes]:
    n = int(h.get("frameCount", 480) * h.get("channelCount", 1))
    return [msgpack.packb(h), samples if samples is not None else np.zeros(n, "<f4").tobytes()]


class FrameCodecTest(unittest.TestCase):
    def test_round_trip_keeps_every_field_and_sample(self):
        x = (np.arange(960, dtype=np.float32) / 1000).reshape(480, 2)
        h = header(channel_count=2, flags=END_OF_STREAM, delay_frames=128, node="py-1", handover=Handover("a", "b", 10, 5))
        h.extra["future"] = "kept"
        f = decode_frame(encode_frame(h, x))
        self.assertNotIsInstance(f, Rejected)
        self.assertEqual(f.header, h)
        self.assertTrue(f.header.end_of_stream)
        self.assertEqual(f.samples.shape, (480, 2))
        np.testing.assert_array_equal(f.samples, x)
        f.samples[0, 0] = 1  # writable

    def test_capture_time_is_sent_as_a_float64(self):
        wire = msgpack.unpackb(encode_frame(header(capture_time_us=1700000000000000), np.zeros(480))[0])
        self.assertIsInstance(wire["captureTimeUs"], float)

    def test_numbers_in_any_msgpack_encoding_are_accepted(self):
        f = decode_frame(parts(raw(captureTimeUs=1_700_000_000_000_000, seq=3.0, frameCount=480.0)))
        self.assertNotIsInstance(f, Rejected)
        self.assertEqual((f.header.seq, f.header.frame_count), (3, 480))

    def test_empty_end_of_stream_chunk(self):
        f = decode_frame(encode_frame(header(frame_count=0, flags=END_OF_STREAM), np.zeros(0)))
        self.assertNotIsInstance(f, Rejected)
        self.assertEqual(f.samples.shape, (0, 1))

    def test_every_reject_reason(self):
        nan = np.zeros(480, "<f4")
        nan[17] = math.nan
        cases = {
            "part-count": [msgpack.packb(raw())],
            "header-size": [b"\x00" * 600, b""],
            "header-decode": [b"\xc1", np.zeros(480, "<f4").tobytes()],
            "version": parts(raw(v=2)),
            "field": parts(raw(seq=-1)),
            "sample-rate": parts(raw(sampleRateHz=7)),
            "channel-count": parts(raw(channelCount=9)),
            "frame-count": parts(raw(frameCount=384_001)),
            "length-mismatch": parts(raw(), b"\x00" * 1000),
            "non-finite": parts(raw(), nan.tobytes()),
        }
        self.assertEqual(set(cases), set(codec.REJECT_REASONS))
        for reason, p in cases.items():
            with self.subTest(reason=reason):
                self.assertEqual(decode_frame(p), Rejected(reason))
        more = [parts(raw(flags=8)), parts(raw(node="")), parts(raw(node="x" * 65)), parts(raw(captureTimeUs=-1)),
                parts(raw(handover={"from": "a", "to": "b", "atSeq": 1, "fadeChunks": 0})), parts(raw(stream=True)),
                parts(raw(seq=2**32)), [msgpack.packb([1, 2]), b""]]
        for p in more:
            self.assertIsInstance(decode_frame(p), Rejected)

    def test_flags(self):
        self.assertTrue(decode_frame(encode_frame(header(flags=WARM_UP), np.zeros(480))).header.warm_up)

    def test_encode_refuses_a_wrong_sample_count(self):
        with self.assertRaises(ValueError):
            encode_frame(header(), np.zeros(479))


class ControlCodecTest(unittest.TestCase):
    def test_round_trip_and_validation(self):
        key = fresh_key_pair().public_key
        hello = {"type": "hello", "node": "py", "model": "m", "nativeRateHz": 0, "pid": 1, "metricsPort": 0, "outputEndpoint": "tcp://x:1", "dataKey": key}
        self.assertEqual(decode_control(encode_control(hello)), hello)
        self.assertEqual(decode_control(encode_control({"type": "heartbeat", "node": "py", "streams": [[1, 2]]}))["streams"], [[1, 2]])
        self.assertEqual(decode_control(msgpack.packb({"type": "promote", "extra": 1}))["type"], "promote")
        for bad in [{"type": "warmed", "node": "py", "stream": 1}, {"type": "nope"}, {"type": "welcome", "inputEndpoint": "x", "role": "boss"},
                    {**hello, "dataKey": "short"}, {"type": "heartbeat", "node": "py", "streams": [[1]]}]:
            self.assertIsNone(decode_control(msgpack.packb(bad)), bad)
            with self.assertRaises(ValueError):
                encode_control(bad)
        self.assertIsNone(decode_control(b""))
        self.assertIsNone(decode_control(b"\xc1"))


class HelpersTest(unittest.TestCase):
    def test_seq_wraps(self):
        self.assertEqual(seq_add(0xFFFF_FFFF, 2), 1)
        self.assertEqual(seq_sub(1, 0xFFFF_FFFF), 2)
        self.assertEqual(seq_sub(0xFFFF_FFFF, 1), -2)

    def test_chunks_like_quells_file_source(self):
        x = np.zeros((1000, 1), np.float32)
        self.assertEqual([(len(c), last) for c, last in chunks(x, 480)], [(480, False), (480, False), (40, True)])
        self.assertEqual([(len(c), last) for c, last in chunks(x[:960], 480)], [(480, False), (480, False), (0, True)])

    def test_ledger_counts_gaps_and_prefers_the_new_node_in_a_hand_over(self):
        ledger = StreamLedger(7, 48_000, 1)
        for seq in (0, 1, 3):
            ledger.add(decode_frame(encode_frame(header(seq=seq, node="a"), np.full(480, seq))))
        ho = Handover("a", "b", 3, 1)
        ledger.add(decode_frame(encode_frame(header(seq=3, node="b", handover=ho), np.full(480, 30))))
        ledger.add(decode_frame(encode_frame(header(seq=3, node="b", handover=ho), np.full(480, 30))))
        self.assertEqual(ledger.missing, [2])
        self.assertEqual(ledger.duplicates, 1)
        self.assertEqual(ledger.samples()[-1, 0], 30)

    def test_key_files(self):
        pair = fresh_key_pair()
        self.assertEqual(parse_key_pair(format_key_pair(pair)), pair)
        with self.assertRaises(ValueError):
            parse_key_pair("public-key = nope\n")
        with tempfile.TemporaryDirectory() as d:
            made = load_local_key(d)
            self.assertEqual(load_local_key(d), made)
            key = Path(d) / "local.key"
            self.assertEqual(key.stat().st_mode & 0o777, 0o600)
            key.chmod(0o644)
            with self.assertRaises(ValueError):
                load_local_key(d)


if __name__ == "__main__":
    unittest.main()
