"""Shared fixtures for the models tests: tiny real networks written as real style folders."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from models.config import GeneratorConfig, StyleConfig
from models.networks import style_generators
from models.stylefile import write_style

TINY_GENERATOR = GeneratorConfig(ngf=4, n_blocks=1)


def make_style_dir(
    folder: Path,
    name: str = "tiny",
    seed: int = 0,
    descriptors: tuple[str, ...] = (),
    low_at_bottom: bool = False,
    expression: float = 0.0,
) -> Path:
    """Write a style with randomly initialised tiny generators (weights scaled up so the
    outputs are far from zero and numerics are exercised), optionally conditioned on
    ``descriptors``, drawn with low frequencies at the bottom and ending in the expression
    head."""
    torch.manual_seed(seed)
    cfg = StyleConfig(
        name=name,
        generator=TINY_GENERATOR,
        descriptors=descriptors,
        low_at_bottom=low_at_bottom,
        expression=expression,
    )
    g_image, g_audio = style_generators(cfg)
    with torch.no_grad():
        for net in (g_image, g_audio):
            for p in net.parameters():
                p.mul_(25.0)
    write_style(folder, cfg, g_image, g_audio)
    return folder


@pytest.fixture
def tiny_style_dir(tmp_path: Path) -> Path:
    return make_style_dir(tmp_path / "tiny")


@pytest.fixture
def styles_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point $SYNAESTHETE_HOME at an empty temporary folder."""
    home = tmp_path / "home"
    monkeypatch.setenv("SYNAESTHETE_HOME", str(home))
    return home
