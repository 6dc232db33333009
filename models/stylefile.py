"""A style on disk: ``weights.safetensors`` (both generators) + ``config.json``.

Only the generators ship; discriminators and optimiser state stay in the training run.
``training.json`` (optional) records how the style was trained, for the curious.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from torch import nn

from models.checkpoint import (
    CheckpointError,
    load_into,
    load_json,
    load_tensors,
    prefixed_state,
    save_json,
    save_tensors,
)
from models.config import ConfigError, StyleConfig
from models.networks import ResnetGenerator

WEIGHTS_FILE = "weights.safetensors"
CONFIG_FILE = "config.json"
TRAINING_FILE = "training.json"


def write_style(
    folder: Path,
    cfg: StyleConfig,
    g_image: nn.Module,
    g_audio: nn.Module,
    training: dict[str, Any] | None = None,
) -> None:
    """Write a loadable style folder (weights, config and optional training record)."""
    folder.mkdir(parents=True, exist_ok=True)
    weights = {**prefixed_state("image", g_image), **prefixed_state("audio", g_audio)}
    save_tensors(weights, folder / WEIGHTS_FILE)
    save_json(cfg.to_dict(), folder / CONFIG_FILE)
    if training is not None:
        save_json(training, folder / TRAINING_FILE)


def read_style(folder: Path) -> tuple[StyleConfig, ResnetGenerator, ResnetGenerator]:
    """Rebuild a style's generators from ``folder``, validating every tensor.

    Raises:
        CheckpointError: unreadable/invalid config or weights (never unpickles anything).
    """
    try:
        cfg = StyleConfig.from_dict(load_json(folder / CONFIG_FILE))
    except (ConfigError, KeyError, TypeError) as exc:
        raise CheckpointError(f"{folder / CONFIG_FILE}: {exc}") from exc
    tensors = load_tensors(folder / WEIGHTS_FILE)
    g_image = ResnetGenerator(cfg.generator, cfg.image_size)
    g_audio = ResnetGenerator(cfg.generator, cfg.image_size)
    load_into(g_image, tensors, "image")
    load_into(g_audio, tensors, "audio")
    unknown = sorted(k for k in tensors if not k.startswith(("image.", "audio.")))
    if unknown:
        raise CheckpointError(f"{folder / WEIGHTS_FILE} holds unexpected tensors {unknown[:5]}")
    return cfg, g_image.eval(), g_audio.eval()
