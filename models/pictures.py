"""Conversions between model tensors and viewable pictures (pure numpy + Pillow).

Model fields are in [-1, 1]. For images, -1 is bare paper and +1 full ink; for audio
windows, ``[m, t]`` is mel band ``m`` (0 lowest) at frame ``t`` (0 oldest). Pictures of
spectrograms are flipped so low frequencies sit at the bottom, as people expect.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def unit_to_uint8(field: np.ndarray) -> np.ndarray:
    """[-1, 1] → uint8 0..255 with round-half-up, so equal floats give equal bytes."""
    scaled = (np.clip(np.asarray(field, np.float32), -1.0, 1.0) + 1.0) * 127.5
    return np.floor(scaled + 0.5).astype(np.uint8)


def ink_to_unit(ink: np.ndarray) -> np.ndarray:
    """Ink field in [0, 1] → model range [-1, 1]."""
    return (np.asarray(ink, np.float32) * 2.0 - 1.0).astype(np.float32)


def spectrogram_picture(window: np.ndarray) -> np.ndarray:
    """An audio window (n_mels, n_frames) in [-1, 1] as uint8 with low bands at the bottom."""
    return unit_to_uint8(np.asarray(window)[::-1, :])


def tile(rows: list[np.ndarray], gap: int = 2) -> np.ndarray:
    """Tile rows of equally sized uint8 pictures ``(n, H, W)`` into one uint8 sheet."""
    n = max(len(r) for r in rows)
    h, w = rows[0].shape[1:]
    sheet = np.full((len(rows) * (h + gap) - gap, n * (w + gap) - gap), 96, np.uint8)
    for i, row in enumerate(rows):
        for j, pic in enumerate(row):
            sheet[i * (h + gap) : i * (h + gap) + h, j * (w + gap) : j * (w + gap) + w] = pic
    return sheet


def save_png(picture: np.ndarray, path: str | Path, scale: int = 1) -> None:
    """Save a uint8 (H, W) picture, optionally enlarged with nearest-neighbour."""
    from PIL import Image

    image = Image.fromarray(np.asarray(picture, np.uint8))
    if scale > 1:
        image = image.resize((image.width * scale, image.height * scale), Image.Resampling.NEAREST)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    image.save(str(path))
