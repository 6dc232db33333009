"""The submit/collect shape every generator takes in the bridge."""

from __future__ import annotations

import time

import numpy as np
import pytest

from bridge.generate.generator_api import SyncGenerator, as_generator


class Plain:
    def audio_to_image(self, windows: np.ndarray) -> np.ndarray:
        return (windows[:, :4, :4] > 0).astype(np.uint8) * 255


def test_a_plain_style_is_wrapped_and_works_at_submit() -> None:
    generator = as_generator(Plain())
    assert isinstance(generator, SyncGenerator)
    windows = np.stack([np.ones((8, 8)), -np.ones((8, 8))]).astype(np.float32)
    generator.submit(windows)
    images = generator.collect()
    assert images[0].min() == 255 and images[1].max() == 0


def test_requests_are_answered_in_order_with_their_own_times() -> None:
    def slow_when_negative(windows: np.ndarray) -> np.ndarray:
        if windows.min() < 0:
            time.sleep(0.2)
        return Plain().audio_to_image(windows)

    generator = SyncGenerator(slow_when_negative)
    generator.submit(np.ones((1, 8, 8), np.float32))
    generator.submit(-np.ones((1, 8, 8), np.float32))
    assert generator.collect()[0].min() == 255
    fast = generator.last_seconds
    assert generator.collect()[0].max() == 0
    slow = generator.last_seconds
    assert slow >= 0.2 and fast < slow


def test_collect_without_submit_is_an_error() -> None:
    generator = SyncGenerator(Plain().audio_to_image)
    with pytest.raises(RuntimeError, match="without submit"):
        generator.collect()


def test_an_asynchronous_generator_is_used_as_it_is() -> None:
    class Async:
        last_seconds = 0.0

        def submit(self, windows: np.ndarray) -> None: ...

        def collect(self) -> np.ndarray:
            return np.zeros((0, 64, 64), np.uint8)

    thing = Async()
    assert as_generator(thing) is thing
