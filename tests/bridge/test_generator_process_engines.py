"""Generator processes with a device and an engine: the same bits as in this process, the
compile hand-shake, clear errors for a device this machine lacks."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
import torch

from bridge.generate.generator_process import GeneratorProcessError, RemoteStyle
from models.style import Style
from tests.models.conftest import make_style_dir

DESCRIPTORS = ("level", "flatness", "attack", "centroid")


@pytest.fixture
def home_style(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A tiny conditioned style ``cond`` in $SYNAESTHETE_HOME (a child inherits it)."""
    monkeypatch.setenv("SYNAESTHETE_HOME", str(tmp_path / "home"))
    from models.paths import user_styles_dir

    return make_style_dir(
        user_styles_dir() / "cond", name="cond", descriptors=DESCRIPTORS, low_at_bottom=True
    )


def test_a_compiled_child_draws_the_bits_a_compiled_style_draws_here(home_style: Path) -> None:
    windows = np.random.default_rng(0).uniform(-1, 1, size=(7, 64, 64)).astype(np.float32)
    local = Style.from_dir(home_style, threads=1, engine="compiled").audio_to_image(windows)
    remote = RemoteStyle("cond", threads=1, engine="compiled", start_timeout=30.0)
    try:
        assert (remote.info.device, remote.info.engine) == ("cpu", "compiled")
        np.testing.assert_array_equal(remote.audio_to_image(windows), local)
        np.testing.assert_array_equal(remote.audio_to_image(windows[3:4])[0], local[3])
    finally:
        remote.close()


def test_a_child_that_compiles_too_long_is_given_up(home_style: Path) -> None:
    with pytest.raises(GeneratorProcessError, match="did not compile"):
        RemoteStyle("cond", engine="compiled", compile_timeout=0.01)


def test_a_live_child_answers_at_once_and_the_default_stays_eager(home_style: Path) -> None:
    started = time.monotonic()
    live = RemoteStyle("cond", engine="live")
    try:
        assert live.info.engine == "live"
        assert time.monotonic() - started < 20.0  # no compile before the first picture
        assert live.audio_to_image(np.zeros((2, 64, 64), np.float32)).shape == (2, 64, 64)
    finally:
        live.close()
    plain = RemoteStyle("cond")
    try:
        assert (plain.info.device, plain.info.engine) == ("cpu", "eager")
    finally:
        plain.close()


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a CUDA GPU")
def test_a_device_this_machine_lacks_is_refused_with_the_reason(home_style: Path) -> None:
    with pytest.raises(ValueError, match=r"no CUDA GPU.*'auto'"):
        RemoteStyle("cond", device="cuda")
    with pytest.raises(ValueError, match="device must be one of"):
        RemoteStyle("cond", device="tpu")
