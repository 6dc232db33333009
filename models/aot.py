"""Ahead-of-time compiled generators: AOTInductor packages in a disk cache.

``torch.compile`` traces and builds its graphs again in every process: with PyTorch's own
disk cache warm, a style's five CPU batch sizes took ~12 s to be ready (the offline render's
start-up and the live engine's switch). An AOTInductor package (``torch.export`` then
``torch._inductor.aoti_compile_and_package``; PyTorch docs, "AOTInductor") is a shared library
with the weights beside it; loading one takes milliseconds. One package serves every batch
size from 1 to :data:`MAX_BATCH` (the batch is a dynamic dimension of the export), so no
window is padded to a bucket.

Packages live in ``<cache>/compiled/<key>.pt2`` (:func:`models.paths.user_cache_dir`). The
key is a SHA-256 of what decides the machine code and its bits, computed without exporting:
the network's structure and every weight (names, dtypes, shapes, bytes), the source of the
``models`` package, the input shapes, torch's version, the CPU's instruction set as torch
sees it and the thread count. A changed network, new
weights, another precision or another torch builds a new package; a file that fails to load
is rebuilt. A package is written to a temporary name and renamed into place, so processes
building the same one at once never read half a file.

Whether a package gives the same bits for a window in any batch is not assumed: the caller
(:class:`models.inference.Runner`) probes it as it probes ``torch.compile``'s graphs.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import platform
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from models.paths import user_cache_dir

log = logging.getLogger(__name__)

#: The largest batch one package takes; longer batches run in pieces of this size.
MAX_BATCH = 32
#: Package file suffix (PyTorch's name for AOTInductor packages).
SUFFIX = ".pt2"


@dataclass(frozen=True)
class Package:
    """A loaded package: ``run(*inputs)`` as the network's forward, for batches of 1 to
    :data:`MAX_BATCH`; ``path`` its file; ``cached`` whether it was loaded rather than built;
    ``seconds`` the time to export and build or load it."""

    run: Callable[..., torch.Tensor]
    path: Path
    cached: bool
    seconds: float


def cache_folder() -> Path:
    """Where packages are kept: ``<user cache>/compiled``."""
    return user_cache_dir() / "compiled"


def _hash_tensor(digest: hashlib._Hash, name: str, tensor: torch.Tensor) -> None:
    data = tensor.detach().to("cpu").contiguous()
    digest.update(f"{name}|{data.dtype}|{tuple(data.shape)}|".encode())
    digest.update(data.reshape(-1).view(torch.uint8).numpy().tobytes() if data.numel() else b"")


def _source_digest() -> str:
    """SHA-256 of every Python file of the ``models`` package (not its subpackages): the
    networks' code and everything they call. Any change there keys new packages, a rebuild
    rather than a stale package drawing other bits."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).resolve().parent.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def package_key(net: nn.Module, example: tuple[torch.Tensor, ...]) -> str:
    """The cache key of ``net`` called with inputs shaped like ``example`` on this machine
    and torch (64 hex digits), computed without exporting (milliseconds): the network's
    structure (its modules' repr), every parameter and buffer (names, dtypes, shapes,
    bytes), the inputs' per-item shapes and dtypes, the ``models`` package's source, torch's
    version, the CPU's instruction set as torch sees it and the thread count."""
    digest = hashlib.sha256()
    digest.update(
        "|".join(
            (
                torch.__version__,
                platform.machine(),
                torch.backends.cpu.get_cpu_capability(),
                str(torch.get_num_threads()),
                str(MAX_BATCH),
                _source_digest(),
                repr(net),
                *(f"{tuple(x.shape[1:])}:{x.dtype}" for x in example),
            )
        ).encode()
    )
    for name, tensor in net.state_dict(keep_vars=False).items():
        _hash_tensor(digest, name, tensor)
    return digest.hexdigest()


def export(net: nn.Module, example: tuple[torch.Tensor, ...]) -> torch.export.ExportedProgram:
    """``net`` exported with the first dimension of every input dynamic (1 … MAX_BATCH).

    ``example``: the network's inputs for a batch of at least 2 (a batch of 1 would be
    specialised to 1)."""
    if example[0].shape[0] < 2:
        raise ValueError("export with an example batch of at least 2")
    batch = torch.export.Dim("batch", min=1, max=MAX_BATCH)
    shapes = tuple({0: batch} for _ in example)
    return torch.export.export(net, example, dynamic_shapes=shapes)


def package_path(
    net: nn.Module, example: tuple[torch.Tensor, ...], folder: Path | None = None
) -> Path:
    """Where the package of ``net`` (called like ``example``) is kept; it may not exist yet."""
    folder = cache_folder() if folder is None else folder
    return folder / f"{package_key(net, example)}{SUFFIX}"


def load(path: Path) -> Callable[..., torch.Tensor] | None:
    """The package at ``path``, or None where there is none or it does not load (a damaged
    or foreign file, which the next build replaces)."""
    if not path.exists():
        return None
    try:
        return _PackageModel(path)
    except Exception as exc:
        log.warning("compiled package %s did not load (%s); it will be built again", path, exc)
        path.unlink(missing_ok=True)  # complete files only ever appear (renamed into place)
        return None


class _PackageModel:
    """A package's model called with its input tensors in order, returning its one output
    tensor: PyTorch's own loader (``torch._inductor.aoti_load_package``) does the same with
    pytree specs, but imports ``torch._dynamo`` first (1.0 s of a generator process's 2.3-s
    start on two cores, ``/tmp``-profiled) and reads the archive twice (0.9 s more); this
    one opens it once (milliseconds).

    Raises:
        RuntimeError: the file is not a package, or its model returns other than one
            tensor.
    """

    def __init__(self, path: Path) -> None:
        self._loader = torch._C._aoti.AOTIModelPackageLoader(str(path), "model", False, 1, -1)
        out_spec = json.loads(self._loader.get_call_spec()[1])
        if out_spec[1].get("type") is not None:  # a leaf: the forward returns one tensor
            raise RuntimeError(f"{path.name}: the model returns more than one tensor")

    def __call__(self, *inputs: torch.Tensor) -> torch.Tensor:
        (output,) = self._loader.boxed_run(list(inputs))
        return output


def build(program: torch.export.ExportedProgram, path: Path) -> None:
    """Compile ``program`` into a package at ``path`` (tens of seconds on two cores),
    written under a temporary name and renamed into place.

    Raises:
        Exception: whatever AOTInductor raises where it cannot work (e.g. no C++ compiler).
    """
    started = time.perf_counter()
    path.parent.mkdir(parents=True, exist_ok=True)
    with _build_lock(path):
        if path.exists():  # another process built it while this one waited
            return
        partial = path.with_name(f"{path.stem}.{os.getpid()}.partial{SUFFIX}")
        try:
            torch._inductor.aoti_compile_and_package(program, package_path=str(partial))
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
    log.info("built compiled package %s in %.1f s", path.name, time.perf_counter() - started)


def being_built(path: Path) -> bool:
    """Whether some process holds the build lock of the package at ``path`` now."""
    try:
        import fcntl
    except ImportError:
        return False
    lock = path.with_name(f"{path.stem}.lock")
    if not lock.exists():
        return False
    with open(lock, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
    return False


@contextmanager
def _build_lock(path: Path) -> Iterator[None]:
    """One builder per package at a time across processes (several generator processes of
    one show may miss the same package at once); a no-op where ``fcntl`` is missing."""
    try:
        import fcntl
    except ImportError:  # Windows: builders may duplicate work, the rename stays atomic
        yield
        return
    with open(path.with_name(f"{path.stem}.lock"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def load_or_build(
    net: nn.Module, example: tuple[torch.Tensor, ...], folder: Path | None = None
) -> Package:
    """The package of ``net`` from ``folder`` (default :func:`cache_folder`), built and kept
    there first if it is not.

    ``example``: inputs for a batch of ≥ 2, as the network is called (CPU tensors). Loading a
    cached package takes milliseconds (the key needs no export). Exporting and building
    change how *other threads'* eager calls compute meanwhile (measured: 310 of 422
    concurrent eager calls gave other bits during exports), so call this where nothing else
    runs the process's networks, or build in another process.

    Raises:
        Exception: whatever ``torch.export`` or AOTInductor raise where they cannot work
            (e.g. no C++ compiler); the caller falls back to another engine.
    """
    started = time.perf_counter()
    path = package_path(net, example, folder)
    run = load(path)
    if run is not None:
        return Package(run, path, True, time.perf_counter() - started)
    build(export(net, example), path)
    run = load(path)
    if run is None:
        raise RuntimeError(f"the package just built at {path} does not load")
    return Package(run, path, False, time.perf_counter() - started)


def build_style(style_dir: Path, threads: int, precision: str) -> Path | None:
    """Build (or find) the package of a style folder's audio→image generator, as a style
    loaded with ``threads`` torch threads and ``precision`` runs it; returns its path, or
    None where the compiled engine runs without one here."""
    from models.style import Style

    style = Style.from_dir(style_dir, threads=threads, engine="compiled", precision=precision)
    return style.package_path


def main(argv: list[str] | None = None) -> int:
    """``python -m models.aot --style-dir DIR --threads N --precision P``: build a style's
    package into the cache, at low priority (a live show starts this beside itself)."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--style-dir", type=Path, required=True)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--precision", default="auto")
    args = parser.parse_args(argv)
    if hasattr(os, "nice"):
        os.nice(10)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    path = build_style(args.style_dir, args.threads, args.precision)
    print(path if path is not None else "no package here (torch.compile serves instead)")
    return 0 if path is not None else 1


if __name__ == "__main__":
    raise SystemExit(main())
