"""Real tiny training runs: the cycle loss falls, runs resume, DDP works on gloo."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from models.config import (
    DataConfig,
    DiscriminatorConfig,
    GeneratorConfig,
    OptimConfig,
    StyleConfig,
    TrainConfig,
)
from models.style import Style
from models.train import RunOptions, train
from models.train_state import has_state

REPO = Path(__file__).resolve().parents[2]


def tiny_config(epochs: int = 1, lr: float = 2e-3) -> TrainConfig:
    return TrainConfig(
        style=StyleConfig(name="tiny", generator=GeneratorConfig(ngf=4, n_blocks=1)),
        discriminator=DiscriminatorConfig(ndf=8, n_layers=2),
        optim=OptimConfig(lr=lr, epochs=epochs, epochs_decay=0, batch_size=4, pool_size=8),
        data=DataConfig(n_images=48, n_clips=12, window_step=16),
    )


def _cycle_losses(run_dir: Path) -> list[float]:
    rows = [json.loads(line) for line in (run_dir / "log.jsonl").read_text().splitlines()]
    return [r["cycle_audio"] + r["cycle_image"] for r in rows if "epoch_done" not in r]


@pytest.mark.slow
def test_tiny_training_reduces_the_cycle_loss_and_ships_a_style(tmp_path: Path) -> None:
    run = tmp_path / "run"
    result = train(
        tiny_config(epochs=3), RunOptions(run_dir=run, threads=1, log_every=1, progress=False)
    )
    losses = _cycle_losses(run)
    assert len(losses) == result.progress.step == 3 * (48 // 4)
    first, last = sum(losses[:5]) / 5, sum(losses[-5:]) / 5
    assert last < 0.7 * first, (first, last)
    assert sorted(p.name for p in (run / "samples").iterdir()) == [
        "epoch_001.png",
        "epoch_002.png",
        "epoch_003.png",
    ]
    style = Style.from_dir(result.style_dir)
    assert style.name == "tiny"


@pytest.mark.slow
def test_training_resumes_and_only_the_schedule_may_change(tmp_path: Path) -> None:
    run = tmp_path / "run"
    cfg = tiny_config(epochs=1)
    opts = RunOptions(run_dir=run, threads=1, log_every=1, progress=False)
    first = train(cfg, opts)
    assert has_state(run / "checkpoint") and first.progress.epoch == 1
    again = train(cfg, opts)  # already finished: nothing to do, same counters
    assert again.progress.step == first.progress.step
    changed = replace(cfg, optim=replace(cfg.optim, batch_size=2))
    with pytest.raises(ValueError, match="different config"):
        train(changed, opts)
    longer = train(tiny_config(epochs=2), opts)  # extending the schedule continues
    assert longer.progress.epoch == 2 and longer.progress.step == 2 * first.progress.step


@pytest.mark.slow
def test_interrupted_run_continues_where_it_stopped(tmp_path: Path) -> None:
    run = tmp_path / "run"
    cfg = tiny_config(epochs=2)
    steps_per_epoch = 48 // 4
    train(cfg, RunOptions(run_dir=run, threads=1, max_steps=steps_per_epoch, progress=False))
    resumed = train(cfg, RunOptions(run_dir=run, threads=1, progress=False))
    assert resumed.progress.epoch == 2 and resumed.progress.step == 2 * steps_per_epoch


@pytest.mark.slow
def test_ddp_two_processes_on_gloo(tmp_path: Path) -> None:
    """The CLI under torchrun: two CPU processes, DDP, rank 0 writes everything."""
    run = tmp_path / "ddp"
    env = {**os.environ, "SYNAESTHETE_HOME": str(tmp_path / "home"), "OMP_NUM_THREADS": "1"}
    cmd = [
        sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
        "-m", "cli.main", "-q", "train", "--name", "ddp", "--n-images", "32", "--n-clips", "8",
        "--ngf", "4", "--n-blocks", "1", "--epochs", "1", "--epochs-decay", "1",
        "--batch-size", "4", "--threads", "1", "--run-dir", str(run), "--no-progress",
    ]  # fmt: skip
    done = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-12000:]  # each rank's own error, then the summary
    state = json.loads((run / "checkpoint" / "state.json").read_text())
    # 32 images split over 2 ranks, batch 4 → 4 steps per epoch per rank.
    assert state["epoch"] == 2 and state["step"] == 8
    assert Style.from_dir(tmp_path / "home" / "styles" / "ddp").name == "ddp"
    assert len(list((run / "samples").iterdir())) == 2


@pytest.mark.slow
def test_tiny_synaesthetic_run_trains_every_new_term_and_ships_a_conditioned_style(
    tmp_path: Path,
) -> None:
    """Descriptors, low frequencies at the bottom, the temporal and prior terms, music audio
    and a warm start from another style, in one short real run."""
    from models.config import LossConfig
    from tests.models.conftest import make_style_dir

    start = make_style_dir(tmp_path / "start")
    base = tiny_config(epochs=1)
    cfg = replace(
        base,
        style=replace(base.style, descriptors=("level", "flatness"), low_at_bottom=True),
        loss=LossConfig(
            temporal=1.0,
            prior_level=2.0,
            prior_busy=1.0,
            prior_soft=1.0,
            prior_height=1.0,
            realism=1.0,
        ),
        data=replace(base.data, audio="music+synth", n_images=16, n_clips=6, gain_spread_db=20.0),
        init_from=str(start),
    )
    run = tmp_path / "run"
    result = train(cfg, RunOptions(run_dir=run, threads=1, log_every=1, progress=False))
    rows = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    steps = [r for r in rows if "epoch_done" not in r]
    assert len(steps) == 4
    assert all(0.0 < r["temporal"] < 5.0 for r in steps)
    assert all(-1.0 <= r["rho_level"] <= 1.0 for r in steps)
    assert all(r["realism"] > 0.0 for r in steps)
    style = Style.from_dir(result.style_dir)
    assert style.info().descriptors == ("level", "flatness") and style.config.low_at_bottom
    saved = json.loads((run / "config.json").read_text())
    assert TrainConfig.from_dict(saved) == cfg
