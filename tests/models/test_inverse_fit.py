"""The image→audio fit after training: 8-bit pictures, a falling loss, the drawing untouched."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from models.checkpoint import load_tensors
from models.config import ConfigError, GeneratorConfig, OptimConfig
from models.inverse_fit import draw_all, fit_inverse, rounded_pictures
from models.networks import ResnetGenerator
from models.pictures import unit_to_uint8
from models.stylefile import WEIGHTS_FILE
from models.train import RunOptions, train
from tests.models.test_train import tiny_config


def test_rounded_pictures_are_what_an_8_bit_picture_reads_back_as() -> None:
    fields = torch.from_numpy(np.random.default_rng(3).uniform(-1.2, 1.2, (4, 1, 9, 9)))
    fields = fields.float()
    fields[0, 0, 0, :3] = torch.tensor([-1.0, 1.0, 0.0])
    as_bytes = unit_to_uint8(fields.numpy()).astype(np.float32) / 255.0 * 2.0 - 1.0
    np.testing.assert_array_equal(rounded_pictures(fields).numpy(), as_bytes)


def _nets(seed: int) -> tuple[ResnetGenerator, ResnetGenerator]:
    torch.manual_seed(seed)
    cfg = GeneratorConfig(ngf=4, n_blocks=1)
    return ResnetGenerator(cfg, 16), ResnetGenerator(cfg, 16)


def _windows(n: int) -> torch.Tensor:
    rng = np.random.default_rng(0)
    return torch.from_numpy(rng.uniform(-1.0, 0.5, (n, 1, 16, 16)).astype(np.float32))


def test_the_fit_lowers_the_loss_repeats_exactly_and_leaves_the_drawing_alone() -> None:
    g_image, g_audio = _nets(1)
    windows = _windows(24)
    drawing_before = {k: v.clone() for k, v in g_image.state_dict().items()}
    pictures = draw_all(g_image, windows)
    assert pictures.shape == windows.shape and not pictures.requires_grad
    with torch.no_grad():
        before = torch.mean(torch.abs(g_audio(pictures) - windows)).item()
    after = fit_inverse(g_audio, pictures, windows, steps=60, lr=3e-3, batch_size=8, seed=5)
    with torch.no_grad():
        measured = torch.mean(torch.abs(g_audio(pictures) - windows)).item()
    assert measured < 0.6 * before and after < 0.6 * before, (before, after, measured)
    assert not g_audio.training
    for k, v in g_image.state_dict().items():
        assert torch.equal(v, drawing_before[k]), k

    _, again = _nets(1)
    fit_inverse(again, pictures, windows, steps=60, lr=3e-3, batch_size=8, seed=5)
    for (k, a), b in zip(g_audio.state_dict().items(), again.state_dict().values(), strict=True):
        assert torch.equal(a, b), k


def test_the_fit_refuses_mismatched_sets_and_skips_zero_steps() -> None:
    _, g_audio = _nets(2)
    windows = _windows(4)
    with pytest.raises(ValueError, match="3 pictures for 4 windows"):
        fit_inverse(g_audio, windows[:3], windows, steps=1, lr=1e-3, batch_size=2, seed=0)
    weights = {k: v.clone() for k, v in g_audio.state_dict().items()}
    assert fit_inverse(g_audio, windows, windows, steps=0, lr=1e-3, batch_size=2, seed=0) == 0.0
    assert all(torch.equal(v, weights[k]) for k, v in g_audio.state_dict().items())


def test_the_config_checks_the_phase_and_old_configs_skip_it() -> None:
    assert OptimConfig().inverse_steps == 0
    with pytest.raises(ConfigError, match="inverse_lr"):
        OptimConfig(inverse_lr=0.0)
    with pytest.raises(ConfigError, match="inverse_steps"):
        OptimConfig(inverse_steps=-1)
    with pytest.raises(ConfigError, match="at least one epoch"):
        OptimConfig(epochs=0, epochs_decay=0)
    fit_only = OptimConfig(epochs=0, epochs_decay=0, inverse_steps=5)
    with pytest.raises(ConfigError, match="init_from"):
        replace(tiny_config(), optim=fit_only)


@pytest.mark.slow
def test_a_run_with_the_phase_ships_the_same_drawing_and_a_refitted_inverse(
    tmp_path: Path,
) -> None:
    plain_cfg = tiny_config(epochs=1)
    fitted_cfg = replace(plain_cfg, optim=replace(plain_cfg.optim, inverse_steps=12))
    opts = {"threads": 1, "log_every": 4, "progress": False}
    plain = train(plain_cfg, RunOptions(run_dir=tmp_path / "plain", **opts))
    fitted = train(fitted_cfg, RunOptions(run_dir=tmp_path / "fitted", **opts))
    a = load_tensors(plain.style_dir / WEIGHTS_FILE)
    b = load_tensors(fitted.style_dir / WEIGHTS_FILE)
    assert a.keys() == b.keys()
    drawing = [k for k in a if k.startswith("image.")]
    inverse = [k for k in a if k.startswith("audio.")]
    assert drawing and inverse
    assert all(torch.equal(a[k], b[k]) for k in drawing)
    assert any(not torch.equal(a[k], b[k]) for k in inverse)
    record = json.loads((fitted.style_dir / "training.json").read_text())
    assert record["inverse_steps"] == 12 and record["inverse_loss"] > 0
    rows = [json.loads(x) for x in (tmp_path / "fitted" / "log.jsonl").read_text().splitlines()]
    assert [r["inverse_step"] for r in rows if "inverse_step" in r] == [4, 8, 12]

    # A finished run takes the phase on a re-run (from its last epoch's weights): the same
    # weights as the run that had it from the start.
    refitted = train(fitted_cfg, RunOptions(run_dir=tmp_path / "plain", **opts))
    c = load_tensors(refitted.style_dir / WEIGHTS_FILE)
    assert all(torch.equal(b[k], c[k]) for k in b)
    # … and its record keeps the losses the run last logged (no step ran this time)
    again = json.loads((refitted.style_dir / "training.json").read_text())
    logged = [json.loads(x) for x in (tmp_path / "plain" / "log.jsonl").read_text().splitlines()]
    last_step = [r for r in logged if "step" in r and "epoch_done" not in r][-1]
    assert again["last_losses"] and again["last_losses"].items() <= last_step.items()


@pytest.mark.slow
def test_a_run_of_no_epochs_refits_a_finished_styles_inverse_and_keeps_its_drawing(
    tmp_path: Path,
) -> None:
    cfg = tiny_config(epochs=1)
    done = train(cfg, RunOptions(run_dir=tmp_path / "first", threads=1, progress=False))
    fit_only = replace(
        cfg,
        optim=replace(cfg.optim, epochs=0, epochs_decay=0, inverse_steps=10),
        init_from=str(done.style_dir),
    )
    refit = train(fit_only, RunOptions(run_dir=tmp_path / "refit", threads=1, progress=False))
    assert refit.progress.step == 0 and refit.style_dir is not None
    a = load_tensors(done.style_dir / WEIGHTS_FILE)
    b = load_tensors(refit.style_dir / WEIGHTS_FILE)
    assert all(torch.equal(a[k], b[k]) for k in a if k.startswith("image."))
    assert any(not torch.equal(a[k], b[k]) for k in a if k.startswith("audio."))
