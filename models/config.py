"""Typed configuration for networks and training, saved as JSON beside every checkpoint.

Each concern has its own small frozen dataclass (generator, discriminator, losses,
optimiser, data) instead of one namespace threaded everywhere. :class:`StyleConfig` bundles
what inference needs (analysis window + generator shapes); :class:`TrainConfig` adds what
training needs. Both round-trip through plain JSON dictionaries with unknown or missing keys
reported by name, so a hand-edited or foreign ``config.json`` fails loudly, not strangely.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, TypeVar

from models.analysis import AnalysisConfig

#: Version of the config layout; bumped when a saved file would no longer mean the same.
CONFIG_VERSION = 1


class ConfigError(ValueError):
    """A configuration file or dictionary does not describe a valid model."""


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
        if self.ngf < 1 or self.n_blocks < 0 or not 0 <= self.n_down <= 4:
            raise ConfigError(f"invalid generator sizes: {self}")
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
        if self.ndf < 1 or not 1 <= self.n_layers <= 4:
            raise ConfigError(f"invalid discriminator sizes: {self}")


@dataclass(frozen=True)
class LossConfig:
    """CycleGAN loss weights: LSGAN adversarial terms plus L1 cycle and identity terms.

    Identity is off by default: with two different domains it would ask the image generator
    to copy a spectrogram into a drawing.
    """

    cycle: float = 10.0
    identity: float = 0.0


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
    """

    lr: float = 2e-4
    beta1: float = 0.5
    beta2: float = 0.999
    epochs: int = 8
    epochs_decay: int = 8
    batch_size: int = 4
    pool_size: int = 50

    def __post_init__(self) -> None:
        if self.epochs < 0 or self.epochs_decay < 0 or self.epochs + self.epochs_decay < 1:
            raise ConfigError("need at least one epoch (epochs + epochs_decay >= 1)")
        if self.batch_size < 1 or self.pool_size < 0 or self.lr <= 0:
            raise ConfigError(f"invalid optimiser settings: {self}")

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
        audio: ``"synth"`` or a folder of sound files.
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
    """

    images: str = "squiggles"
    audio: str = "synth"
    n_images: int = 1024
    n_clips: int = 288
    window_step: int = 8
    silence_share: float = 0.08
    blank_share: float = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("silence_share", "blank_share"):
            if not 0.0 <= getattr(self, name) < 0.5:
                raise ConfigError(f"{name} must be in [0, 0.5), got {getattr(self, name)}")


@dataclass(frozen=True)
class StyleConfig:
    """What inference needs to rebuild a style's generators and feed them."""

    name: str
    analysis: AnalysisConfig = field(default_factory=AnalysisConfig)
    generator: GeneratorConfig = field(default_factory=GeneratorConfig)
    image_size: int = 64

    def to_dict(self) -> dict[str, Any]:
        return {"version": CONFIG_VERSION, **dataclasses.asdict(self)}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> StyleConfig:
        raw = dict(raw)
        _check_version(raw.pop("version", None))
        _check_keys(cls, raw, "style config")
        return cls(
            name=str(raw["name"]),
            analysis=_build(AnalysisConfig, raw.get("analysis", {}), "analysis"),
            generator=_build(GeneratorConfig, raw.get("generator", {}), "generator"),
            image_size=int(raw.get("image_size", 64)),
        )


@dataclass(frozen=True)
class TrainConfig:
    """Everything one training run used; saved with each checkpoint for reproducibility."""

    style: StyleConfig
    discriminator: DiscriminatorConfig = field(default_factory=DiscriminatorConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    data: DataConfig = field(default_factory=DataConfig)
    seed: int = 0

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["style"] = self.style.to_dict()
        return {"version": CONFIG_VERSION, **out}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> TrainConfig:
        raw = dict(raw)
        _check_version(raw.pop("version", None))
        _check_keys(cls, raw, "training config")
        return cls(
            style=StyleConfig.from_dict(raw["style"]),
            discriminator=_build(DiscriminatorConfig, raw.get("discriminator", {}), "disc"),
            loss=_build(LossConfig, raw.get("loss", {}), "loss"),
            optim=_build(OptimConfig, raw.get("optim", {}), "optim"),
            data=_build(DataConfig, raw.get("data", {}), "data"),
            seed=int(raw.get("seed", 0)),
        )


T = TypeVar("T")


def _check_version(version: object) -> None:
    if version != CONFIG_VERSION:
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
    if not isinstance(raw, dict):
        raise ConfigError(f"{what} must be a JSON object, got {type(raw).__name__}")
    _check_keys(cls, raw, what)
    try:
        return cls(**raw)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"invalid {what}: {exc}") from exc
