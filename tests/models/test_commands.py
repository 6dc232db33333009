"""The models subcommands end to end through the real CLI entry point."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
import soundfile

from cli.main import main
from models.synth import synth_set


@pytest.fixture
def wav(tmp_path: Path) -> Path:
    clips, _ = synth_set(3, start=40, sample_rate=44100)
    path = tmp_path / "in.wav"
    soundfile.write(path, np.concatenate(clips), 44100)  # resampled to 22050 on read
    return path


def test_commands_module_is_cheap_to_import() -> None:
    import subprocess
    import sys

    code = "import sys, cli.models; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_cycle_writes_picture_strip_and_recreated_audio(
    wav: Path, tiny_style_dir: Path, tmp_path: Path
) -> None:
    png, out = tmp_path / "pic.png", tmp_path / "out.wav"
    argv = ["cycle", str(wav), "--style-dir", str(tiny_style_dir), "--image", str(png)]
    assert main([*argv, "--audio-out", str(out), "--iterations", "4"]) == 0
    from PIL import Image

    seconds = 3 * 1.5
    frames = int(seconds * 22050 - 1024) // 256 + 1
    windows = -(-frames // 64)
    assert Image.open(png).size == (64 * windows, 64)
    audio, rate = soundfile.read(out)
    assert rate == 22050 and abs(len(audio) - windows * 64 * 256) < 2048


def test_draw_writes_valid_svg(wav: Path, tiny_style_dir: Path, tmp_path: Path) -> None:
    svg = tmp_path / "d" / "out.svg"
    assert main(["draw", str(wav), "--style-dir", str(tiny_style_dir), "--svg", str(svg)]) == 0
    root = ET.fromstring(svg.read_text().split("\n", 1)[1])
    assert root.tag.endswith("svg")


def test_clear_errors_for_bad_inputs(tiny_style_dir: Path, tmp_path: Path, caplog) -> None:
    assert main(["cycle", str(tmp_path / "none.wav"), "--style-dir", str(tiny_style_dir)]) == 2
    assert "does not exist" in caplog.text
    (tmp_path / "bad.wav").write_bytes(b"RIFF????")
    assert main(["cycle", str(tmp_path / "bad.wav"), "--style-dir", str(tiny_style_dir)]) == 2
    assert "cannot read" in caplog.text
    assert main(["draw", "x.wav", "--style", "../../etc", "--svg", "o.svg"]) == 2
    assert "invalid style name" in caplog.text


@pytest.mark.slow
def test_evaluate_writes_json_and_markdown(tiny_style_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "eval"
    argv = ["evaluate", "--style-dir", str(tiny_style_dir), "--out", str(out)]
    assert main([*argv, "--n-clips", "18", "--n-images", "24", "--no-instruments"]) == 0
    result = json.loads((out / "evaluation.json").read_text())
    assert result["determinism"]["batch_of_one_identical"] is True
    assert result["realism"]["swd_real_vs_real_mean"] > 0
    assert -1.0 <= result["synaesthesia"]["loudness_vs_ink_mass"]["rho"] <= 1.0
    report = (out / "report.md").read_text()
    assert "Cycle accuracy" in report and (out / "synaesthesia.png").is_file()
    assert result["instruments"] == {"skipped": "not asked for (--no-instruments)"}
    assert "Skipped: not asked for" in report


def test_train_takes_a_recipe_file_and_a_new_name() -> None:
    """``train --config`` reads a whole TrainConfig (the shipped recipes are valid ones)."""
    import argparse

    from cli.models import register, train_config_from_args
    from models.config import ConfigError

    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    recipes = Path(__file__).resolve().parents[2] / "models" / "recipes"
    for recipe in sorted(recipes.glob("*.json")):
        cfg = train_config_from_args(parser.parse_args(["train", "--config", str(recipe)]))
        assert cfg.style.name == recipe.stem and cfg.style.descriptors
        assert cfg.style.low_at_bottom and cfg.loss.temporal > 0
    renamed = parser.parse_args(["train", "--config", str(recipe), "--name", "mine"])
    assert train_config_from_args(renamed).style.name == "mine"
    with pytest.raises(ValueError, match="--name"):
        train_config_from_args(parser.parse_args(["train"]))
    bad = parser.parse_args(["train", "--config", str(recipes / "missing.json")])
    with pytest.raises(ConfigError, match="no such file"):
        train_config_from_args(bad)
