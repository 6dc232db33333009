"""Compiled generator packages (AOTInductor) in a disk cache: built once, then loaded;
any batch size, the same bits for a window; a changed network or a damaged file builds anew;
the compiled engine uses them and falls back to torch.compile where they cannot work."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
import torch

from models import aot, inference
from models.inference import PAD_STRENGTH, Runner
from models.style import Style
from models.stylefile import read_style
from tests.models.conftest import make_style_dir

CPU = torch.device("cpu")


@pytest.fixture(scope="module", autouse=True)
def one_thread() -> object:
    """One torch thread, as the shows' generator processes run (and the package key holds
    it). With two, a package's kernels on an AVX-512 CPU split work by the batch size, so
    a window's bits depend on its batch: the runner then pads to one size (probed)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> torch.nn.Module:
    """A tiny audio→image generator with descriptors and the expression head."""
    folder = make_style_dir(
        tmp_path_factory.mktemp("aot") / "headed",
        descriptors=("level", "flatness"),
        low_at_bottom=True,
        expression=1.0,
    )
    _, g_image, _ = read_style(folder)
    return g_image.eval()


@pytest.fixture(scope="module")
def built(net: torch.nn.Module, tmp_path_factory: pytest.TempPathFactory) -> aot.Package:
    folder = tmp_path_factory.mktemp("packages")
    return aot.load_or_build(net, _example(), folder)


def _example(n: int = 2) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.zeros(n, 1, 64, 64), torch.full((n,), PAD_STRENGTH)


def _inputs(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    rng = np.random.default_rng(seed)
    x = torch.from_numpy(rng.uniform(-1, 1, (n, 1, 64, 64)).astype(np.float32))
    return x, torch.from_numpy(rng.uniform(0, 1, n).astype(np.float32))


def test_a_package_is_built_once_then_loaded_with_the_same_bits(
    net: torch.nn.Module, built: aot.Package
) -> None:
    assert not built.cached and built.path.exists()
    again = aot.load_or_build(net, _example(), built.path.parent)
    assert again.cached and again.path == built.path
    x, s = _inputs(5, seed=1)
    with torch.inference_mode():
        first, second, eager = built.run(x, s), again.run(x, s), net(x, s)
    assert torch.equal(first, second)
    assert float((first - eager).abs().max()) <= 1e-4  # within a uint8 step (1/127.5)


def _compiled_runner(net: torch.nn.Module, built: aot.Package, monkeypatch) -> Runner:
    monkeypatch.setattr(aot, "cache_folder", lambda: built.path.parent)
    runner = Runner(net, device=CPU, engine="compiled")
    assert runner.engine == "compiled" and runner.compiled_by == "package (cached)"
    # Every size unpadded where the package gives a window one set of bits in any batch,
    # else batches padded to the largest (probed: this tiny network's kernels differ in
    # the last bits by the batch size on an AVX-512 CPU; the shipped styles' do not).
    assert runner.buckets in (tuple(range(1, aot.MAX_BATCH + 1)), (aot.MAX_BATCH,))
    return runner


def test_the_compiled_engine_gives_a_window_the_same_bits_in_any_batch(
    net: torch.nn.Module, built: aot.Package, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = _compiled_runner(net, built, monkeypatch)
    x, s = _inputs(9, seed=2)
    windows, strengths = x[:, 0].numpy(), s.numpy()
    alone = np.concatenate([runner.run(windows[i : i + 1], strengths[i : i + 1]) for i in range(9)])
    np.testing.assert_array_equal(runner.run(windows, strengths), alone)
    halves = [runner.run(windows[:4], strengths[:4]), runner.run(windows[4:], strengths[4:])]
    np.testing.assert_array_equal(np.concatenate(halves), alone)
    if len(runner.buckets) > 1:  # unpadded: the package itself agrees across batches
        with torch.inference_mode():
            assert torch.equal(built.run(x, s)[:, 0], torch.from_numpy(alone))


def test_the_package_runs_as_pytorchs_own_loader_runs_it(built: aot.Package) -> None:
    """aot.load opens the archive itself (no torch._dynamo import): the same program."""
    theirs = torch._inductor.aoti_load_package(str(built.path))
    x, s = _inputs(7, seed=3)
    with torch.inference_mode():
        assert torch.equal(built.run(x, s), theirs(x, s))


def test_other_weights_key_another_package(net: torch.nn.Module) -> None:
    key = aot.package_key(net, _example())
    assert key == aot.package_key(copy.deepcopy(net), _example())
    changed = copy.deepcopy(net)
    with torch.no_grad():
        next(changed.parameters()).add_(1e-3)
    assert key != aot.package_key(changed, _example())
    smaller = (torch.zeros(2, 1, 32, 32), torch.full((2,), PAD_STRENGTH))
    assert key != aot.package_key(net, smaller)


def test_a_changed_source_keys_another_package(
    net: torch.nn.Module, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = aot.package_key(net, _example())
    monkeypatch.setattr(aot, "_source_digest", lambda: "0" * 64)
    assert aot.package_key(net, _example()) != key


def test_a_damaged_file_is_built_again(tmp_path: Path) -> None:
    torch.manual_seed(0)
    small = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3, padding=1), torch.nn.Tanh()).eval()
    example = (torch.zeros(2, 1, 16, 16),)
    path = aot.package_path(small, example, tmp_path)
    path.write_bytes(b"not a package")
    package = aot.load_or_build(small, example, tmp_path)
    assert package.path == path and not package.cached
    x = torch.from_numpy(np.random.default_rng(3).uniform(-1, 1, (3, 1, 16, 16)).astype("f4"))
    with torch.inference_mode():
        assert float((package.run(x) - small(x)).abs().max()) <= 1e-5
    assert not list(tmp_path.glob("*partial*"))


def test_an_example_batch_of_one_is_refused(net: torch.nn.Module) -> None:
    with pytest.raises(ValueError, match="at least 2"):
        aot.export(net, _example(1))


def test_the_compiled_engine_runs_the_package(
    net: torch.nn.Module, built: aot.Package, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = _compiled_runner(net, built, monkeypatch)
    x, s = _inputs(3, seed=4)
    size = runner.buckets[-1] if len(runner.buckets) == 1 else 3
    padded = torch.full((size, 1, 64, 64), inference.PAD_VALUE)
    padded[:3] = x
    strengths = torch.full((size,), PAD_STRENGTH)
    strengths[:3] = s
    with torch.inference_mode():
        direct = built.run(padded, strengths)[:3, 0].numpy()
    np.testing.assert_array_equal(runner.run(x[:, 0].numpy(), s.numpy()), direct)


def test_without_packages_the_compiled_engine_uses_torch_compile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object, **_kwargs: object) -> object:
        raise RuntimeError("no C++ compiler")

    monkeypatch.setattr(aot, "package_path", broken)
    style_dir = make_style_dir(tmp_path / "plain")
    style = Style.from_dir(style_dir, threads=1, engine="compiled")
    assert style.running_engine == "compiled"
    assert style._image.compiled_by == "torch.compile"
    # Every size where the graphs agree across batch sizes, else the largest alone (probed:
    # on an AVX-512 CPU they differ in the last bits); either way a window's bits are one.
    assert style._image.buckets in (inference.COMPILED_BUCKETS, inference.COMPILED_BUCKETS[-1:])
    windows = np.random.default_rng(5).uniform(-1, 1, (5, 64, 64)).astype(np.float32)
    alone = np.concatenate([style.audio_to_fields(windows[i : i + 1]) for i in range(5)])
    np.testing.assert_array_equal(style.audio_to_fields(windows), alone)


@pytest.mark.slow
def test_a_live_style_builds_its_package_in_another_process_and_switches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Eager pictures, undisturbed, while a process of its own builds the package; then the
    package's, the same bits a compiled style draws; the next live start loads it at once."""
    monkeypatch.setenv("SYNAESTHETE_CACHE", str(tmp_path / "cache"))
    style_dir = make_style_dir(tmp_path / "fresh", seed=11, expression=1.0)
    windows = np.random.default_rng(12).uniform(-1, 1, (4, 64, 64)).astype(np.float32)
    eager = Style.from_dir(style_dir, threads=1).audio_to_fields(windows)
    live = Style.from_dir(style_dir, threads=1, engine="live")
    assert live.package_path is not None and not live.package_path.exists()
    eager_calls = 0
    while not live.wait_for_engine(timeout=0.05):
        pictures = live.audio_to_fields(windows)
        # The switch may land between the wait and the call: such a call is the package's.
        if live.running_engine == "eager":
            np.testing.assert_array_equal(pictures, eager)
            eager_calls += 1
    assert eager_calls > 0  # the build takes seconds: many calls ran eagerly meanwhile
    assert live.running_engine == "compiled"
    assert live._image.compiled_by == "package (built)" and live.package_path.exists()
    compiled = Style.from_dir(style_dir, threads=1, engine="compiled")
    assert compiled._image.compiled_by == "package (cached)"
    np.testing.assert_array_equal(live.audio_to_fields(windows), compiled.audio_to_fields(windows))
    again = Style.from_dir(style_dir, threads=1, engine="live")
    assert again.running_engine == "compiled"  # no waiting the second time
    cached = Style.from_dir(style_dir, threads=1, engine="cached")
    assert cached.engine == "compiled" and cached._image.compiled_by == "package (cached)"
    np.testing.assert_array_equal(
        cached.audio_to_fields(windows), compiled.audio_to_fields(windows)
    )


def test_a_cached_engine_without_a_package_runs_eager_and_builds_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SYNAESTHETE_CACHE", str(tmp_path / "cache"))
    style_dir = make_style_dir(tmp_path / "cold", seed=13, expression=1.0)
    windows = np.random.default_rng(14).uniform(-1, 1, (3, 64, 64)).astype(np.float32)
    cold = Style.from_dir(style_dir, threads=1, engine="cached")
    assert cold.engine == "eager" and cold.running_engine == "eager" and cold.wait_for_engine(0)
    assert cold.info().engine == "eager"
    assert cold.package_path is not None and not cold.package_path.exists()
    eager = Style.from_dir(style_dir, threads=1, engine="eager")
    np.testing.assert_array_equal(cold.audio_to_fields(windows), eager.audio_to_fields(windows))
    assert not aot.being_built(cold.package_path) and not cold.package_path.exists()


def test_a_package_being_built_is_seen_from_elsewhere(tmp_path: Path) -> None:
    path = tmp_path / f"{'0' * 64}{aot.SUFFIX}"
    assert not aot.being_built(path)
    with aot._build_lock(path):
        assert aot.being_built(path)
    assert not aot.being_built(path)
