"""bfloat16 generators (:mod:`models.low_precision`): the same walk as the float32 generator,
close to its pictures on real windows, batch-invariant, and float32 where the CPU lacks
native bfloat16.

Bounds measured on a 2-core Xeon with AMX (torch 2.13, 1 thread), shipped ``squiggle`` on
the synth windows below (24 held-out clips, 192 windows): uint8 pictures differ from float32
ones by 0.12 steps on average, 0.8 % of pixels by more than 2 steps, at most 115 steps on a
few pixels (0.18, 1.3 % and 119 on 1,137 synth and held-out instrument windows); the tests
allow 0.5 steps on average and 2 % of pixels beyond 2 steps.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from models import low_precision
from models.analysis import DEFAULT_ANALYSIS, analyse, sliding_windows, to_unit
from models.config import GeneratorConfig, StyleConfig
from models.inference import Runner
from models.low_precision import (
    LowPrecisionConv2d,
    LowPrecisionError,
    bfloat16_kind,
    bfloat16_supported,
    low_precision_generator,
    with_low_precision_convolutions,
)
from models.networks import ResnetGenerator, style_generators
from models.pictures import unit_to_uint8
from models.style import Style
from models.synth import synth_set

needs_bf16 = pytest.mark.skipif(
    not bfloat16_supported(), reason="no native bfloat16 (AMX-BF16 or AVX512-BF16) here"
)
CPU = torch.device("cpu")


@pytest.fixture(autouse=True)
def one_thread() -> object:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as the bridge's generator processes run
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def real_windows() -> np.ndarray:
    """Analysis windows of 24 synth clips the shipped styles did not train on, one every
    16 frames, silence before each clip as a stream starts: ``(N, 64, 64)`` in [-1, 1]."""
    clips, _ = synth_set(24, start=1000)
    return np.concatenate(
        [
            sliding_windows(to_unit(analyse(c).mel_db), DEFAULT_ANALYSIS, step=16, pad_start=True)
            for c in clips
        ]
    )


@pytest.fixture(scope="module")
def squiggle() -> ResnetGenerator:
    return Style.load("squiggle", policy=(1, None)).g_image


def _tiny(layout: str, conditioned: bool) -> ResnetGenerator:
    torch.manual_seed(0)
    cfg = StyleConfig(
        name="tiny",
        generator=GeneratorConfig(ngf=4, n_blocks=1, layout=layout),
        descriptors=("level", "flatness", "attack", "centroid") if conditioned else (),
        low_at_bottom=conditioned,
        expression=1.0 if conditioned else 0.0,
    )
    net = style_generators(cfg)[0].eval()
    with torch.no_grad():
        for p in net.parameters():
            p.mul_(25.0)  # outputs far from zero, so every layer's numerics count
    return net


def _fields(net: torch.nn.Module, windows: np.ndarray, batch: int = 8) -> np.ndarray:
    with torch.inference_mode():
        return np.concatenate(
            [
                net(torch.from_numpy(windows[i : i + batch]).unsqueeze(1))[:, 0].numpy()
                for i in range(0, len(windows), batch)
            ]
        )


@pytest.mark.parametrize(
    ("layout", "conditioned"), [("conv", True), ("conv", False), ("global", True)]
)
def test_float32_convolutions_swapped_in_are_the_generator_bit_for_bit(
    layout: str, conditioned: bool
) -> None:
    net = _tiny(layout, conditioned)
    windows = np.random.default_rng(0).uniform(-1, 1, (4, 64, 64)).astype(np.float32)
    swapped = with_low_precision_convolutions(net, torch.float32)
    convolutions = sum(isinstance(m, torch.nn.Conv2d) for m in net.modules())
    assert sum(isinstance(m, LowPrecisionConv2d) for m in swapped.modules()) == convolutions
    np.testing.assert_array_equal(_fields(swapped, windows), _fields(net, windows))


@needs_bf16
def test_bfloat16_pictures_are_close_to_float32_on_real_windows(
    squiggle: ResnetGenerator, real_windows: np.ndarray
) -> None:
    low = low_precision_generator(squiggle, require=True)
    assert isinstance(low, ResnetGenerator)
    assert any(isinstance(m, LowPrecisionConv2d) for m in low.modules())
    fields = _fields(low, real_windows)
    assert fields.dtype == np.float32 and fields.shape == (len(real_windows), 64, 64)
    assert fields.min() >= -1.0 and fields.max() <= 1.0
    diff = np.abs(
        unit_to_uint8(fields).astype(np.int16) - unit_to_uint8(_fields(squiggle, real_windows))
    )
    assert diff.mean() <= 0.5, diff.mean()
    assert (diff > 2).mean() <= 0.02, (diff > 2).mean()
    assert not np.array_equal(fields, _fields(squiggle, real_windows))  # it did run bfloat16


@needs_bf16
def test_the_float32_generator_is_left_as_it_was(squiggle: ResnetGenerator) -> None:
    before = {k: v.clone() for k, v in squiggle.state_dict().items()}
    low = low_precision_generator(squiggle)
    assert all(p.dtype == torch.float32 for p in squiggle.parameters())
    assert any(p.dtype == torch.bfloat16 for p in low.parameters())
    for key, value in squiggle.state_dict().items():
        assert torch.equal(value, before[key]), key


@needs_bf16
def test_a_window_gives_the_same_bytes_in_any_batch(
    squiggle: ResnetGenerator, real_windows: np.ndarray
) -> None:
    runner = Runner(low_precision_generator(squiggle, require=True), device=CPU)
    picks = np.random.default_rng(3).choice(len(real_windows), 8, replace=False)
    windows = real_windows[picks]
    alone = np.concatenate([runner.run(w[None]) for w in windows])
    np.testing.assert_array_equal(runner.run(windows), alone)
    np.testing.assert_array_equal(np.roll(runner.run(np.roll(windows, 3, 0)), -3, 0), alone)
    for cut in ((3,), (5, 7), (1, 2, 4)):
        parts = np.split(windows, cut)
        np.testing.assert_array_equal(np.concatenate([runner.run(p) for p in parts]), alone)


@needs_bf16
def test_the_compiled_engine_runs_it_batch_invariant_and_close_to_eager() -> None:
    net = _tiny("conv", True)
    low = low_precision_generator(net, require=True)
    runner = Runner(low, device=CPU, engine="compiled")  # probes invariance, or raises
    assert runner.engine == "compiled"
    windows = np.random.default_rng(5).uniform(-1, 1, (5, 64, 64)).astype(np.float32)
    alone = np.concatenate([runner.run(w[None]) for w in windows])
    np.testing.assert_array_equal(runner.run(windows), alone)
    eager = unit_to_uint8(_fields(low, windows)).astype(np.int16)
    assert np.abs(unit_to_uint8(alone) - eager).mean() <= 0.5


def test_without_native_bfloat16_the_generator_stays_float32(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(torch.cpu, "get_capabilities", lambda: {"avx2": True})
    assert bfloat16_kind() == "none" and not bfloat16_supported()
    net = _tiny("conv", True)
    assert low_precision_generator(net) is net
    with pytest.raises(LowPrecisionError, match="float32"):
        low_precision_generator(net, require=True)


def test_a_torch_that_cannot_tell_is_taken_to_lack_it(monkeypatch: pytest.MonkeyPatch) -> None:
    def unknown() -> dict[str, bool]:
        raise AttributeError("get_capabilities")

    monkeypatch.setattr(torch.cpu, "get_capabilities", unknown)
    assert bfloat16_kind() == "none"
    monkeypatch.setattr(torch.cpu, "get_capabilities", lambda: {"amx_bf16": True, "amx_tile": True})
    monkeypatch.setattr(low_precision, "_onednn_bfloat16", lambda: False)
    assert bfloat16_kind() == "none"


def test_float32_is_the_generator_and_unknown_precisions_are_refused() -> None:
    net = _tiny("conv", False)
    assert low_precision_generator(net, precision="float32") is net
    with pytest.raises(ValueError, match="bfloat16"):
        low_precision_generator(net, precision="float16")


def test_the_kind_names_amx_before_avx512(monkeypatch: pytest.MonkeyPatch) -> None:
    caps = {"amx_bf16": True, "amx_tile": True, "avx512_bf16": True}
    monkeypatch.setattr(torch.cpu, "get_capabilities", lambda: caps)
    monkeypatch.setattr(low_precision, "_onednn_bfloat16", lambda: True)
    assert bfloat16_kind() == "amx"
    monkeypatch.setattr(torch.cpu, "get_capabilities", lambda: {"avx512_bf16": True})
    assert bfloat16_kind() == "avx512"


def test_a_style_folder_loads_into_it(tiny_style_dir: Path) -> None:
    net = Style.from_dir(tiny_style_dir, policy=(1, None)).g_image
    low = with_low_precision_convolutions(net)
    windows = np.random.default_rng(1).uniform(-1, 1, (2, 64, 64)).astype(np.float32)
    assert _fields(low, windows).shape == (2, 64, 64)


@needs_bf16
def test_the_expression_strength_passes_through_it(squiggle: ResnetGenerator) -> None:
    low = low_precision_generator(squiggle, require=True)
    x = torch.from_numpy(np.random.default_rng(2).uniform(-1, 1, (3, 1, 64, 64)).astype("f4"))
    with torch.inference_mode():
        plain, ones = low(x), low(x, torch.ones(3))
        none = low(x, torch.zeros(3))
    assert torch.equal(plain, ones) and not torch.equal(plain, none)
