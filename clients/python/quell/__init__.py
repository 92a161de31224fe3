"""Quell's Python kit: the wire codec, a capture sender, a playback receiver and an inference-node base class."""

from .capture import CaptureSender, StreamSender
from .codec import (DRY, END_OF_STREAM, PROTOCOL_VERSION, WARM_UP, Frame, FrameHeader, Handover, Rejected, decode_control,
                    decode_frame, encode_control, encode_frame)
from .keys import KeyPair, LinkSecurity, load_local_key
from .node import NodeConfig, QuellNode, Stream
from .playback import PlaybackReceiver, StreamLedger

__all__ = [
    "CaptureSender", "StreamSender", "DRY", "END_OF_STREAM", "PROTOCOL_VERSION", "WARM_UP", "Frame", "FrameHeader", "Handover",
    "Rejected", "decode_control", "decode_frame", "encode_control", "encode_frame", "KeyPair", "LinkSecurity", "load_local_key",
    "NodeConfig", "QuellNode", "Stream", "PlaybackReceiver", "StreamLedger",
]
