"""Resumable training state without pickle: nets, Adam moments and counters.

``torch.save`` would pickle optimiser state; instead Adam's per-parameter tensors go into a
safetensors file under ``<optimiser>.<param index>.<name>`` and the scalar bookkeeping
(param groups, epoch, step, config) into JSON. Loading rebuilds the state dict by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from models.checkpoint import (
    CheckpointError,
    load_into,
    load_json,
    load_tensors,
    prefixed_state,
    save_json,
    save_tensors,
)
from models.config import TrainConfig

NETS_FILE = "nets.safetensors"
OPTIM_FILE = "optim.safetensors"
STATE_FILE = "state.json"


@dataclass
class Progress:
    """Where a run stands: ``epoch`` epochs are complete, ``step`` optimiser steps taken."""

    epoch: int = 0
    step: int = 0


def optimizer_tensors(prefix: str, opt: torch.optim.Optimizer) -> dict[str, torch.Tensor]:
    state = opt.state_dict()
    out = {}
    for index, slots in state["state"].items():
        for key, value in slots.items():
            tensor = value if torch.is_tensor(value) else torch.tensor(float(value))
            out[f"{prefix}.{index}.{key}"] = tensor
    return out


def optimizer_groups(opt: torch.optim.Optimizer) -> list[dict[str, Any]]:
    groups = opt.state_dict()["param_groups"]
    return [{k: (list(v) if isinstance(v, tuple) else v) for k, v in g.items()} for g in groups]


def restore_optimizer(
    opt: torch.optim.Optimizer,
    prefix: str,
    tensors: dict[str, torch.Tensor],
    groups: list[dict[str, Any]],
) -> None:
    state: dict[int, dict[str, torch.Tensor]] = {}
    for key, value in tensors.items():
        if not key.startswith(prefix + "."):
            continue
        _, index, slot = key.split(".", 2)
        state.setdefault(int(index), {})[slot] = value
    fixed = [{k: (tuple(v) if k == "betas" else v) for k, v in g.items()} for g in groups]
    try:
        opt.load_state_dict({"state": state, "param_groups": fixed})
    except (ValueError, KeyError) as exc:
        raise CheckpointError(f"optimiser state '{prefix}' does not fit: {exc}") from exc


def save_state(
    folder: Path,
    nets: dict[str, torch.nn.Module],
    optimizers: dict[str, torch.optim.Optimizer],
    progress: Progress,
    cfg: TrainConfig,
) -> None:
    """Write a complete resumable checkpoint into ``folder`` (state.json written last, so a
    crash mid-save leaves the previous state.json pointing at consistent files... or none)."""
    folder.mkdir(parents=True, exist_ok=True)
    weights: dict[str, torch.Tensor] = {}
    for name, net in nets.items():
        weights.update(prefixed_state(name, net))
    save_tensors(weights, folder / NETS_FILE)
    moments: dict[str, torch.Tensor] = {}
    for name, opt in optimizers.items():
        moments.update(optimizer_tensors(name, opt))
    save_tensors(moments, folder / OPTIM_FILE)
    save_json(
        {
            "epoch": progress.epoch,
            "step": progress.step,
            "config": cfg.to_dict(),
            "param_groups": {name: optimizer_groups(opt) for name, opt in optimizers.items()},
        },
        folder / STATE_FILE,
    )


def has_state(folder: Path) -> bool:
    return (folder / STATE_FILE).is_file()


def saved_config(folder: Path) -> TrainConfig:
    return TrainConfig.from_dict(load_json(folder / STATE_FILE)["config"])


def load_state(
    folder: Path,
    nets: dict[str, torch.nn.Module],
    optimizers: dict[str, torch.optim.Optimizer],
) -> Progress:
    """Load weights and optimiser moments saved by :func:`save_state` into live objects."""
    meta = load_json(folder / STATE_FILE)
    weights = load_tensors(folder / NETS_FILE)
    for name, net in nets.items():
        load_into(net, weights, name)
    moments = load_tensors(folder / OPTIM_FILE)
    try:
        for name, opt in optimizers.items():
            restore_optimizer(opt, name, moments, meta["param_groups"][name])
        return Progress(epoch=int(meta["epoch"]), step=int(meta["step"]))
    except (KeyError, TypeError, ValueError) as exc:  # a damaged or foreign state file
        raise CheckpointError(
            f"{folder / STATE_FILE}: not a training state this version wrote ({exc!r}); "
            "start a new run or restore the file"
        ) from exc
