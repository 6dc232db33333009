"""What a caller of a style needs without loading torch: the style's description
(:class:`StyleInfo`, which the generator process sends its parent), :func:`describe`, and
the check of the expression head strengths a call hands on (:func:`head_strengths`).

The show's drawing process imports only this of the styles: its generators run in processes
of their own (:mod:`bridge.generate.generator_process`), so torch (0.7 s to import on two
cores) stays out of it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import numpy as np

from models.analysis import DEFAULT_ANALYSIS, AnalysisConfig


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


@dataclass(frozen=True)
class StyleInfo:
    """A style described by itself: what a caller must feed it and what it costs.

    The bridge builds each track's analyser from ``analysis`` (rate, n_fft, hop, mels,
    frames, dB range), sizes blank pictures by ``image_size`` and budgets generation by
    ``macs_per_image``; nothing about a style is guessed from the defaults.

    Attributes:
        name: the style's name.
        folder: where it was loaded from.
        parameters: parameters of the audio→image generator.
        macs_per_image: multiply-accumulates for one audio→image pass.
        image_size: pictures are ``(image_size, image_size)`` uint8.
        min_batch: smaller batches are padded up to this.
        chunk: None: batches run whole; else split and padded to this size.
        analysis: the analysis window the style was trained on.
        descriptors: the audio descriptors the generator is conditioned on, in order
            (empty: it sees only the window).
        device: the device type the generator runs on (``"cpu"``, ``"cuda"``, ``"mps"``).
        engine: the engine requested (``"eager"``, ``"compiled"`` or ``"live"``: eager until
            the compiled graphs are ready); pictures are bit-identical only within one
            device type, engine and precision.
        precision: the pictures' precision: ``"float32"``, ``"float16"`` (a GPU's autocast)
            or ``"bfloat16"`` (a CPU's convolutions, :mod:`models.low_precision`).
    """

    name: str
    folder: str
    parameters: int
    macs_per_image: int
    image_size: int
    min_batch: int
    chunk: int | None
    analysis: AnalysisConfig = DEFAULT_ANALYSIS
    descriptors: tuple[str, ...] = ()
    device: str = "cpu"
    engine: str = "eager"
    precision: str = "float32"

    def to_json(self) -> dict[str, object]:
        """Plain JSON values (the generator process sends this to the bridge at start)."""
        values = asdict(self)
        values["descriptors"] = list(self.descriptors)
        return values

    @classmethod
    def from_json(cls, values: dict[str, object]) -> StyleInfo:
        """The inverse of :meth:`to_json`.

        Raises:
            ValueError: a field is missing or of the wrong kind.
        """
        try:
            analysis = AnalysisConfig(**values["analysis"])  # type: ignore[arg-type]
            optional = {"device", "engine", "precision"}
            known = {f.name for f in fields(cls)} - {"analysis", "descriptors"} - optional
            rest = {k: values[k] for k in known}
            rest.update({k: str(values[k]) for k in optional if k in values})
            descriptors = tuple(str(d) for d in values.get("descriptors", ()))  # type: ignore[attr-defined]
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not a style description: {exc}") from exc
        return cls(**rest, analysis=analysis, descriptors=descriptors)  # type: ignore[arg-type]


def describe(style: object, fallback_size: int = 64) -> StyleInfo:
    """What ``style`` says of itself (``info()`` of a :class:`Style`, ``info`` of a remote
    one), or, for a plain object with only ``audio_to_image`` (a test's stand-in), the
    default analysis with ``fallback_size`` pictures."""
    info = getattr(style, "info", None)
    if callable(info):
        info = info()
    if isinstance(info, StyleInfo):
        return info
    name = str(getattr(style, "name", "unknown")) if style is not None else "unknown"
    return StyleInfo(name, "", 0, 0, fallback_size, 1, None)
