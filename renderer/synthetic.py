"""Procedural stand-ins for generated ink fields and audio features, for previews and tests.

Deterministic functions of (seed, layer, time): each layer draws a slowly turning Lissajous
squiggle, its "audio" is a level envelope and onsets on a 120 BPM grid. They exercise the
whole compositor — blend modes, crossfades, reactive hooks, trails — before the live
pipeline exists, and make offline renders reproducible for tests.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.ndimage import distance_transform_edt

from renderer.settings import LayerFeatures, LayerSettings, ReactiveSettings, tint_from_live_color

#: Colours from Ableton Live's clip/track palette (0xRRGGBB), as Live would send them.
LIVE_PALETTE = (
    0xFF94A6,
    0xFFA529,
    0xCC9927,
    0xF7F47C,
    0xBFFB00,
    0x1AFF2F,
    0x25FFA8,
    0x5CFFE8,
    0x8BC5FF,
    0x5480E4,
    0x92A7FF,
    0xD86CE4,
    0xE553A0,
    0xFFFFFF,
    0xFF3636,
    0xF66C03,
)
#: Blend modes the preview cycles through: a mix that stays readable on black.
PREVIEW_BLENDS = ("screen", "plus-lighter", "lighten", "difference", "overlay", "normal")
POINTS_PER_CURVE = 1024  # dense enough to leave no gaps at 128 px


@dataclass(frozen=True)
class SquiggleParams:
    """One layer's curve: Lissajous frequencies, phases, drift speeds, stroke width."""

    freq_x: int
    freq_y: int
    phase: float
    drift: float
    wobble: float
    width: float
    beats_per_onset: int


class SyntheticSet:
    """K procedural layers: settings, ink fields, features and a beat clock.

    Args:
        n_layers: how many layers.
        seed: the same seed gives the same pictures.
        field_size: side of each ink field in pixels.
        bpm: tempo of the synthetic beat grid.
    """

    def __init__(self, n_layers: int, *, seed: int = 0, field_size: int = 64, bpm: float = 120.0):
        if n_layers < 1:
            raise ValueError(f"n_layers must be at least 1, got {n_layers}")
        if field_size < 8:
            raise ValueError(f"field_size must be at least 8, got {field_size}")
        self.n_layers = n_layers
        self.field_size = field_size
        self.bpm = bpm
        rng = np.random.default_rng(seed)
        self.params = [
            SquiggleParams(
                freq_x=int(rng.integers(1, 5)),
                freq_y=int(rng.integers(1, 5)),
                phase=float(rng.uniform(0, 2 * math.pi)),
                drift=float(rng.uniform(0.05, 0.4)),
                wobble=float(rng.uniform(0.0, 0.15)),
                width=float(rng.uniform(0.6, 1.6)) * field_size / 64,
                beats_per_onset=int(rng.choice([1, 1, 2, 4])),
            )
            for _ in range(n_layers)
        ]

    def settings(self, layer: int) -> LayerSettings:
        """A plausible per-track setup: Live colour, varied blend, spread positions."""
        angle = 2 * math.pi * layer / self.n_layers
        spread = 0.0 if self.n_layers == 1 else 0.35
        return LayerSettings(
            tint=tint_from_live_color(LIVE_PALETTE[layer % len(LIVE_PALETTE)]),
            blend=PREVIEW_BLENDS[layer % len(PREVIEW_BLENDS)],
            opacity=0.85,
            order=float(layer),
            position=(spread * math.cos(angle), spread * math.sin(angle)),
            scale=1.1,
            reactive=ReactiveSettings(beat_sway=4.0, beat_pulse=0.04),
        )

    def field(self, layer: int, t: float) -> np.ndarray:
        """The layer's ink field at time ``t``: uint8, field_size², 255 on the stroke."""
        p = self.params[layer]
        s = np.linspace(0.0, 2 * math.pi, POINTS_PER_CURVE, dtype=np.float32)
        turn = p.drift * t
        x = (
            0.5
            + 0.36 * np.sin(p.freq_x * s + p.phase + turn)
            + p.wobble * np.sin(7 * s + 3 * t) * 0.2
        )
        y = 0.5 + 0.36 * np.sin(p.freq_y * s + 0.7 * turn)
        # mark the pixels the curve passes through, then ink by distance to the nearest mark
        size = self.field_size
        cols = np.clip((x * size).astype(int), 0, size - 1)
        rows = np.clip((y * size).astype(int), 0, size - 1)
        paper = np.ones((size, size), bool)
        paper[rows, cols] = False
        distance = distance_transform_edt(paper)
        ink = np.clip(p.width + 0.5 - distance, 0.0, 1.0)
        return np.rint(ink * 255).astype(np.uint8)

    def beat_phase(self, t: float) -> float:
        """Position within the current beat, 0..1."""
        return (t * self.bpm / 60.0) % 1.0

    def features(self, layer: int, t: float) -> LayerFeatures:
        """Level breathing over 4 bars, onsets every ``beats_per_onset`` beats, moving timbre."""
        p = self.params[layer]
        beats = t * self.bpm / 60.0
        since = (beats % p.beats_per_onset) * 60.0 / self.bpm  # seconds since the last hit
        return LayerFeatures(
            level=0.5 + 0.5 * math.sin(2 * math.pi * beats / 16 + p.phase),
            onset=math.exp(-since / 0.05),
            centroid=0.5 + 0.4 * math.sin(0.3 * t + p.phase),
            flatness=0.5 + 0.5 * math.sin(0.2 * t + 2 * p.phase),
        )
