"""What the show knows of one track at one tick, as one immutable record.

The show publishes a tuple of :class:`TrackSnapshot` once per frame (``Show.snapshots``);
everything downstream of the looks — the HUD, the terminal, ``--stats``, the keyboard's layer
numbers, and later OSC feedback — reads that tuple instead of reaching into the registry, the
looks or the worker, so a track's name, style or fade is never worked out twice.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

from bridge.generate.analysis_feed import FeatureRecord
from renderer.settings import LayerSettings


@dataclass(frozen=True)
class TrackSnapshot:
    """One track's state for one frame.

    Attributes:
        key: the track's stream key (``(uuid, nonce)`` live, the stem's index offline).
        uuid: the device's identity (lower case).
        name: the track's name from Live (or the stem's file name), shown as is.
        color: Live's track colour, ``0xRRGGBB``.
        track_index: Live's 0-based track index, −1 unknown.
        live: False while the track is stale (no audio for a while) or gone.
        style: the style that draws it, after controller overrides.
        settings: the layer's renderer settings this frame (params after overrides, fade).
        presence: 0 (faded out) … 1 (fully present).
        features: this tick's audio descriptors, 0..1.
        pictures: pictures shown so far on this layer.
    """

    key: Hashable
    uuid: str
    name: str
    color: int
    track_index: int
    live: bool
    style: str
    settings: LayerSettings
    presence: float
    features: FeatureRecord
    pictures: int

    @property
    def label(self) -> str:
        """What a performer reads on screen: the track's name, else its uuid's start."""
        return self.name or self.uuid[:8]
