"""Typed configuration for networks and training, saved as JSON beside every checkpoint.

Each concern has its own small frozen dataclass (generator, discriminator, losses,
optimiser, data) instead of one namespace threaded everywhere. :class:`StyleConfig` bundles
what inference needs (analysis window + generator shapes); :class:`TrainConfig` adds what
training needs. Both round-trip through plain JSON dictionaries with unknown or missing keys
reported by name, so a hand-edited or foreign ``config.json`` fails loudly, not strangely.

Every field is checked for its type (an ``int`` field takes no float or bool, a ``float``
field no NaN or infinity) and its range (:data:`LIMITS`), so a config can neither crash a
network constructor nor ask for an absurdly large network or data set.
:func:`read_config_json` reads such files with bounded size, nesting and numbers.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from models.analysis import AnalysisConfig
from models.paths import STYLE_NAME_PATTERN

#: Version of the config layout; bumped when a saved file would no longer mean the same.
CONFIG_VERSION = 1

#: Largest config/state JSON file read, in bytes (ours are a few kilobytes).
MAX_CONFIG_BYTES = 1 << 20

#: Longest integer literal accepted in a config file, in digits.
MAX_INT_DIGITS = 20

#: Widest generator bottleneck (``ngf * 2**n_down`` channels): with 16 blocks, about 75 M
#: parameters (300 MB) per generator, far beyond anything trained here.
MAX_BOTTLENECK = 512

#: Inclusive (lowest, highest) value of every numeric config field, by class and field.
LIMITS: dict[str, dict[str, tuple[float, float]]] = {
    "GeneratorConfig": {
        "ngf": (1, 128),
        "n_blocks": (0, 16),
        "n_down": (0, 4),
        "latent": (1, 4096),
    },
    "DiscriminatorConfig": {"ndf": (1, 256), "n_layers": (1, 4)},
    "LossConfig": {
        "cycle": (0.0, 1000.0),
        "identity": (0.0, 1000.0),
        "temporal": (0.0, 1000.0),
        "prior_level": (0.0, 1000.0),
        "prior_busy": (0.0, 1000.0),
        "prior_soft": (0.0, 1000.0),
        "prior_height": (0.0, 1000.0),
        "realism": (0.0, 1000.0),
    },
    "OptimConfig": {
        "lr": (0.0, 1.0),
        "beta1": (0.0, 1.0),
        "beta2": (0.0, 1.0),
        "epochs": (0, 10_000),
        "epochs_decay": (0, 10_000),
        "batch_size": (1, 4096),
        "pool_size": (0, 10_000),
        "inverse_steps": (0, 1_000_000),
        "inverse_lr": (0.0, 1.0),
    },
    "DataConfig": {
        "n_images": (0, 100_000),
        "n_clips": (0, 10_000),
        "window_step": (1, 4096),
        "silence_share": (0.0, 0.5),
        "pair_shift": (1, 64),
        "gain_spread_db": (0.0, 80.0),
        "blank_share": (0.0, 0.5),
        "seed": (0, 2**32 - 1),
    },
    "StyleConfig": {"image_size": (8, 512), "expression": (0.0, 1.0)},
    "TrainConfig": {"seed": (0, 2**32 - 1)},
    "AnalysisConfig": {
        "sample_rate": (1000, 384_000),
        "n_fft": (16, 16_384),
        "hop": (1, 16_384),
        "n_mels": (1, 512),
        "n_frames": (1, 512),
        "fmin": (0.0, 192_000.0),
        "fmax": (1.0, 192_000.0),
        "db_floor": (-300.0, 100.0),
        "db_ceil": (-300.0, 100.0),
    },
}

#: Longest string field (folder paths, names).
MAX_STRING = 4096


class ConfigError(ValueError):
    """A configuration file or dictionary does not describe a valid model."""


def check_fields(obj: object) -> None:
    """Check every field of dataclass ``obj`` against its annotated type and :data:`LIMITS`.

    ``int`` fields take integers (not bools), ``float`` fields take finite ints or floats,
    ``str`` fields strings of at most :data:`MAX_STRING` characters; nested dataclasses are
    checked by their own ``__post_init__``.

    Raises:
        ConfigError: naming the class, the field and the value.
    """
    what = type(obj).__name__
    limits = LIMITS.get(what, {})
    for f in dataclasses.fields(obj):  # type: ignore[arg-type]
        value = getattr(obj, f.name)
        kind = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", "")
        if kind == "int" and (isinstance(value, bool) or not isinstance(value, int)):
            raise ConfigError(f"{what}.{f.name} must be a whole number, got {value!r}")
        if kind == "float":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ConfigError(f"{what}.{f.name} must be a number, got {value!r}")
            if not math.isfinite(value):
                raise ConfigError(f"{what}.{f.name} must be finite, got {value!r}")
        if kind == "str" and (not isinstance(value, str) or len(value) > MAX_STRING):
            raise ConfigError(
                f"{what}.{f.name} must be a string of at most {MAX_STRING} characters"
            )
        if f.name in limits:
            lo, hi = limits[f.name]
            if not lo <= value <= hi:
                raise ConfigError(f"{what}.{f.name} must be in [{lo}, {hi}], got {value!r}")


def read_config_json(path: Path, max_bytes: int = MAX_CONFIG_BYTES) -> dict[str, Any]:
    """Read a JSON object from ``path`` with every way it can be wrong turned into one line.

    Refuses files over ``max_bytes``, text that is not UTF-8 (a UTF-8 byte-order mark is
    allowed), invalid JSON, nesting too deep for the parser, ``NaN``/``Infinity``, numbers
    that overflow a float and integers longer than :data:`MAX_INT_DIGITS` digits.

    Raises:
        ConfigError: the message starts with the file's path.
    """
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise ConfigError(
                f"{path}: {size:,} bytes, more than a config may have ({max_bytes:,})"
            )
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: no such file") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read it ({exc.strerror or exc})") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start}); "
            "save it as UTF-8"
        ) from exc
    return parse_json_object(text, str(path))


def parse_json_object(text: str, origin: str) -> dict[str, Any]:
    """Parse JSON text that must be an object, refusing what :func:`read_config_json` refuses
    (invalid JSON, nesting too deep, ``NaN``/``Infinity``, overflowing numbers, integers
    longer than :data:`MAX_INT_DIGITS` digits).

    Raises:
        ConfigError: the message starts with ``origin`` (a file's path, say).
    """
    try:
        data = json.loads(
            text,
            parse_int=_bounded_int,
            parse_float=_finite_float,
            parse_constant=_no_constant,
        )
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{origin}: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"
        ) from exc
    except RecursionError as exc:
        raise ConfigError(f"{origin}: JSON nested too deeply") from exc
    except ValueError as exc:
        raise ConfigError(f"{origin}: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{origin}: must hold a JSON object, got {type(data).__name__}")
    return data


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise ValueError(f"an integer of {len(text.lstrip('-'))} digits is out of range")
    return int(text)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:40]} is out of range")
    return value


def _no_constant(text: str) -> float:
    raise ValueError(f"{text} is not a number a config may hold")


@dataclass(frozen=True)
class GeneratorConfig:
    """A ResNet generator (Zhu et al. 2017) sized for 64×64 single-channel fields.

    Attributes:
        ngf: channels of the first layer; doubled at each downsampling.
        n_blocks: residual blocks at the bottleneck resolution.
        n_down: stride-2 downsamplings (and matching upsamplings).
        norm: ``"instance"`` (per-sample statistics, batch-independent) or ``"none"``.
        layout: ``"conv"`` keeps the input's spatial layout (time along x, so a sliding window
            scrolls the picture); ``"global"`` squeezes the window through a global vector
            and draws one figure per window.
        latent: width of the global vector for ``layout="global"``.
    """

    ngf: int = 16
    n_blocks: int = 4
    n_down: int = 2
    norm: str = "instance"
    layout: str = "conv"
    latent: int = 64

    def __post_init__(self) -> None:
        check_fields(self)
        if self.ngf << self.n_down > MAX_BOTTLENECK:
            raise ConfigError(
                f"generator too wide: ngf * 2**n_down = {self.ngf << self.n_down} channels, "
                f"at most {MAX_BOTTLENECK}"
            )
        if self.norm not in ("instance", "none"):
            raise ConfigError(f"generator norm must be 'instance' or 'none', got {self.norm!r}")
        if self.layout not in ("conv", "global"):
            raise ConfigError(f"generator layout must be 'conv' or 'global', got {self.layout!r}")


@dataclass(frozen=True)
class DiscriminatorConfig:
    """A PatchGAN discriminator. With ``n_layers=3`` each output sees a 70-px patch, i.e.
    the whole 64-px field, and overpowered our small generators (its loss fell to 0.01 by
    epoch 3); 2 gives 34-px patches, about half the field, and is the default.

    Attributes:
        ndf: channels of the first layer.
        n_layers: stride-2 layers before the two stride-1 output layers.
    """

    ndf: int = 32
    n_layers: int = 2

    def __post_init__(self) -> None:
        check_fields(self)


@dataclass(frozen=True)
class LossConfig:
    """CycleGAN loss weights: LSGAN adversarial terms plus L1 cycle and identity terms, and
    the synaesthesia terms (all 0, off, by default; see :mod:`models.cyclegan`).

    Identity is off by default: with two different domains it would ask the image generator
    to copy a spectrogram into a drawing.

    Attributes:
        cycle, identity: as in Zhu et al. 2017.
        temporal: temporal coherence: the distance between the pictures of two windows
            :attr:`DataConfig.pair_shift` frames apart, over the mean distance between the
            batch's pictures (so a held note holds its shape without all pictures collapsing
            into one).
        prior_level: louder → more ink (rank correlation of level and ink mass in a batch).
        prior_busy: noisier → busier (``noise_descriptor`` and edge density).
        prior_soft: slower attack → softer stroke (attack and −softness).
        prior_height: higher → higher (spectral centroid and the ink's vertical centre).
        noise_descriptor: which audio descriptor ``prior_busy`` reads: ``"flatness"`` or
            ``"noisiness"`` (level-robust; :mod:`models.descriptors`).
        realism: the sliced Wasserstein distance between the Laplacian-pyramid patches of
            the drawings (before any expression head) and the batch's real drawings
            (:mod:`models.realism`), beside the adversarial term.
    """

    cycle: float = 10.0
    identity: float = 0.0
    temporal: float = 0.0
    prior_level: float = 0.0
    prior_busy: float = 0.0
    prior_soft: float = 0.0
    prior_height: float = 0.0
    noise_descriptor: str = "flatness"
    realism: float = 0.0

    def __post_init__(self) -> None:
        check_fields(self)
        if self.noise_descriptor not in ("flatness", "noisiness"):
            raise ConfigError(
                f"noise_descriptor must be 'flatness' or 'noisiness', got {self.noise_descriptor!r}"
            )

    @property
    def priors(self) -> dict[str, float]:
        """The rank-correlation weights by name (``level``, ``busy``, ``soft``, ``height``)."""
        return {
            "level": self.prior_level,
            "busy": self.prior_busy,
            "soft": self.prior_soft,
            "height": self.prior_height,
        }


@dataclass(frozen=True)
class OptimConfig:
    """Adam with a constant phase then a linear decay to zero (per epoch).

    Attributes:
        lr: learning rate during the constant phase.
        beta1, beta2: Adam betas (the CycleGAN recipe uses β1 0.5).
        epochs: epochs at constant rate.
        epochs_decay: epochs of linear decay after that.
        batch_size: images per step per process.
        pool_size: fake-image history fed to the discriminators (0 disables it).
        inverse_steps: after the last epoch, steps that fit the image→audio generator
            alone to turn the finished drawings back into their windows (the drawing
            frozen, so no picture changes; :mod:`models.inverse_fit`); 0 (the default, and
            every run before it) skips the phase.
        inverse_lr: Adam's learning rate at the start of that phase (linear decay to 0).
    """

    lr: float = 2e-4
    beta1: float = 0.5
    beta2: float = 0.999
    epochs: int = 8
    epochs_decay: int = 8
    batch_size: int = 4
    pool_size: int = 50
    inverse_steps: int = 0
    inverse_lr: float = 2e-4

    def __post_init__(self) -> None:
        check_fields(self)
        if self.epochs + self.epochs_decay < 1 and self.inverse_steps < 1:
            raise ConfigError(
                "need at least one epoch (epochs + epochs_decay >= 1) or image→audio fit "
                "steps (inverse_steps >= 1)"
            )
        if self.lr <= 0 or self.beta1 >= 1 or self.beta2 >= 1:
            raise ConfigError(f"need lr > 0 and betas below 1: {self}")
        if self.inverse_lr <= 0:
            raise ConfigError(f"need inverse_lr > 0, got {self.inverse_lr}")

    @property
    def total_epochs(self) -> int:
        return self.epochs + self.epochs_decay

    def lr_factor(self, epoch: int) -> float:
        """Learning-rate multiplier for 0-based ``epoch``: 1 then linearly down to ~0."""
        if epoch < self.epochs:
            return 1.0
        return max(0.0, 1.0 - (epoch - self.epochs + 1) / (self.epochs_decay + 1))


@dataclass(frozen=True)
class DataConfig:
    """Where the two domains come from.

    Attributes:
        images: ``"squiggles"``, ``"glyphs"`` or a folder of png/jpg drawings.
        audio: one source or several joined by ``+``: ``"synth"`` (the first procedural
            set), ``"music"`` (:mod:`models.music`: plucks, pads, bells, noise hits, drums,
            distorted bass, formant voices, chords over a 45 dB range), ``"instruments"``
            (real sampled instruments, :func:`models.instruments.training_set`) or a folder
            of sound files.
        n_images: procedural images to draw (ignored for folders).
        n_clips: procedural clips to render (ignored for folders).
        window_step: frames between successive audio windows cut from one clip.
        silence_share: share of near-silent windows kept in the audio domain. Procedural clips
            have long silences before onsets and after decays; unbalanced, they were 18 % of
            all windows.
        blank_share: share of blank pages added to the image domain, a natural partner for
            silence. Off by default: with 8 % blank pages the squiggle run collapsed by
            epoch 3 to near-blank pictures that hid the audio in faint ink.
        seed: data seed (procedural sets and shuffling).
        pair_shift: frames between a window and its partner for the temporal term (3 hops
            ≈ 35 ms at the default analysis).
        gain_spread_db: the ``instruments`` and folder sources are played back at a gain drawn
            per clip from ``[-gain_spread_db, 0]`` dB (0: as recorded), so levels vary.
    """

    images: str = "squiggles"
    audio: str = "synth"
    n_images: int = 1024
    n_clips: int = 288
    window_step: int = 8
    silence_share: float = 0.08
    blank_share: float = 0.0
    seed: int = 0
    pair_shift: int = 3
    gain_spread_db: float = 0.0

    def __post_init__(self) -> None:
        check_fields(self)
        for name in ("silence_share", "blank_share"):
            if not 0.0 <= getattr(self, name) < 0.5:
                raise ConfigError(f"{name} must be in [0, 0.5), got {getattr(self, name)}")


@dataclass(frozen=True)
class StyleConfig:
    """What inference needs to rebuild a style's generators and feed them.

    Attributes:
        name: the style's name.
        analysis: the analysis window the generators were trained on.
        generator: both generators' shape.
        image_size: pictures are ``image_size`` square.
        descriptors: audio descriptors the audio→image generator computes from each window
            and is conditioned on (:data:`models.descriptors.AUDIO_DESCRIPTORS`); empty for a
            style that sees only the window (every style written before them: a config
            without the key loads as before).
        low_at_bottom: pictures are drawn with the lowest mel band at the bottom (the
            generators flip the band axis on the way in and out); False for older styles.
        expression: strength of the expression head (:mod:`models.expression`) on the
            audio→image generator's pictures, 0 (none, every older style) … 1: louder
            bolder and darker, noisier sprayed, slower attack softer, by construction.
    """

    name: str
    analysis: AnalysisConfig = field(default_factory=AnalysisConfig)
    generator: GeneratorConfig = field(default_factory=GeneratorConfig)
    image_size: int = 64
    descriptors: tuple[str, ...] = ()
    low_at_bottom: bool = False
    expression: float = 0.0

    def __post_init__(self) -> None:
        check_fields(self)
        check_fields(self.analysis)
        if not isinstance(self.descriptors, tuple) or not all(
            isinstance(d, str) for d in self.descriptors
        ):
            raise ConfigError(f"descriptors must be a list of names, got {self.descriptors!r}")
        from models.descriptors import check_descriptor_names

        try:
            check_descriptor_names(self.descriptors)
        except ValueError as exc:
            raise ConfigError(str(exc)) from exc
        if not isinstance(self.low_at_bottom, bool):
            raise ConfigError(f"low_at_bottom must be true or false, got {self.low_at_bottom!r}")
        if not STYLE_NAME_PATTERN.fullmatch(self.name):
            raise ConfigError(f"invalid style name {self.name[:80]!r}")
        size, a = self.image_size, self.analysis
        if not size == a.n_mels == a.n_frames:
            raise ConfigError(
                f"image_size ({size}), analysis.n_mels ({a.n_mels}) and analysis.n_frames "
                f"({a.n_frames}) must be equal: a window is drawn as a picture of its size"
            )
        if size % (1 << self.generator.n_down):
            raise ConfigError(
                f"image_size ({size}) must be divisible by 2**n_down ({1 << self.generator.n_down})"
            )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values; the three newer keys are written only when set, so an older
        style's file stays byte for byte what it was."""
        out = dataclasses.asdict(self)
        out["descriptors"] = list(self.descriptors)
        if not self.descriptors:
            del out["descriptors"]
        if not self.low_at_bottom:
            del out["low_at_bottom"]
        if not self.expression:
            del out["expression"]
        return {"version": CONFIG_VERSION, **out}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> StyleConfig:
        """Rebuild from :meth:`to_dict`'s output. Raises :class:`ConfigError`."""
        raw = _object(raw, "style config")
        _check_version(raw.pop("version", None))
        _check_keys(cls, raw, "style config")
        return _construct(
            cls,
            "style config",
            name=raw["name"],
            analysis=_build(AnalysisConfig, raw.get("analysis", {}), "analysis"),
            generator=_build(GeneratorConfig, raw.get("generator", {}), "generator"),
            image_size=raw.get("image_size", 64),
            descriptors=_name_tuple(raw.get("descriptors", []), "descriptors"),
            low_at_bottom=raw.get("low_at_bottom", False),
            expression=raw.get("expression", 0.0),
        )


@dataclass(frozen=True)
class TrainConfig:
    """Everything one training run used; saved with each checkpoint for reproducibility.

    Attributes:
        init_from: a style folder whose generator weights start this run (a warm start:
            every tensor of the new generators that the folder has, with the same shape;
            FiLM layers it lacks start at the identity). Empty: fresh weights. A run of no
            epochs needs it: it only fits that style's image→audio generator to its drawing
            (``OptimConfig.inverse_steps``).
    """

    style: StyleConfig
    discriminator: DiscriminatorConfig = field(default_factory=DiscriminatorConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    data: DataConfig = field(default_factory=DataConfig)
    seed: int = 0
    init_from: str = ""

    def __post_init__(self) -> None:
        check_fields(self)
        if self.optim.total_epochs == 0 and not self.init_from:
            raise ConfigError(
                "a run of no epochs only fits the image→audio generator to a finished "
                "drawing: set init_from to the style whose drawing it keeps"
            )

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["style"] = self.style.to_dict()
        if not self.init_from:
            del out["init_from"]
        return {"version": CONFIG_VERSION, **out}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> TrainConfig:
        """Rebuild from :meth:`to_dict`'s output. Raises :class:`ConfigError`."""
        raw = _object(raw, "training config")
        _check_version(raw.pop("version", None))
        _check_keys(cls, raw, "training config")
        return _construct(
            cls,
            "training config",
            style=StyleConfig.from_dict(raw["style"]),
            discriminator=_build(DiscriminatorConfig, raw.get("discriminator", {}), "disc"),
            loss=_build(LossConfig, raw.get("loss", {}), "loss"),
            optim=_build(OptimConfig, raw.get("optim", {}), "optim"),
            data=_build(DataConfig, raw.get("data", {}), "data"),
            seed=raw.get("seed", 0),
            init_from=raw.get("init_from", ""),
        )


T = TypeVar("T")


def _name_tuple(raw: object, what: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        raise ConfigError(f"{what} must be a list of names, got {raw!r}"[:200])
    return tuple(raw)


def _object(raw: object, what: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise ConfigError(f"{what} must be a JSON object, got {type(raw).__name__}")
    return dict(raw)


def _construct(cls: type[T], what: str, **kwargs: Any) -> T:
    try:
        return cls(**kwargs)
    except ConfigError:
        raise
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"invalid {what}: {exc}") from exc


def _check_version(version: object) -> None:
    if type(version) is not int or version != CONFIG_VERSION:
        raise ConfigError(
            f"config version {version!r} is not supported (expected {CONFIG_VERSION}); "
            "retrain or convert the style with this version of synaesthete"
        )


def _check_keys(cls: type, raw: dict[str, Any], what: str) -> None:
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ConfigError(
            f"unknown keys in {what}: {unknown}; expected a subset of {sorted(known)}"
        )
    required = {
        f.name
        for f in dataclasses.fields(cls)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    }
    missing = sorted(required - set(raw))
    if missing:
        raise ConfigError(f"missing keys in {what}: {missing}")


def _build(cls: type[T], raw: object, what: str) -> T:
    raw = _object(raw, what)
    _check_keys(cls, raw, what)
    return _construct(cls, what, **raw)
