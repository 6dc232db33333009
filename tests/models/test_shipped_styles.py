"""The styles shipped in models/styles/ load by name, are small and behave."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from models.paths import DEFAULT_STYLE, SHIPPED_STYLES_DIR, list_styles
from models.style import Style

SHIPPED = ("squiggle", "glyphs", "squiggle-lite")


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_style_loads_by_name_and_is_small(name: str, styles_home: Path) -> None:
    style = Style.load(name, threads=1)
    assert style.folder == SHIPPED_STYLES_DIR / name
    size = sum(p.stat().st_size for p in (SHIPPED_STYLES_DIR / name).iterdir())
    assert size < 5 * 1024 * 1024
    assert style.analysis.n_mels == 64 and style.analysis.sample_rate == 22050
    silence = -np.ones((1, 64, 64), np.float32)
    rng = np.random.default_rng(0)
    sound = rng.uniform(-1, 0, size=(1, 64, 64)).astype(np.float32)
    pictures = style.audio_to_image(np.concatenate([silence, sound]))
    assert pictures.dtype == np.uint8 and not np.array_equal(pictures[0], pictures[1])


def test_both_shipped_styles_are_listed(styles_home: Path) -> None:
    assert set(SHIPPED) <= set(list_styles())


def test_the_default_style_costs_at_most_013_gmac_per_picture(styles_home: Path) -> None:
    """Issue #13: a richer default may not cost more than the 0.13 GMAC of the first one."""
    info = Style.load(DEFAULT_STYLE).info()
    assert info.macs_per_image <= 130_000_000, info.macs_per_image
