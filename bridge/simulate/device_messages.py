"""Build the datagrams a synaesthete device sends, exactly as the Max device shapes them.

The simulator uses these, and so do the tests, so "what the device sends" is written once.
Types follow Max's ``udpsend``: Max ints become ``i``, floats ``f``, symbols ``s``; audio is
a plain list of floats after the nonce and sequence number.
"""

from __future__ import annotations

import numpy as np

from bridge.ingest.osc_codec import encode_message
from bridge.ingest.protocol import MAX_PCM_SAMPLES, PROTOCOL_VERSION, device_address
from models.paths import DEFAULT_STYLE


def hello(uuid: str, nonce: int, sample_rate: float, decimation: int, reply_port: int = 0) -> bytes:
    """``/syn/hello``; ``reply_port`` > 0 asks the bridge for a ``/syn/status`` there."""
    return encode_message(
        "/syn/hello",
        [uuid, int(nonce), PROTOCOL_VERSION, float(sample_rate), int(decimation), int(reply_port)],
    )


def meta(uuid: str, nonce: int, name: str, color: int, track_index: int) -> bytes:
    return encode_message(
        device_address(uuid, "meta"), [int(nonce), name, int(color), int(track_index)]
    )


def params(
    uuid: str,
    nonce: int,
    *,
    opacity: float = 1.0,
    blend: str = "screen",
    style: str = DEFAULT_STYLE,
    gain: float = 1.0,
    enabled: bool = True,
) -> bytes:
    return encode_message(
        device_address(uuid, "params"),
        [int(nonce), float(opacity), blend, style, float(gain), int(bool(enabled))],
    )


def pcm(uuid: str, nonce: int, seq: int, samples: np.ndarray) -> bytes:
    if not 1 <= samples.size <= MAX_PCM_SAMPLES:
        raise ValueError(f"a pcm message carries 1-{MAX_PCM_SAMPLES} samples, not {samples.size}")
    return encode_message(
        device_address(uuid, "pcm"),
        [int(nonce), int(seq) % 2**31, np.asarray(samples, dtype=np.float32)],
    )


def bye(uuid: str, nonce: int) -> bytes:
    return encode_message(device_address(uuid, "bye"), [int(nonce)])


def transport(tempo: float, playing: bool, beat: float, numerator: int, denominator: int) -> bytes:
    return encode_message(
        "/syn/transport",
        [float(tempo), int(bool(playing)), float(beat), int(numerator), int(denominator)],
    )
