"""A style conditioned on audio descriptors gets them wherever its windows go.

The descriptors are computed by the generator from the window it is given
(:mod:`models.descriptors`), so the live path (analysis → worker → generator process), the
offline :class:`LookaheadFeed` and ``synaesthete draw`` hand it the same numbers as long as
they hand it the same window; these tests check that end to end with real processes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bridge.generate.feeds import LookaheadFeed, Stem
from bridge.generate.generator_api import as_generator
from bridge.generate.generator_process import RemoteStyle
from models.analysis import AnalysisStream
from models.style import Style
from tests.models.conftest import make_style_dir

RATE = 22050


@pytest.fixture
def conditioned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Style:
    """A tiny style named ``cond``, conditioned on every descriptor, low bands at the bottom,
    in $SYNAESTHETE_HOME (which a generator process inherits)."""
    monkeypatch.setenv("SYNAESTHETE_HOME", str(tmp_path / "home"))
    from models.paths import user_styles_dir

    make_style_dir(
        user_styles_dir() / "cond",
        name="cond",
        descriptors=("level", "flatness", "attack", "centroid"),
        low_at_bottom=True,
    )
    return Style.load("cond", threads=1)


def _loud_then_quiet(seconds: float = 2.0) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    gain = np.where(t < seconds / 2, 0.5, 0.02)
    return (gain * np.sin(2 * np.pi * 330 * t)).astype(np.float32)


def test_the_generator_process_draws_the_same_bytes_and_says_what_it_is_fed(
    conditioned: Style,
) -> None:
    rng = np.random.default_rng(0)
    windows = rng.uniform(-1, 1, size=(7, 64, 64)).astype(np.float32)
    windows[3] -= 0.5  # a quieter copy's descriptors differ
    local = conditioned.audio_to_image(windows)
    remote = RemoteStyle("cond", threads=1)
    try:
        assert remote.info.descriptors == ("level", "flatness", "attack", "centroid")
        np.testing.assert_array_equal(remote.audio_to_image(windows), local)
        np.testing.assert_array_equal(remote.audio_to_image(windows[3:4])[0], local[3])
    finally:
        remote.close()


def test_offline_pictures_are_the_live_streams_windows_drawn_bit_exactly(
    conditioned: Style,
) -> None:
    """The look-ahead feed's picture at t is the style's picture of the window a live
    analysis stream (fed in uneven network-sized blocks) holds at t, byte for byte, and a
    track drawn beside another gives the same bytes as alone."""
    audio = _loud_then_quiet()
    one, two = as_generator(conditioned), as_generator(conditioned)
    fps = 4.0
    alone = LookaheadFeed(
        [Stem("a", audio, 0xFF0000, style="cond")], lambda s: one, fps=fps, n_frames=8
    )
    pair = LookaheadFeed(
        [
            Stem("a", audio, 0xFF0000, style="cond"),
            Stem("b", audio[::-1].copy(), 0x00FF00, style="cond"),
        ],
        lambda s: two,
        fps=fps,
        n_frames=8,
    )
    stream = AnalysisStream(conditioned.analysis, chroma=False)
    pushed = 0
    rng = np.random.default_rng(1)
    seen = 0
    for i in range(1, 8):
        t = i / fps
        shown, _ = alone.take(t, [0])
        beside, _ = pair.take(t, [0, 1])
        end = round(t * RATE)
        while pushed < end:
            block = min(int(rng.integers(64, 700)), end - pushed)
            stream.push(audio[pushed : pushed + block])
            pushed += block
        if 0 in shown:
            expected = conditioned.audio_to_image(stream.window()[None])[0]
            np.testing.assert_array_equal(shown[0].image, expected)
            np.testing.assert_array_equal(beside[0].image, shown[0].image)
            seen += 1
    alone.finish()
    pair.finish()
    assert seen >= 5
