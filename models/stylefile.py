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
    load_tensors,
    prefixed_state,
    save_json,
    save_tensors,
)
from models.config import ConfigError, StyleConfig, read_config_json
from models.networks import ResnetGenerator, style_generators

WEIGHTS_FILE = "weights.safetensors"
CONFIG_FILE = "config.json"
TRAINING_FILE = "training.json"

#: Largest weights file a style may have, in bytes: the widest generators the config limits
#: allow are about 300 MB each; the shipped styles are 2.7 MB.
MAX_WEIGHTS_BYTES = 768 * 1024 * 1024


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


def read_style(
    folder: Path, max_weight_bytes: int = MAX_WEIGHTS_BYTES
) -> tuple[StyleConfig, ResnetGenerator, ResnetGenerator]:
    """Rebuild a style's generators from ``folder``, validating every tensor.

    ``config.json`` is read with bounded size and numbers and every field is checked for
    type and range (:func:`models.config.read_config_json`, :data:`models.config.LIMITS`)
    before any network is built; the weights file must be at most ``max_weight_bytes``,
    safetensors (never unpickled), match the config tensor by tensor and hold only finite
    numbers.

    Raises:
        CheckpointError: one line that names the file and what is wrong with it.
    """
    config_path = folder / CONFIG_FILE
    try:
        raw = read_config_json(config_path)
    except ConfigError as exc:
        raise CheckpointError(str(exc)) from exc
    try:
        cfg = StyleConfig.from_dict(raw)
    except (ConfigError, KeyError, TypeError) as exc:
        detail = f"missing key {exc}" if isinstance(exc, KeyError) else str(exc)
        raise CheckpointError(f"{config_path}: {detail}") from exc
    weights_path = folder / WEIGHTS_FILE
    try:
        size = weights_path.stat().st_size
    except OSError as exc:
        raise CheckpointError(f"{weights_path}: cannot read it ({exc.strerror or exc})") from exc
    if size > max_weight_bytes:
        raise CheckpointError(
            f"{weights_path}: {size:,} bytes, more than a style's weights may have "
            f"({max_weight_bytes:,})"
        )
    tensors = load_tensors(weights_path)
    g_image, g_audio = style_generators(cfg, initialise=False)
    load_into(g_image, tensors, "image")
    load_into(g_audio, tensors, "audio")
    unknown = sorted(k for k in tensors if not k.startswith(("image.", "audio.")))
    if unknown:
        raise CheckpointError(f"{weights_path} holds unexpected tensors {unknown[:5]}")
    broken = sorted(
        k for k, v in tensors.items() if v.is_floating_point() and not bool(v.isfinite().all())
    )
    if broken:
        raise CheckpointError(f"{weights_path}: NaN or infinite values in {broken[:5]}")
    return cfg, g_image.eval(), g_audio.eval()
