"""Weights as safetensors and configs as JSON — nothing that could be unpickled.

Pickled weights are how model files run arbitrary code and how they break between library
versions (both complaints in the issues of the offline GAN visualisers). A safetensors file
is a JSON header plus raw tensor bytes. We still check its magic before handing it to the
library, so a renamed ``.pt``/``.pkl`` file is refused with a message saying what it is, and
we check every tensor name and shape against the network it is meant for.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

#: A safetensors header larger than this is not something we wrote.
MAX_HEADER_BYTES = 16 * 1024 * 1024


class CheckpointError(ValueError):
    """A weights or config file cannot be used; the message says why and what to do."""


def _sniff(path: Path) -> None:
    """Refuse files that are not safetensors before parsing them, naming what they look like."""
    try:
        with path.open("rb") as handle:
            head = handle.read(10)
    except OSError as exc:
        raise CheckpointError(f"cannot read weights file {path}: {exc}") from exc
    if len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5:
        raise CheckpointError(
            f"{path} is a Python pickle; synaesthete never unpickles files. "
            "Export the weights with safetensors.torch.save_file instead"
        )
    if head[:4] == b"PK\x03\x04":
        raise CheckpointError(
            f"{path} is a zip archive (a torch.save checkpoint?); synaesthete loads only "
            "safetensors. Convert it with safetensors.torch.save_file in a trusted environment"
        )
    if len(head) < 9:
        raise CheckpointError(f"{path} is too short to be a safetensors file")
    (header_len,) = struct.unpack("<Q", head[:8])
    if header_len > MAX_HEADER_BYTES or head[8:9] != b"{":
        raise CheckpointError(f"{path} is not a safetensors file (bad header)")


def load_tensors(path: str | Path) -> dict[str, torch.Tensor]:
    """Load a safetensors file onto the CPU, refusing anything else with a clear error."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"weights file {path} does not exist")
    _sniff(path)
    try:
        return load_file(str(path), device="cpu")
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"{path} is not a valid safetensors file: {exc}") from exc


def save_tensors(tensors: dict[str, torch.Tensor], path: str | Path) -> None:
    """Write tensors (made contiguous, on CPU) atomically: a crash never leaves half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    save_file({k: v.detach().cpu().contiguous() for k, v in tensors.items()}, str(tmp))
    tmp.replace(path)


def save_json(data: dict[str, Any], path: str | Path) -> None:
    """Write JSON atomically, pretty-printed so configs diff well in git."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(path)


def load_json(path: str | Path) -> dict[str, Any]:
    """Read a JSON object, with errors that name the file: the bounded reader of
    :func:`models.config.read_config_json` (size, UTF-8, depth, finite and bounded numbers).

    Raises:
        CheckpointError: the file is missing, unreadable or not such a JSON object.
    """
    from models.config import ConfigError, read_config_json

    path = Path(path)
    if not path.exists():
        raise CheckpointError(f"config file {path} does not exist")
    try:
        return read_config_json(path)
    except ConfigError as exc:
        raise CheckpointError(str(exc)) from exc


def prefixed_state(prefix: str, module: nn.Module) -> dict[str, torch.Tensor]:
    """A module's state dict with every key under ``prefix.``."""
    return {f"{prefix}.{k}": v for k, v in module.state_dict().items()}


def load_into(module: nn.Module, tensors: dict[str, torch.Tensor], prefix: str) -> None:
    """Copy ``prefix.*`` tensors into ``module`` after checking names, shapes and dtypes.

    Raises:
        CheckpointError: listing missing, unexpected or mis-shaped tensors, which usually
            means the weights belong to a different config.
    """
    expected = module.state_dict()
    given = {k[len(prefix) + 1 :]: v for k, v in tensors.items() if k.startswith(prefix + ".")}
    missing = sorted(set(expected) - set(given))
    extra = sorted(set(given) - set(expected))
    wrong = sorted(
        f"{k}: file {tuple(given[k].shape)} vs model {tuple(expected[k].shape)}"
        for k in set(expected) & set(given)
        if given[k].shape != expected[k].shape or given[k].dtype != expected[k].dtype
    )
    problems = []
    if missing:
        problems.append(f"missing {missing[:5]}{' …' if len(missing) > 5 else ''}")
    if extra:
        problems.append(f"unexpected {extra[:5]}{' …' if len(extra) > 5 else ''}")
    if wrong:
        problems.append(f"wrong shape/dtype {wrong[:5]}{' …' if len(wrong) > 5 else ''}")
    if problems:
        raise CheckpointError(
            f"weights for '{prefix}' do not match its config ({'; '.join(problems)}); "
            "check that config.json belongs to these weights"
        )
    module.load_state_dict(given, strict=True)


def warm_start(module: nn.Module, tensors: dict[str, torch.Tensor], prefix: str) -> list[str]:
    """Copy the ``prefix.*`` tensors whose name and shape ``module`` shares; everything else
    of ``module`` keeps its initial values. Returns the names left at their initial values.

    Raises:
        CheckpointError: the file has tensors ``module`` lacks or shapes it differs in (it
            belongs to a different network, not to an older version of this one).
    """
    own = module.state_dict()
    given = {k[len(prefix) + 1 :]: v for k, v in tensors.items() if k.startswith(prefix + ".")}
    extra = sorted(set(given) - set(own))
    wrong = sorted(k for k in set(given) & set(own) if given[k].shape != own[k].shape)
    if extra or wrong:
        raise CheckpointError(
            f"cannot start '{prefix}' from these weights: unexpected {extra[:5]}, "
            f"mis-shaped {wrong[:5]}"
        )
    module.load_state_dict({**own, **{k: v.to(own[k].dtype) for k, v in given.items()}})
    return sorted(set(own) - set(given))
