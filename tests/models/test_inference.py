"""Inference engines and devices: bit-exact in any batch, compiled close to eager, GPUs close
to the CPU (skipped without one).

Tolerances (measured on a 2-core Xeon, torch 2.13): compiled vs eager float32 on the CPU
differ by ≤ 1.2e-5 in the float field (≤ 1 uint8 step); float16 autocast vs float32 on the
CPU differ by ≤ 0.018 in the field, ≤ 2 uint8 steps, mean 0.02 steps. The GPU tests allow
float16 ≤ 8 steps and mean ≤ 0.5 step against float32 CPU, float32 ≤ 2 steps.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
import torch

from models import aot, inference
from models.inference import (
    InferenceError,
    bucket_for,
    resolve_device,
    resolve_engine,
    resolve_precision,
)
from models.pictures import unit_to_uint8
from models.style import Style
from models.style_interface import StyleInfo
from tests.models.conftest import make_style_dir

DESCRIPTORS = ("level", "flatness", "attack", "centroid")


def _windows(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-1, 1, size=(n, 64, 64)).astype(np.float32)


@pytest.fixture(scope="module")
def style_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny conditioned style, low bands at the bottom, with the expression head: every
    path the shipped one takes."""
    folder = tmp_path_factory.mktemp("inference") / "cond"
    return make_style_dir(
        folder, name="cond", descriptors=DESCRIPTORS, low_at_bottom=True, expression=1.0
    )


@pytest.fixture(scope="module")
def eager(style_dir: Path) -> Style:
    return Style.from_dir(style_dir, threads=1)


@pytest.fixture(scope="module")
def compiled(style_dir: Path) -> Style:
    """Built once per module; PyTorch's on-disk cache makes it seconds after the first run."""
    return Style.from_dir(style_dir, threads=1, engine="compiled")


def _assert_batch_invariant(style: Style) -> None:
    windows = _windows(16, seed=1)
    alone = np.concatenate([style.audio_to_fields(w) for w in windows])
    for size in range(2, 17):
        for start in range(0, 16, size):
            part = style.audio_to_fields(windows[start : start + size])
            np.testing.assert_array_equal(part, alone[start : start + size], err_msg=f"b{size}")
    shuffled = np.random.default_rng(2).permutation(16)
    np.testing.assert_array_equal(style.audio_to_fields(windows[shuffled]), alone[shuffled])
    among = np.concatenate([_windows(5, seed=3), windows[7:8], _windows(13, seed=4)])
    np.testing.assert_array_equal(style.audio_to_fields(among)[5], alone[7])  # > 16: chunks


def test_eager_gives_the_same_bits_in_any_batch_size_and_position(eager: Style) -> None:
    assert eager.info().engine == "eager" and eager.running_engine == "eager"
    _assert_batch_invariant(eager)


def test_compiled_gives_the_same_bits_in_any_batch_size_and_position(compiled: Style) -> None:
    assert compiled.info().engine == "compiled" and compiled.running_engine == "compiled"
    _assert_batch_invariant(compiled)
    windows = _windows(6, seed=5)
    np.testing.assert_array_equal(
        compiled.audio_to_image(windows), compiled.audio_to_image(windows)
    )


def test_compiled_is_within_a_uint8_step_of_eager(eager: Style, compiled: Style) -> None:
    windows = _windows(16, seed=6)
    fields_e, fields_c = eager.audio_to_fields(windows), compiled.audio_to_fields(windows)
    assert np.abs(fields_e - fields_c).max() <= 1e-4
    steps = np.abs(unit_to_uint8(fields_e).astype(int) - unit_to_uint8(fields_c))
    assert steps.max() <= 1


def test_a_live_style_draws_with_one_engine_per_call_then_switches(
    style_dir: Path, eager: Style, compiled: Style
) -> None:
    windows = _windows(5, seed=7)
    started = time.perf_counter()
    live = Style.from_dir(style_dir, threads=1, engine="live")
    assert time.perf_counter() - started < 5.0  # it does not wait for the compile
    assert live.info().engine == "live"
    first = live.audio_to_fields(windows)
    assert any(np.array_equal(first, s.audio_to_fields(windows)) for s in (eager, compiled))
    assert live.wait_for_engine(timeout=300.0)
    assert live.running_engine == "compiled"
    np.testing.assert_array_equal(live.audio_to_fields(windows), compiled.audio_to_fields(windows))


def test_a_compile_that_fails_is_an_error_or_stays_eager(
    style_dir: Path, eager: Style, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object, **_kwargs: object) -> object:
        raise RuntimeError("no C++ compiler")

    monkeypatch.setattr(torch, "compile", broken)
    monkeypatch.setattr(aot, "package_path", broken)
    with pytest.raises(InferenceError, match="no C\\+\\+ compiler"):
        Style.from_dir(style_dir, engine="compiled")
    live = Style.from_dir(style_dir, engine="live")
    assert not live.wait_for_engine(timeout=2.0)
    assert live.running_engine == "eager"
    windows = _windows(3, seed=8)
    np.testing.assert_array_equal(live.audio_to_fields(windows), eager.audio_to_fields(windows))


def test_a_batch_dependent_compile_falls_back_to_one_size_or_is_refused(
    style_dir: Path, compiled: Style, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As measured with 2 threads: the sizes disagree. One fixed size, else no compiled."""
    verdicts = iter([False, True])
    monkeypatch.setattr(inference.Runner, "_invariant", lambda *_args: next(verdicts))
    fixed = Style.from_dir(style_dir, threads=1, engine="compiled")
    assert fixed._image.buckets == (max(compiled._image.buckets),)
    windows = _windows(3, seed=10)
    np.testing.assert_array_equal(fixed.audio_to_fields(windows), compiled.audio_to_fields(windows))
    monkeypatch.setattr(inference.Runner, "_invariant", lambda *_args: False)
    with pytest.raises(InferenceError, match="depend on the batch"):
        Style.from_dir(style_dir, threads=1, engine="compiled")
    auto = Style.from_dir(style_dir, threads=1, engine="auto")
    assert auto.info().engine == "eager" and auto.running_engine == "eager"


def test_names_resolve_and_bad_ones_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    cpu, cuda = torch.device("cpu"), torch.device("cuda")
    assert resolve_engine("auto", cpu) == "compiled" and resolve_engine("auto", cuda) == "eager"
    assert resolve_precision("auto", cpu) == torch.float32
    assert resolve_precision("auto", cuda) == torch.float16
    assert resolve_precision("float32", cuda) == torch.float32
    with pytest.raises(ValueError, match="GPUs"):
        resolve_precision("float16", cpu)
    for bad in (lambda: resolve_engine("fast", cpu), lambda: resolve_device("tpu")):
        with pytest.raises(ValueError, match="must be one of"):
            bad()
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(inference, "mps_available", lambda: False)
    assert resolve_device("auto") == cpu and resolve_device("cpu") == cpu
    for missing in ("cuda", "mps"):
        with pytest.raises(InferenceError, match=f"'{missing}'.*'auto'"):
            resolve_device(missing)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_device("auto") == cuda
    assert resolve_engine("cached", cpu) == "cached"
    for unresolved in ("auto", "fast"):  # a runner takes resolved engine names only
        with pytest.raises(ValueError, match="resolved first"):
            inference.Runner(torch.nn.Identity(), device=cpu, engine=unresolved)


def test_batches_are_padded_to_the_next_bucket() -> None:
    assert [bucket_for(n) for n in (1, 2, 3, 5, 8, 9, 16, 40)] == [1, 2, 4, 8, 8, 16, 16, 16]
    assert bucket_for(3, (2, 6)) == 6


def test_a_description_says_device_and_engine_and_old_ones_still_read(eager: Style) -> None:
    info = eager.info()
    assert (info.device, info.engine) == ("cpu", "eager")
    assert StyleInfo.from_json(info.to_json()) == info
    old = info.to_json()
    del old["device"], old["engine"]
    assert StyleInfo.from_json(old) == info


# ----- GPUs: the same windows on the CPU and on the GPU ---------------------------------------
def _gpu_or_skip(kind: str) -> None:
    if kind == "cuda" and not torch.cuda.is_available():
        pytest.skip("no CUDA GPU here (torch.cuda.is_available() is False)")
    if kind == "mps" and not inference.mps_available():
        pytest.skip("no MPS device here (torch.backends.mps.is_available() is False)")


@pytest.mark.parametrize("kind", ["cuda", "mps"])
def test_a_gpu_draws_what_the_cpu_draws_within_tolerance(kind: str) -> None:
    _gpu_or_skip(kind)
    windows = _windows(40, seed=9)
    cpu = Style.load("squiggle").audio_to_image(windows).astype(int)
    half = Style.load("squiggle", device=kind)
    assert half.info().device == kind
    steps = np.abs(half.audio_to_image(windows) - cpu)
    assert steps.max() <= 8 and steps.mean() <= 0.5, (steps.max(), steps.mean())
    full = Style.load("squiggle", device=kind, precision="float32")
    assert np.abs(full.audio_to_image(windows) - cpu).max() <= 2


@pytest.mark.parametrize("kind", ["cuda", "mps"])
def test_a_gpu_gives_the_same_bits_in_any_batch_size_and_position(kind: str) -> None:
    _gpu_or_skip(kind)
    _assert_batch_invariant(Style.load("squiggle", device=kind))


def _assert_expression_invariant(style: Style) -> None:
    """Mixed expressions: each window's bits depend only on it and its own expression."""
    windows = _windows(12, seed=8)
    amounts = np.random.default_rng(9).uniform(0.0, 1.0, 12).astype(np.float32)
    amounts[::4] = 1.0
    alone = np.concatenate(
        [style.audio_to_fields(w, [a]) for w, a in zip(windows, amounts, strict=True)]
    )
    for size in (2, 3, 5, 12):
        for start in range(0, 12, size):
            rows = slice(start, start + size)
            part = style.audio_to_fields(windows[rows], amounts[rows])
            np.testing.assert_array_equal(part, alone[rows], err_msg=f"b{size}")
    # an expression of 1 is the style as trained, bit for bit, whatever its neighbours get
    plain = style.audio_to_fields(windows)
    np.testing.assert_array_equal(alone[::4], plain[::4])
    np.testing.assert_array_equal(style.audio_to_fields(windows, 1.0), plain)


def test_eager_expressions_are_per_window_and_one_is_the_style(eager: Style) -> None:
    _assert_expression_invariant(eager)


def test_compiled_expressions_are_per_window_and_one_is_the_style(
    eager: Style, compiled: Style
) -> None:
    _assert_expression_invariant(compiled)
    windows = _windows(4, seed=10)
    amounts = np.array([0.0, 0.3, 0.7, 1.0], np.float32)
    by_eager = unit_to_uint8(eager.audio_to_fields(windows, amounts)).astype(int)
    by_compiled = unit_to_uint8(compiled.audio_to_fields(windows, amounts))
    assert np.abs(by_eager - by_compiled).max() <= 1


def test_expression_zero_is_the_learned_drawing_alone(eager: Style) -> None:
    windows = _windows(5, seed=11)
    x = torch.from_numpy(windows).unsqueeze(1)
    with torch.inference_mode():
        drawn = eager.g_image.draw(x)[:, 0].numpy()
    assert np.abs(eager.audio_to_fields(windows, 0.0) - drawn).max() <= 1e-6
    assert np.abs(eager.audio_to_fields(windows) - drawn).max() > 0.1  # the head does show


@pytest.mark.parametrize("bad", [-0.1, 1.5, float("nan"), [0.5, 0.5]])
def test_an_expression_outside_zero_to_one_or_of_another_length_is_refused(
    eager: Style, bad: object
) -> None:
    with pytest.raises(ValueError):
        eager.audio_to_fields(_windows(3), bad)  # type: ignore[arg-type]


def test_bfloat16_is_a_cpu_precision_and_refused_where_it_cannot_pay(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cpu = torch.device("cpu")
    with pytest.raises(ValueError, match="float16"):
        resolve_precision("bfloat16", torch.device("cuda"))
    from models import low_precision

    monkeypatch.setattr(low_precision, "bfloat16_supported", lambda: False)
    with pytest.raises(InferenceError, match="no native bfloat16"):
        resolve_precision("bfloat16", cpu)
    monkeypatch.setattr(low_precision, "bfloat16_supported", lambda: True)
    assert resolve_precision("bfloat16", cpu) == torch.bfloat16
    assert resolve_precision("auto", cpu) == torch.float32  # opt-in on the CPU


@pytest.mark.skipif(
    not __import__("models.low_precision").low_precision.bfloat16_supported(),
    reason="no native bfloat16 (AMX-BF16 or AVX512-BF16) on this CPU",
)
def test_a_bfloat16_style_draws_close_to_float32_and_says_so(style_dir: Path, eager: Style) -> None:
    low = Style.from_dir(style_dir, threads=1, precision="bfloat16")
    assert low.info().precision == "bfloat16" and eager.info().precision == "float32"
    assert StyleInfo.from_json(low.info().to_json()).precision == "bfloat16"
    _assert_batch_invariant(low)
    windows = _windows(8, seed=12)
    steps = np.abs(
        low.audio_to_image(windows).astype(int) - eager.audio_to_image(windows).astype(int)
    )
    assert 0 < steps.mean() <= 2.0  # it ran bfloat16, and close (random windows)
    # the image→audio generator stays float32: the same windows back from the same pictures
    pictures = eager.audio_to_image(windows)
    np.testing.assert_array_equal(low.image_to_windows(pictures), eager.image_to_windows(pictures))
