"""The ``synaesthete preview`` subcommand: argument checks and an offline render."""

from __future__ import annotations

import argparse

import numpy as np
import pytest

from cli.arguments import parse_size
from cli.main import main


def test_parse_size():
    assert parse_size("1280x720") == (1280, 720)
    assert parse_size("64X48") == (64, 48)
    for bad in ("1280", "axb", "8x8"):
        with pytest.raises(argparse.ArgumentTypeError):
            parse_size(bad)


def test_preview_renders_png_frames(tmp_path):
    out = tmp_path / "frames"
    code = main(
        [
            "preview",
            "--out",
            str(out),
            "--seconds",
            "0.2",
            "--fps",
            "10",
            "--layers",
            "3",
            "--size",
            "64x48",
            "--no-progress",
        ]
    )
    assert code == 0
    assert len(list(out.glob("frame_*.png"))) == 2


def test_preview_draws_field_ink_when_asked(tmp_path):
    """``--ink field`` reaches the compositor: its frames differ from stroke mode's."""
    from PIL import Image

    frames = {}
    for ink in ("stroke", "field"):
        out = tmp_path / ink
        args = ["preview", "--out", str(out), "--seconds", "0.1", "--fps", "10"]
        args += ["--layers", "3", "--size", "128x96", "--no-progress", "--ink", ink]
        assert main(args) == 0
        frames[ink] = np.asarray(Image.open(out / "frame_000000.png"))
    assert frames["stroke"].shape == frames["field"].shape
    assert not np.array_equal(frames["stroke"], frames["field"])


def test_preview_refuses_bad_arguments(tmp_path, caplog, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["preview", "--layers", "0", "--out", str(tmp_path / "x.mp4")])
    assert exit_info.value.code == 2
    assert "argument --layers: must be from 1 to 128" in capsys.readouterr().err
    assert main(["preview", "--audio", "a.wav"]) == 2
    assert "--audio needs --out" in caplog.text
    assert main(["preview", "--out", str(tmp_path / "x.mp4"), "--size", "65x48"]) == 2
    assert "even width" in caplog.text
