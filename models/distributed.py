"""Process-group setup for ``torchrun``: who am I, and should I write files?

Under ``torchrun`` the environment carries ``RANK``, ``WORLD_SIZE`` and ``LOCAL_RANK``; we
then join a process group (gloo on CPU, NCCL on CUDA) and wrap the networks in DDP. Only
rank 0 writes checkpoints, logs, sample grids and the finished style.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class DistContext:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @classmethod
    def from_env(cls) -> DistContext:
        world = int(os.environ.get("WORLD_SIZE", "1"))
        return cls(
            rank=int(os.environ.get("RANK", "0")),
            world_size=world,
            local_rank=int(os.environ.get("LOCAL_RANK", "0")),
        )


def select_device(name: str, ctx: DistContext) -> torch.device:
    """``auto`` picks CUDA, then MPS, then CPU; explicit names are checked, not trusted."""
    if name == "auto":
        if torch.cuda.is_available():
            name = "cuda"
        elif getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            name = "mps"
        else:
            name = "cpu"
    if name == "cuda":
        if not torch.cuda.is_available():
            raise RuntimeError("--device cuda requested but CUDA is not available; use cpu")
        return torch.device("cuda", ctx.local_rank % torch.cuda.device_count())
    if name == "mps":
        if not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
            raise RuntimeError("--device mps requested but MPS is not available; use cpu")
        return torch.device("mps")
    if name != "cpu":
        raise ValueError(f"unknown device {name!r}; choose auto, cpu, cuda or mps")
    return torch.device("cpu")


def init_process_group(ctx: DistContext, device: torch.device) -> None:
    if ctx.enabled and not torch.distributed.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        torch.distributed.init_process_group(backend=backend)


def destroy_process_group(ctx: DistContext, *, together: bool = False) -> None:
    """Leave the process group. ``together`` first waits for every rank (after a run that
    ended normally): rank 0 still writes its checkpoint and style when the others are done,
    and a rank that tears its connections down while a peer is still busy can make gloo
    abort that peer. After an error nobody waits, since a peer may never arrive."""
    if ctx.enabled and torch.distributed.is_initialized():
        if together:
            torch.distributed.barrier()
        torch.distributed.destroy_process_group()


def mean_across(values: dict[str, float], ctx: DistContext) -> dict[str, float]:
    """Average logged losses over ranks, so rank 0's log describes the whole job."""
    if not ctx.enabled:
        return values
    names = sorted(values)
    tensor = torch.tensor([values[n] for n in names], dtype=torch.float64)
    torch.distributed.all_reduce(tensor)
    return {n: float(v) / ctx.world_size for n, v in zip(names, tensor, strict=True)}
