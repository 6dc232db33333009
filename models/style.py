"""Inference: a trained style loaded by name, turning windows into pictures and back.

The live bridge calls :meth:`Style.audio_to_image` with batches of windows from several
tracks whose number changes as tracks join and leave. For bar-to-bar consistency a window
must give the same bytes whatever batch it sits in. The networks are per-sample (instance
norm, no batch statistics), but oneDNN picks convolution kernels by shape: measured here,
batch 1 differs from batches 2–16 by ~1e-6 (enough to flip a uint8 pixel), while batches
2–16, any position and 1 or 2 threads agree bit for bit. So a single window is padded to a
batch of two. Because kernels differ between CPUs, loading a style probes this
(:meth:`Style.probe_batch_invariance`) and, if padding to two is not enough, falls back to
running fixed-size padded chunks, which is invariant by construction.

The networks run through :mod:`models.inference`: ``device`` (``auto|cpu|cuda|mps``) and
``engine`` (``auto|eager|compiled|live``) choose where and how; the bits are deterministic per
device type and engine.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import numpy as np
import torch

from models.analysis import AnalysisConfig
from models.config import StyleConfig
from models.griffinlim import unit_window_to_audio
from models.inference import (
    InferenceError,
    Runner,
    head_strengths,
    resolve_device,
    resolve_engine,
    resolve_precision,
)
from models.networks import ResnetGenerator, count_parameters
from models.paths import check_style_name, find_style_dir
from models.pictures import unit_to_uint8
from models.style_interface import StyleInfo
from models.stylefile import read_style

log = logging.getLogger(__name__)

#: Batch policies tried in order by the load-time probe: (min_batch, fixed chunk or None).
BATCH_POLICIES: tuple[tuple[int, int | None], ...] = ((1, None), (2, None), (8, 8))


class Style:
    """A pair of trained generators plus the analysis window they expect.

    Args:
        cfg: the style's config (analysis window, generator shape).
        g_image: audio→image generator.
        g_audio: image→audio generator.
        folder: where the style was loaded from (for messages).
        policy: ``"auto"`` (probe, then pick the cheapest invariant policy) or an explicit
            ``(min_batch, chunk)`` pair: pad smaller batches to ``min_batch``; if ``chunk``
            is set, run in chunks of exactly that size. Used by the CPU eager engine (also
            while a ``live`` engine compiles); compiled and GPU engines pad to fixed shapes
            of their own (:mod:`models.inference`).
        device: ``"auto"`` (CUDA, else MPS, else CPU), ``"cpu"``, ``"cuda"`` or ``"mps"``.
        engine: ``"eager"`` (the default: no compile), ``"compiled"`` (on the CPU an
            AOTInductor package from the user's cache, :mod:`models.aot`: a second or two to
            export and load, tens of seconds the first time while it is built; elsewhere, or
            where no package can be made, ``torch.compile``: seconds with PyTorch's on-disk
            cache, about 15 s per batch size without), ``"live"`` (compiled at once where
            the package is cached, else eager until it is built in a process of its own,
            then compiled), ``"cached"`` (compiled where the package is cached, else eager;
            nothing is built; :attr:`engine` then says which) or ``"auto"`` (compiled on
            the CPU, eager on a GPU).
        precision: ``"auto"`` (float16 autocast on a GPU, float32 on the CPU),
            ``"float32"``, ``"float16"`` (GPU only) or ``"bfloat16"`` (a CPU with native
            bfloat16: the audio→image convolutions, :mod:`models.low_precision`).

    Raises:
        ValueError: a bad policy, device, engine or precision name.
        models.inference.InferenceError: a device this machine lacks, or ``compiled``
            where ``torch.compile`` fails.
    """

    def __init__(
        self,
        cfg: StyleConfig,
        g_image: ResnetGenerator,
        g_audio: ResnetGenerator,
        folder: Path | None = None,
        policy: tuple[int, int | None] | str = "auto",
        *,
        device: str = "cpu",
        engine: str = "eager",
        precision: str = "auto",
    ) -> None:
        self.config = cfg
        self.folder = folder
        self.g_image = g_image.eval()
        self.g_audio = g_audio.eval()
        for p in [*self.g_image.parameters(), *self.g_audio.parameters()]:
            p.requires_grad_(False)
        self.device = resolve_device(device)
        self.engine = resolve_engine(engine, self.device)
        dtype = resolve_precision(precision, self.device)
        shape = (cfg.image_size, cfg.image_size)
        #: The audio→image generator's precision (the image→audio one stays float32 where
        #: this is bfloat16: only the pictures were measured at it).
        self.precision = str(dtype).removeprefix("torch.")
        audio_dtype = torch.float32 if dtype == torch.bfloat16 else dtype
        self._image = Runner(self.g_image, device=self.device, precision=dtype, input_shape=shape)
        self._audio = Runner(
            self.g_audio, device=self.device, precision=audio_dtype, input_shape=shape
        )
        self.min_batch, self.chunk = 1, None
        if policy == "auto":
            policy = self._choose_policy()
        if (
            not isinstance(policy, tuple)
            or len(policy) != 2
            or int(policy[0]) < 1
            or (policy[1] is not None and int(policy[1]) < 1)
        ):
            raise ValueError(f"policy must be 'auto' or (min_batch, chunk|None), got {policy!r}")
        self.min_batch, self.chunk = int(policy[0]), policy[1]
        if self.engine != "eager":
            self._image = self._engine_runner(engine, dtype, shape)  # probed by the runner
        if self.engine == "cached":
            self.engine = self._image.engine  # what runs, for good

    def _engine_runner(self, engine: str, dtype: torch.dtype, shape: tuple[int, int]) -> Runner:
        builder = None
        if self.folder is not None and self.device.type == "cpu":
            # A live engine builds a missing package in a process of its own; that process
            # loads this folder as this one did, so it exports the same program (same key).
            builder = [
                sys.executable,
                "-m",
                "models.aot",
                "--style-dir",
                str(self.folder),
                "--threads",
                str(torch.get_num_threads()),
                "--precision",
                self.precision,
            ]
        try:
            return Runner(
                self.g_image,
                device=self.device,
                engine=self.engine,
                min_batch=self.min_batch,
                chunk=self.chunk,
                precision=dtype,
                input_shape=shape,
                builder=builder,
            )
        except InferenceError as exc:
            if engine != "auto":
                raise
            log.warning("style %s: %s; using the eager engine", self.name, exc)
            self.engine = "eager"
            return self._image

    def _choose_policy(self) -> tuple[int, int | None]:
        for policy in BATCH_POLICIES:
            self.min_batch, self.chunk = policy
            if self.probe_batch_invariance():
                if policy != BATCH_POLICIES[0]:
                    log.debug(
                        "style %s: batch policy %s keeps outputs invariant", self.name, policy
                    )
                return policy
        log.warning("style %s: no batch policy is bit-exact here; using %s", self.name, policy)
        return BATCH_POLICIES[-1]

    # ----- loading -------------------------------------------------------------------------
    @classmethod
    def load(
        cls,
        name: str,
        *,
        threads: int | None = None,
        policy: tuple[int, int | None] | str = "auto",
        device: str = "cpu",
        engine: str = "eager",
        precision: str = "auto",
    ) -> Style:
        """Load style ``name`` from the user's styles folder or the shipped ones.

        Args:
            name: a style name (``^[a-z0-9][a-z0-9_-]{0,63}$``), e.g. ``"squiggle"``.
            threads: torch intra-op threads for this process (None keeps torch's setting);
                a bridge worker process typically uses 1.
            policy, device, engine, precision: see the class docstring.
        """
        check_style_name(name)
        return cls.from_dir(
            find_style_dir(name),
            threads=threads,
            policy=policy,
            device=device,
            engine=engine,
            precision=precision,
        )

    @classmethod
    def from_dir(
        cls,
        folder: str | Path,
        *,
        threads: int | None = None,
        policy: tuple[int, int | None] | str = "auto",
        device: str = "cpu",
        engine: str = "eager",
        precision: str = "auto",
    ) -> Style:
        """Load a style folder (``config.json`` + ``weights.safetensors``); the other
        arguments as :meth:`load`."""
        if threads is not None:
            torch.set_num_threads(int(threads))
        cfg, g_image, g_audio = read_style(Path(folder))
        return cls(
            cfg,
            g_image,
            g_audio,
            Path(folder),
            policy,
            device=device,
            engine=engine,
            precision=precision,
        )

    # ----- properties ----------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.config.name

    @property
    def analysis(self) -> AnalysisConfig:
        """The analysis window this style was trained on; feed it exactly these windows."""
        return self.config.analysis

    @property
    def input_shape(self) -> tuple[int, int]:
        return (self.analysis.n_mels, self.analysis.n_frames)

    def info(self) -> StyleInfo:
        return StyleInfo(
            name=self.name,
            folder=str(self.folder),
            parameters=count_parameters(self.g_image),
            macs_per_image=count_macs(self.g_image, self.config.image_size),
            image_size=self.config.image_size,
            min_batch=self.min_batch,
            chunk=self.chunk,
            analysis=self.analysis,
            descriptors=self.config.descriptors,
            device=self.device.type,
            engine=self.engine,
            precision=self.precision,
        )

    # ----- inference -----------------------------------------------------------------------
    @property
    def running_engine(self) -> str:
        """The engine drawing pictures now: ``"eager"`` or ``"compiled"`` (a ``live`` style
        switches from the first to the second once its graphs are built)."""
        return self._image.engine

    @property
    def package_path(self) -> Path | None:
        """The compiled package the audio→image generator runs or will run (CPU
        ``compiled``/``live`` engines, :mod:`models.aot`); None for eager or without one."""
        return self._image.package_path

    def wait_for_engine(self, timeout: float | None = None) -> bool:
        """Wait until the requested engine runs (a ``live`` style's compile); True if so."""
        return self._image.wait(timeout)

    def _run(
        self, net: ResnetGenerator, batch: np.ndarray, strength: np.ndarray | None = None
    ) -> np.ndarray:
        runner = self._image if net is self.g_image else self._audio
        runner.min_batch, runner.chunk = self.min_batch, self.chunk
        return runner.run(batch, strength)

    def _windows(self, windows: np.ndarray) -> np.ndarray:
        array = np.asarray(windows, dtype=np.float32)
        if array.ndim == 2:
            array = array[None]
        if array.ndim != 3 or array.shape[1:] != self.input_shape:
            raise ValueError(
                f"style {self.name!r} expects windows of shape (B, {self.input_shape[0]}, "
                f"{self.input_shape[1]}) (mels × frames), got {np.asarray(windows).shape}"
            )
        if not np.isfinite(array).all():
            raise ValueError("windows contain NaN or Inf; use models.analysis to make them")
        return np.clip(array, -1.0, 1.0)

    def audio_to_fields(
        self, windows: np.ndarray, expression: float | np.ndarray | None = None
    ) -> np.ndarray:
        """Analysis windows ``(B, n_mels, n_frames)`` in [-1, 1] → float ink ``(B, S, S)``
        in [-1, 1] (-1 paper, +1 ink).

        ``expression``: how much of the style's expression head (:mod:`models.expression`)
        each picture gets, in [0, 1]: one value for all or ``(B,)``; 0 is the learned
        drawing alone, 1 (and None) the style as trained, bit for bit. A style without a
        head ignores it.

        Raises:
            ValueError: windows of another shape, NaN/Inf in them, or ``expression`` outside
                [0, 1] or of another length.
        """
        batch = self._windows(windows)
        if batch.shape[0] == 0:
            size = self.config.image_size
            return np.zeros((0, size, size), np.float32)
        count = batch.shape[0]
        strengths = None if expression is None else head_strengths(expression, count)
        return self._run(self.g_image, batch, strengths)

    def audio_to_image(
        self, windows: np.ndarray, expression: float | np.ndarray | None = None
    ) -> np.ndarray:
        """Analysis windows → uint8 ink fields ``(B, S, S)``, 255 = full ink; ``expression``
        as :meth:`audio_to_fields`.

        Deterministic: the same window (and expression) gives the same bytes in any batch,
        at any position.
        """
        return unit_to_uint8(self.audio_to_fields(windows, expression))

    def image_to_windows(self, images: np.ndarray) -> np.ndarray:
        """Ink fields ``(B, S, S)`` (uint8 0..255, or float in [0, 1]) → analysis windows
        ``(B, n_mels, n_frames)`` in [-1, 1]."""
        array = np.asarray(images)
        if array.ndim == 2:
            array = array[None]
        size = self.config.image_size
        if array.ndim != 3 or array.shape[1:] != (size, size):
            raise ValueError(f"expected images of shape (B, {size}, {size}), got {array.shape}")
        ink = array.astype(np.float32) / 255.0 if array.dtype == np.uint8 else array
        ink = np.clip(np.nan_to_num(ink.astype(np.float32)), 0.0, 1.0)
        if ink.shape[0] == 0:
            return np.zeros((0, *self.input_shape), np.float32)
        return self._run(self.g_audio, ink * 2.0 - 1.0)

    def image_to_audio(self, images: np.ndarray, *, iterations: int = 32) -> list[np.ndarray]:
        """Ink fields → one waveform per image (spectrogram → NNLS mel inversion →
        Griffin-Lim), float32 at ``self.analysis.sample_rate``."""
        return [
            unit_window_to_audio(w, self.analysis, iterations=iterations)
            for w in self.image_to_windows(images)
        ]

    def probe_batch_invariance(self, probes: int = 8, seed: int = 0) -> bool:
        """True if, under the current policy, random windows give the same floats alone, in
        one batch, shifted in position, and split into uneven batches."""
        rng = np.random.default_rng(seed)
        x = rng.uniform(-1.0, 1.0, size=(probes, *self.input_shape)).astype(np.float32)
        single = np.concatenate([self._run(self.g_image, x[i : i + 1]) for i in range(probes)])
        together = self._run(self.g_image, x)
        rolled = np.roll(self._run(self.g_image, np.roll(x, 3, axis=0)), -3, axis=0)
        odd = np.concatenate([self._run(self.g_image, x[:3]), self._run(self.g_image, x[3:])])
        return all(np.array_equal(single, other) for other in (together, rolled, odd))


def count_macs(net: torch.nn.Module, size: int) -> int:
    """Multiply-accumulates of convolutions and linear layers for one (1, 1, size, size) input."""
    total = 0

    def conv_hook(module: torch.nn.Module, _inp: tuple, out: torch.Tensor) -> None:
        nonlocal total
        if isinstance(module, torch.nn.Conv2d):
            k = module.in_channels // module.groups * module.kernel_size[0] * module.kernel_size[1]
            total += int(out.numel()) * k
        elif isinstance(module, torch.nn.Linear):
            total += module.in_features * module.out_features

    hooks = [
        m.register_forward_hook(conv_hook)
        for m in net.modules()
        if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))
    ]
    try:
        with torch.inference_mode():
            net(torch.zeros(1, 1, size, size))
    finally:
        for h in hooks:
            h.remove()
    return total
