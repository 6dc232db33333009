"""Inference engines: one generator run on one device, batch-invariant bit for bit.

A style's generator is called with batches whose size changes as tracks join and leave, so a
window must give the same picture bits whatever batch it sits in and wherever in it. Both
oneDNN (eager) and inductor (compiled) pick kernels by shape, so each engine pins the shapes
it runs:

- ``eager`` (CPU): eager PyTorch with the style's batch policy (pad to ``min_batch``, or run
  fixed ``chunk``-sized pieces), probed at load (``Style.probe_batch_invariance``).
- ``compiled`` (CPU): an AOTInductor package of the network (:mod:`models.aot`), one for
  every batch size from 1 to :data:`models.aot.MAX_BATCH`, kept in the user's cache folder:
  built once (tens of seconds), then loaded in milliseconds, so a render or a live engine
  starts compiled at once. Measured here (squiggle, bfloat16, 1 thread): a window gives the
  same bits at every batch size. Where a package cannot be made (no C++ compiler, an op
  ``torch.export`` cannot take) the engine falls back to ``torch.compile`` (inductor) with
  static shapes, one graph per size in
  :data:`COMPILED_BUCKETS`; a batch is padded up to the next size and longer batches run in
  pieces of the largest. Measured on a 2-core Xeon (torch 2.13, 1 thread): every size gives
  the same bits for a window (the convolutions are the same oneDNN calls at every size here,
  the norms are per-sample reductions), 1.6–1.8× eager at batch 1, ~1.4× at 8. The graphs are
  kept in PyTorch's on-disk cache: cold, each size costs ~15 s to build; warm, ~4 s for the
  first and ~1 s for each other. Compiled pictures differ from eager ones by ≤ 1.2e-5 in the
  float field (at most one uint8 step). That holds with 1 torch thread (the bridge's
  generator processes use 1); with 2, inductor's parallel kernels gave batch-dependent bits
  here, so a build is probed and falls back to one fixed size (16, padded) or refuses. The
  bits also differ between thread counts, and the on-disk cache is per thread count.
- ``live``: ``eager`` pictures at once while the compiled graphs are built on a background
  thread, then ``compiled`` for good; the bits may change once, at that switch. For live
  shows only: an offline render must use one engine throughout (``compiled`` or ``eager``).
- ``auto``: ``compiled`` on the CPU, ``eager`` on a GPU.

On CUDA and MPS every call runs fixed chunks of :data:`GPU_CHUNK` windows (padded), so the
GPU kernels see one shape (batch invariance by construction), under float16 autocast
(convolutions in half precision, norms and the descriptor maths in float32) unless
``precision="float32"``. Windows go up through a pinned staging buffer (CUDA) in one copy per
chunk and pictures come back the same way.

A generator with an expression head (:mod:`models.expression`) takes a second input, one
head strength per window (``(B,)``, a share of the style's: the live show's per-layer
``expression``). Every engine passes it, padding with 1.0, and the compiled graphs take it
as an input, so one graph serves every strength; a strength of 1.0 gives the same bits as
the head alone (:func:`models.expression.express`).
"""

from __future__ import annotations

import copy
import logging
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch
from torch import nn

from models.style_interface import head_strengths

log = logging.getLogger(__name__)

DEVICES = ("auto", "cpu", "cuda", "mps")
ENGINES = ("auto", "eager", "compiled", "live", "cached")
PRECISIONS = ("auto", "fast", "float32", "float16", "bfloat16")
#: Static batch sizes the compiled CPU engine is built for.
COMPILED_BUCKETS: tuple[int, ...] = (1, 2, 4, 8, 16)
#: Windows per call on a GPU: one batch serves up to this many tracks.
GPU_CHUNK = 32
#: Seconds a ``live`` engine's package build (a process of its own) may take.
BUILD_TIMEOUT = 900.0
#: Interpreter switch interval (s) while a ``live`` engine compiles beside served calls.
LIVE_SWITCH_INTERVAL = 0.00005
#: Padding windows are silence at the bottom of the dB range.
PAD_VALUE = -1.0
#: The head strength of padding windows and of calls that give none.
PAD_STRENGTH = 1.0


class InferenceError(RuntimeError):
    """An engine or device was asked for that this machine cannot provide."""


def resolve_device(device: str = "auto") -> torch.device:
    """``"auto"`` → CUDA if ``torch.cuda.is_available()``, else MPS if available, else CPU;
    ``"cpu"``, ``"cuda"``, ``"mps"`` as named.

    Raises:
        ValueError: an unknown device name.
        InferenceError: ``"cuda"`` or ``"mps"`` on a machine without one (use ``"auto"``).
    """
    if device not in DEVICES:
        raise ValueError(f"device must be one of {DEVICES}, got {device!r}")
    if device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise InferenceError("device 'cuda' asked for, but torch sees no CUDA GPU; use 'auto'")
    if device == "mps" and not mps_available():
        raise InferenceError("device 'mps' asked for, but torch sees no MPS device; use 'auto'")
    return torch.device(device)


def mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def resolve_engine(engine: str, device: torch.device) -> str:
    """The engine ``engine`` means on ``device``: ``"auto"`` is ``"compiled"`` on the CPU and
    ``"eager"`` on a GPU (unmeasured there; ``bench/gpu_check.py`` compares both).

    Raises:
        ValueError: an unknown engine name.
    """
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}")
    if engine == "auto":
        return "compiled" if device.type == "cpu" else "eager"
    return engine


def resolve_precision(precision: str, device: torch.device) -> torch.dtype:
    """``"auto"``: float16 on CUDA and MPS, float32 on the CPU (half is slower there).
    ``"bfloat16"``: a CPU's convolutions in bfloat16 (:mod:`models.low_precision`), where it
    has native bfloat16 (AMX-BF16 or AVX512-BF16). ``"fast"`` (the shows' default): as
    ``"auto"``, but bfloat16 on a CPU that has it natively.

    Raises:
        ValueError: an unknown precision, float16 asked for on the CPU or bfloat16 on a GPU.
        InferenceError: bfloat16 on a CPU without native bfloat16 (it would be slower).
    """
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    if precision == "fast" and device.type == "cpu":
        from models.low_precision import bfloat16_supported

        return torch.bfloat16 if bfloat16_supported() else torch.float32
    if precision in ("auto", "fast"):
        return torch.float32 if device.type == "cpu" else torch.float16
    if precision == "float16" and device.type == "cpu":
        raise ValueError("float16 is for GPUs; on the CPU use float32 or bfloat16")
    if precision == "bfloat16":
        if device.type != "cpu":
            raise ValueError("bfloat16 is for CPUs; on a GPU use float16")
        from models.low_precision import bfloat16_supported

        if not bfloat16_supported():
            raise InferenceError(
                "precision bfloat16 asked for, but this CPU has no native bfloat16 "
                "(AMX-BF16 or AVX512-BF16), where it would run slower; use float32"
            )
        return torch.bfloat16
    return torch.float16 if precision == "float16" else torch.float32


def bucket_for(n: int, buckets: tuple[int, ...] | None = None) -> int:
    """The smallest bucket (default :data:`COMPILED_BUCKETS`) that holds ``n`` windows (the
    largest if none does)."""
    sizes = COMPILED_BUCKETS if buckets is None else buckets
    return next((b for b in sizes if b >= n), sizes[-1])


def _allow_recompiles() -> None:
    """Room in dynamo's per-function cache for every style's graphs: all generators share
    ``forward``'s code, so each style and size is one more entry, and past the limit (8 by
    default) dynamo would silently run eager, changing the bits."""
    config = torch._dynamo.config
    for name in ("recompile_limit", "cache_size_limit"):
        if hasattr(config, name):
            setattr(config, name, max(getattr(config, name), 1024))
    if hasattr(config, "accumulated_recompile_limit"):
        config.accumulated_recompile_limit = max(config.accumulated_recompile_limit, 4096)


def _padded(part: torch.Tensor, target: int, value: float = PAD_VALUE) -> torch.Tensor:
    n = part.shape[0]
    if n >= target:
        return part
    pad = torch.full((target - n, *part.shape[1:]), value, dtype=part.dtype)
    return torch.cat([part, pad])


def takes_strength(net: nn.Module) -> bool:
    """Whether ``net`` ends in an expression head whose strength a call may set
    (:meth:`models.networks.ResnetGenerator.forward`)."""
    return float(getattr(net, "expression", 0.0)) > 0.0


class Runner:
    """Runs one generator on one device: fields ``(B, S, S)`` float32 in → ``(B, S, S)``
    float32 out, the same bits for a window (and head strength) in any batch at any position
    (per device type, engine, torch version and thread count).

    Args:
        net: the generator, ``(B, 1, S, S)`` → ``(B, 1, S, S)``; moved to ``device``. One
            with an expression head (:func:`takes_strength`) is also given ``(B,)`` head
            strengths.
        device: a resolved device (:func:`resolve_device`).
        engine: ``"eager"``, ``"compiled"``, ``"live"`` or ``"cached"`` (compiled where the
            cache holds this network's package, else eager for good: never built; an
            offline render that is too short to pay for a build) (:func:`resolve_engine`
            first).
        min_batch, chunk: the CPU eager batch policy (see :class:`models.style.Style`).
        precision: a resolved dtype (:func:`resolve_precision`).
        input_shape: ``(H, W)`` of one input field (the compiled graphs are built for it).
        builder: for ``live`` on the CPU, a command (argv) that builds this network's
            package into the cache in a process of its own (:func:`models.aot.main`), run
            in the background when the package is not there yet; without it a ``live``
            runner builds ``torch.compile``'s graphs on a background thread.

    Raises:
        InferenceError: ``compiled`` asked for but ``torch.compile`` fails here.
    """

    def __init__(
        self,
        net: nn.Module,
        *,
        device: torch.device,
        engine: str = "eager",
        min_batch: int = 1,
        chunk: int | None = None,
        precision: torch.dtype = torch.float32,
        input_shape: tuple[int, int] = (64, 64),
        builder: Sequence[str] | None = None,
    ) -> None:
        if engine not in ENGINES or engine == "auto":
            raise ValueError(f"engine must be resolved first, got {engine!r}")
        self.device = device
        self.input_shape = input_shape
        self.precision = precision
        self.min_batch, self.chunk = min_batch, chunk
        if device.type == "cpu" and precision == torch.bfloat16:
            from models.low_precision import LowPrecisionError, low_precision_generator

            try:  # the convolutions in bfloat16; the rest of the network as it is
                net = low_precision_generator(net, require=True)  # type: ignore[arg-type]
            except LowPrecisionError as exc:
                raise InferenceError(str(exc)) from exc
        self.net = net.to(device).eval()
        #: Whether calls hand the network a head strength per window.
        self.strength = takes_strength(net)
        self.requested = engine
        self._compiled: Callable[..., torch.Tensor] | None = None
        self._lock = threading.Lock()
        self.ready = threading.Event()  # set when the requested engine runs
        #: Seconds spent building (or loading) the compiled engine (0 for eager).
        self.compile_seconds = 0.0
        #: What the compiled engine runs: ``"package (cached)"`` or ``"package (built)"``
        #: (an AOTInductor package, CPU), ``"torch.compile"``, or "" before it is built.
        self.compiled_by = ""
        self._staging: torch.Tensor | None = None
        #: Batch sizes of the compiled graphs: :data:`COMPILED_BUCKETS` on the CPU (one
        #: size, the largest, where the sizes disagree), :data:`GPU_CHUNK` on a GPU.
        self.buckets: tuple[int, ...] = COMPILED_BUCKETS if device.type == "cpu" else (GPU_CHUNK,)
        if device.type == "cuda":
            torch.backends.cudnn.benchmark = False  # no timing-dependent kernel choice
            torch.backends.cudnn.deterministic = True
        #: The package file this runner's compiled engine runs or will run (CPU), once known.
        self.package_path: Path | None = None
        self.builder = builder
        if engine == "eager":
            self.ready.set()
            return
        started = time.perf_counter()
        compiled = self._package(build=engine == "compiled") if device.type == "cpu" else None
        if compiled is not None:
            self._adopt(compiled, started)
        elif engine == "cached":  # no package here: eager, for good
            self.ready.set()
        elif engine == "compiled":
            self.package_path = None  # torch.compile's graphs serve instead
            self._build()
        else:
            threading.Thread(target=self._build_quietly, name="compile", daemon=True).start()

    @property
    def engine(self) -> str:
        """The engine running now: ``"eager"`` or ``"compiled"``."""
        return "compiled" if self._compiled is not None else "eager"

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the requested engine (a ``live`` runner's compile); True if it runs."""
        return self.ready.wait(timeout)

    def _build(self) -> None:
        """``torch.compile``'s graphs, probed and adopted (the fallback where no package is)."""
        started = time.perf_counter()
        self._adopt(self._inductor_graphs(), started)

    def _adopt(self, compiled: Callable[..., torch.Tensor], started: float) -> None:
        """Probe ``compiled`` for batch invariance (CPU) and run it from the next call."""
        if self.device.type == "cpu" and not self._invariant(compiled):
            # Measured with 2 threads: inductor's parallel kernels split work by the batch
            # size. One fixed size is invariant by construction if positions agree.
            self.buckets = (max(self.buckets),)
            if not self._invariant(compiled):
                raise InferenceError(
                    f"compiled pictures depend on the batch here ({torch.get_num_threads()} "
                    "threads); use engine 'eager' or 1 thread"
                )
            log.info("compiled engine: fixed batches of %d keep pictures invariant", *self.buckets)
        self.compile_seconds = time.perf_counter() - started
        with self._lock:
            self._compiled = compiled
        self.ready.set()
        log.info("compiled engine (%s) ready in %.1f s", self.compiled_by, self.compile_seconds)

    def _package(self, build: bool) -> Callable[..., torch.Tensor] | None:
        """The network as an AOTInductor package from the disk cache (:mod:`models.aot`),
        built here first where it is missing if ``build``; None where there is none (then
        :attr:`package_path` says where a build would put it) or none can be made here.

        Runs on the calling thread before any picture: exporting and building disturb the
        bits of eager calls running meanwhile on other threads."""
        from models import aot

        example = self._inputs(torch.full((2, 1, *self.input_shape), PAD_VALUE), None)
        try:
            self.package_path = aot.package_path(self.net, example)
            run = aot.load(self.package_path)
            cached = run is not None
            if run is None and build:
                with warnings.catch_warnings():  # torch's own deprecations, inside export
                    warnings.simplefilter("ignore", FutureWarning)
                    aot.build(aot.export(copy.deepcopy(self.net), example), self.package_path)
                run = aot.load(self.package_path)
        except Exception as exc:  # no C++ compiler, an op export cannot take, …
            log.info("no compiled package (%s: %s); using torch.compile", type(exc).__name__, exc)
            self.package_path = None
            return None
        if run is None:
            return None
        self._use_package(cached)
        return run

    def _use_package(self, cached: bool) -> None:
        from models.aot import MAX_BATCH

        self.compiled_by = "package (cached)" if cached else "package (built)"
        self.buckets = tuple(range(1, MAX_BATCH + 1))  # every size: nothing padded

    def _inductor_graphs(self) -> Callable[..., torch.Tensor]:
        """``torch.compile``'s graphs, one per size in :attr:`buckets`, built now."""
        _allow_recompiles()
        self.compiled_by = "torch.compile"
        try:
            compiled = torch.compile(self.net, dynamic=False)
            shape = (1, *self.input_shape)
            half = self.device.type != "cpu" and self.precision == torch.float16
            with (
                torch.inference_mode(),
                torch.autocast(self.device.type, dtype=torch.float16, enabled=half),
            ):  # as :meth:`run` calls it, so the graphs' guards hold
                for size in self.buckets:
                    inputs = self._inputs(torch.full((size, *shape), PAD_VALUE), None)
                    compiled(*(a.to(self.device) for a in inputs))
        except Exception as exc:  # inductor needs a C++ compiler (CPU) or triton (GPU)
            raise InferenceError(
                f"torch.compile failed here ({type(exc).__name__}: {exc})"
            ) from exc
        return compiled

    def _invariant(self, compiled: Callable, probes: int = 8, seed: int = 0) -> bool:
        """True if random fields give the same bits alone, together, shifted in position
        and split unevenly, through ``compiled`` with the current :attr:`buckets`."""
        rng = np.random.default_rng(seed)
        x = torch.from_numpy(
            rng.uniform(-1.0, 1.0, (probes, 1, *self.input_shape)).astype(np.float32)
        )
        s = torch.from_numpy(rng.uniform(0.0, 1.0, probes).astype(np.float32))

        def run(rows: slice | torch.Tensor) -> np.ndarray:
            return self._run_buckets(x[rows], s[rows] if self.strength else None, compiled)

        shifted = torch.roll(torch.arange(probes), 3)
        with torch.inference_mode():
            alone = np.concatenate([run(slice(i, i + 1)) for i in range(probes)])
            others = (
                run(slice(None)),
                np.roll(run(shifted), -3, axis=0),
                np.concatenate([run(slice(0, 3)), run(slice(3, None))]),
            )
        return all(np.array_equal(alone, other) for other in others)

    def _build_quietly(self) -> None:
        """A ``live`` runner's compile, on a background thread while eager pictures are
        served: the package built by :attr:`builder` in a process of its own, then loaded;
        else ``torch.compile``'s graphs built here."""
        started = time.perf_counter()
        if self.package_path is not None and self.builder is not None:
            run = self._package_from_builder()
            if run is not None:
                try:
                    self._adopt(run, started)
                    return
                except InferenceError as exc:
                    log.warning("%s; trying torch.compile", exc)
                    self.buckets = COMPILED_BUCKETS
        # Tracing is Python that holds the interpreter lock; at the default 5-ms switch
        # interval each of an eager call's many lock hand-overs waits that long: batches of
        # 4 served meanwhile in a generator process took up to 1.4 s instead of 30 ms.
        # With 50 µs while compiling they took 65–95 ms (measured, squiggle, 2 cores).
        interval = sys.getswitchinterval()
        sys.setswitchinterval(min(interval, LIVE_SWITCH_INTERVAL))
        try:
            self._build()
        except InferenceError as exc:
            log.warning("%s; staying on eager pictures", exc)
        finally:
            sys.setswitchinterval(interval)

    def _package_from_builder(self) -> Callable[..., torch.Tensor] | None:
        """Run :attr:`builder` (a command that writes this runner's package into the
        cache) and load what it wrote; None if it failed or wrote another package."""
        from models import aot

        assert self.package_path is not None and self.builder is not None
        deadline = time.monotonic() + BUILD_TIMEOUT
        while aot.being_built(self.package_path) and time.monotonic() < deadline:
            time.sleep(1.0)  # another process builds this very package: wait for it
        run = aot.load(self.package_path)
        if run is not None:
            self._use_package(cached=False)
            return run
        try:
            done = subprocess.run(
                list(self.builder), capture_output=True, text=True, timeout=BUILD_TIMEOUT
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            log.warning("building the compiled package failed (%s)", exc)
            return None
        if done.returncode != 0:
            last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            log.warning("building the compiled package failed: %s", last[0])
            return None
        run = aot.load(self.package_path)
        if run is None:
            log.warning("the builder wrote no package at %s", self.package_path)
            return None
        self._use_package(cached=False)
        return run

    def run(self, batch: np.ndarray, strength: np.ndarray | None = None) -> np.ndarray:
        """Fields ``(B, S, S)`` float32 → ``(B, S, S)`` float32 (host memory).

        ``strength``: ``(B,)`` head strengths in [0, 1] (None: 1.0 for all); ignored by a
        network without a head.

        Raises:
            ValueError: ``strength`` is not one finite value in [0, 1] per field.
        """
        x = torch.from_numpy(np.ascontiguousarray(batch, dtype=np.float32)).unsqueeze(1)
        s = None
        if strength is not None and self.strength:
            s = torch.from_numpy(head_strengths(strength, x.shape[0]))
        with self._lock:
            compiled = self._compiled  # one engine for the whole call
        with torch.inference_mode():
            if self.device.type != "cpu":
                return self._run_gpu(x, s, compiled or self.net)
            if compiled is not None:
                return self._run_buckets(x, s, compiled)
            return self._run_eager(x, s)

    def _inputs(
        self, x: torch.Tensor, s: torch.Tensor | None, n: int | None = None
    ) -> tuple[torch.Tensor, ...]:
        """The network's arguments for windows ``x`` whose first ``n`` (all when None) are
        real: ``(x,)``, or ``(x, strengths)`` for a network with a head (``s`` for the real
        ones, :data:`PAD_STRENGTH` for the rest and where ``s`` is None)."""
        if not self.strength:
            return (x,)
        n = x.shape[0] if n is None else n
        strengths = torch.full((x.shape[0],), PAD_STRENGTH)
        if s is not None:
            strengths[:n] = s
        return (x, strengths)

    def _run_eager(self, x: torch.Tensor, s: torch.Tensor | None) -> np.ndarray:
        size = self.chunk or max(1, x.shape[0])
        outs = []
        for start in range(0, x.shape[0], size):
            part = x[start : start + size]
            n = part.shape[0]
            padded = _padded(part, self.chunk or max(n, self.min_batch))
            rows = None if s is None else s[start : start + size]
            outs.append(self.net(*self._inputs(padded, rows, n))[:n, 0])
        return torch.cat(outs).numpy()

    def _run_buckets(
        self, x: torch.Tensor, s: torch.Tensor | None, compiled: Callable
    ) -> np.ndarray:
        largest = max(self.buckets)
        outs = []
        for start in range(0, x.shape[0], largest):
            part = x[start : start + largest]
            n = part.shape[0]
            # A fresh contiguous tensor of exactly a bucket's shape, as at build time: a view
            # (other strides or offset) would fail the graph's guards and recompile.
            fresh = torch.full((bucket_for(n, self.buckets), *part.shape[1:]), PAD_VALUE)
            fresh[:n] = part
            rows = None if s is None else s[start : start + largest]
            outs.append(compiled(*self._inputs(fresh, rows, n))[:n, 0].clone())
        return torch.cat(outs).numpy()

    def _run_gpu(self, x: torch.Tensor, s: torch.Tensor | None, net: Callable) -> np.ndarray:
        n_all = x.shape[0]
        out = np.empty((n_all, *x.shape[2:]), np.float32)
        if self._staging is None:
            staging = torch.empty((GPU_CHUNK, *x.shape[1:]), dtype=torch.float32)
            self._staging = staging.pin_memory() if self.device.type == "cuda" else staging
        half = self.precision == torch.float16
        for start in range(0, n_all, GPU_CHUNK):
            part = x[start : start + GPU_CHUNK]
            n = part.shape[0]
            self._staging[:n].copy_(part)
            self._staging[n:].fill_(PAD_VALUE)
            up = self._staging.to(self.device, non_blocking=True)
            rows = None if s is None else s[start : start + GPU_CHUNK]
            args = tuple(a.to(self.device) for a in self._inputs(up, rows, n)[1:])
            with torch.autocast(self.device.type, dtype=torch.float16, enabled=half):
                y = net(up, *args)
            out[start : start + n] = y[:n, 0].float().cpu().numpy()
        return out
