"""Inference engines: one generator run on one device, batch-invariant bit for bit.

A style's generator is called with batches whose size changes as tracks join and leave, so a
window must give the same picture bits whatever batch it sits in and wherever in it. Both
oneDNN (eager) and inductor (compiled) pick kernels by shape, so each engine pins the shapes
it runs:

- ``eager`` (CPU): eager PyTorch with the style's batch policy (pad to ``min_batch``, or run
  fixed ``chunk``-sized pieces), probed at load (``Style.probe_batch_invariance``).
- ``compiled`` (CPU): ``torch.compile`` (inductor) with static shapes, one graph per size in
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

import logging
import sys
import threading
import time
from collections.abc import Callable

import numpy as np
import torch
from torch import nn

log = logging.getLogger(__name__)

DEVICES = ("auto", "cpu", "cuda", "mps")
ENGINES = ("auto", "eager", "compiled", "live")
PRECISIONS = ("auto", "fast", "float32", "float16", "bfloat16")
#: Static batch sizes the compiled CPU engine is built for.
COMPILED_BUCKETS: tuple[int, ...] = (1, 2, 4, 8, 16)
#: Windows per call on a GPU: one batch serves up to this many tracks.
GPU_CHUNK = 32
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


def head_strengths(expression: float | np.ndarray | list[float], count: int) -> np.ndarray:
    """``count`` head strengths (a writable float32 ``(count,)`` copy) from one value for
    all or one per window.

    Raises:
        ValueError: another number of values, or a value outside [0, 1] (NaN included).
    """
    values = np.asarray(expression, np.float32)
    if values.ndim > 1 or (values.ndim == 1 and values.shape != (count,)):
        raise ValueError(f"expected one expression or {count}, got shape {values.shape}")
    if not np.all((values >= 0.0) & (values <= 1.0)):
        raise ValueError("expression must be in [0, 1] (a share of the style's head)")
    return np.array(np.broadcast_to(values, (count,)))


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
        engine: ``"eager"``, ``"compiled"`` or ``"live"`` (:func:`resolve_engine` first).
        min_batch, chunk: the CPU eager batch policy (see :class:`models.style.Style`).
        precision: a resolved dtype (:func:`resolve_precision`).
        input_shape: ``(H, W)`` of one input field (the compiled graphs are built for it).

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
    ) -> None:
        if engine not in ("eager", "compiled", "live"):
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
        #: Seconds spent building compiled graphs (0 for eager).
        self.compile_seconds = 0.0
        self._staging: torch.Tensor | None = None
        #: Batch sizes of the compiled graphs: :data:`COMPILED_BUCKETS` on the CPU (one
        #: size, the largest, where the sizes disagree), :data:`GPU_CHUNK` on a GPU.
        self.buckets: tuple[int, ...] = COMPILED_BUCKETS if device.type == "cpu" else (GPU_CHUNK,)
        if device.type == "cuda":
            torch.backends.cudnn.benchmark = False  # no timing-dependent kernel choice
            torch.backends.cudnn.deterministic = True
        if engine == "eager":
            self.ready.set()
        elif engine == "compiled":
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
        started = time.perf_counter()
        _allow_recompiles()
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
        log.info("compiled graphs ready in %.1f s", self.compile_seconds)

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
