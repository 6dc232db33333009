"""The two training domains as arrays: image ink fields and audio analysis windows.

An image domain is ``(N, S, S)`` float32 ink in [0, 1] (0 paper, 1 ink); an audio domain is
``(N, n_mels, n_frames)`` float32 windows in [-1, 1] from :mod:`models.analysis`, exactly
what the live bridge feeds the generators. Procedural sets come from :mod:`models.squiggles`,
:mod:`models.glyphs` and :mod:`models.synth`; user folders are read here. A file that cannot
be used is skipped, counted and reported, never allowed to stop a long data build.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np

from models.analysis import AnalysisConfig, analyse, sliding_windows, to_unit
from models.audio_io import AudioFileError, read_audio_clip
from models.pictures import MAX_PICTURE_PIXELS, MIN_PICTURE_SIDE, PictureError, read_lightness
from models.resample import resample

log = logging.getLogger(__name__)

#: Longest stretch of one sound file that is used, in seconds; a longer file is cut (and
#: reported), so one stray hour-long recording cannot take the machine's memory.
MAX_SOUND_SECONDS = 600.0

#: A picture is an empty page when no cell of its ink field rises this much above its paper.
EMPTY_PAGE_CONTRAST = 0.1

#: Files named per kind in a report line.
REPORT_NAMES = 3

#: What each kind of unusable (or only partly used) file means, for report lines.
SKIP_KINDS = {
    "unreadable": "could not be opened",
    "not a picture": "are not pictures Pillow can read",
    "not a sound": "are not sounds libsndfile can read",
    "broken": "could not be decoded",
    "too large": "are too large",
    "too small": f"are too small (under {MIN_PICTURE_SIDE} px on the longer side)",
    "empty": "are empty pages (no ink after loading)",
    "too short": "are shorter than one analysis window",
    "silent": "are silent (no window above -72 dB)",
    "cut": "are too long; only their start is used",
}


class DataError(ValueError):
    """A data source is unusable as a whole (missing folder, nothing readable)."""


class Skipped(NamedTuple):
    """One file that could not be used (or, for ``kind == "cut"``, was only partly used).

    Attributes:
        file: its path.
        kind: a key of :data:`SKIP_KINDS`.
        detail: what exactly was wrong with it.
    """

    file: str
    kind: str
    detail: str


@dataclass
class Domain:
    """One domain's samples plus where they came from.

    Attributes:
        data: the sample array.
        meta: one dict per sample (procedural parameters, or the source file).
        skipped: files that could not be (fully) used, with their kind and detail.
        partners: audio only: ``partners[i]`` is the window a few frames after ``data[i]``
            in the same clip (for the temporal-coherence term), or None.
    """

    data: np.ndarray
    meta: list[dict[str, object]]
    skipped: list[Skipped] = field(default_factory=list)
    partners: np.ndarray | None = None

    def take(self, index: np.ndarray) -> Domain:
        """The samples at ``index`` (and their partners)."""
        partners = None if self.partners is None else self.partners[index]
        return Domain(self.data[index], [self.meta[i] for i in index], self.skipped, partners)


def orient_ink(gray: np.ndarray) -> tuple[np.ndarray, float]:
    """Lightness ``(H, W)`` in [0, 1] → ink ``(H, W)`` in [0, 1] and its paper level.

    Drawings are usually dark ink on light paper; we decide per picture by its border: if
    the border is mostly light, the picture is inverted so ink ends up near 1. The paper
    level is the border's median after that (at most 0.5).
    """
    gray = np.asarray(gray, np.float32)
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    median = float(np.median(border))
    if median > 0.5:
        return 1.0 - gray, 1.0 - median
    return gray, median


def fit_ink(ink: np.ndarray, size: int) -> np.ndarray:
    """Fit an ink picture ``(H, W)`` into ``(size, size)`` float32, aspect kept, centred on
    bare paper (0), resampled with Lanczos in floating point (no 8-bit rounding)."""
    from PIL import Image

    h, w = ink.shape
    scale = size / max(h, w)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    small = Image.fromarray(np.clip(ink, 0.0, 1.0).astype(np.float32), mode="F")
    small = small.resize((nw, nh), Image.Resampling.LANCZOS)
    out = np.zeros((size, size), np.float32)
    top, left = (size - nh) // 2, (size - nw) // 2
    out[top : top + nh, left : left + nw] = np.clip(np.asarray(small, np.float32), 0.0, 1.0)
    return out


def ink_from_picture(gray: np.ndarray, size: int) -> np.ndarray:
    """Turn a grayscale picture (H, W) in [0, 1] into a size² ink field (see
    :func:`orient_ink` and :func:`fit_ink`)."""
    return fit_ink(orient_ink(gray)[0], size)


def _files(folder: Path, what: str) -> list[Path]:
    """Every file under ``folder`` (recursively, sorted); whatever their names, the reading
    library decides by content which of them are usable."""
    if not folder.is_dir():
        raise DataError(f"{what} folder {folder} does not exist or is not a directory")
    return sorted(p for p in folder.rglob("*") if p.is_file())


def image_folder(folder: Path, size: int = 64, max_pixels: int = MAX_PICTURE_PIXELS) -> Domain:
    """Every usable picture under ``folder`` (recursively, sorted) as an ink field.

    Any file Pillow can decode is used, whatever its suffix, in any mode and bit depth
    (:func:`models.pictures.read_lightness`). Files that are not pictures, cannot be decoded,
    have more than ``max_pixels`` pixels, are too small or come out as empty pages are
    skipped and reported, one line per kind.

    Returns:
        a :class:`Domain` of ``(N, size, size)`` float32 ink in [0, 1].

    Raises:
        DataError: the folder is missing or holds no usable picture.
    """
    images, meta, skipped = [], [], []
    for path in _files(folder, "image"):
        try:
            ink, paper = orient_ink(read_lightness(path, max_pixels))
        except PictureError as exc:
            skipped.append(Skipped(str(path), exc.kind, str(exc)))
            continue
        fitted = fit_ink(ink, size)
        if float(fitted.max()) - paper < EMPTY_PAGE_CONTRAST:
            skipped.append(
                Skipped(
                    str(path), "empty", f"ink never rises {EMPTY_PAGE_CONTRAST} above its paper"
                )
            )
            continue
        images.append(fitted)
        meta.append({"file": str(path)})
    report_skipped("image", folder, skipped)
    if not images:
        raise DataError(f"no usable pictures under {folder}{_summary(skipped)}")
    return Domain(np.stack(images), meta, skipped)


def clip_windows(signal: np.ndarray, cfg: AnalysisConfig, step: int) -> np.ndarray:
    """Cut a mono clip at ``cfg.sample_rate`` into unit-scaled model windows."""
    return sliding_windows(to_unit(analyse(signal, cfg).mel_db, cfg), cfg, step=step)


def clip_window_pairs(
    signal: np.ndarray, cfg: AnalysisConfig, step: int, shift: int
) -> tuple[np.ndarray, np.ndarray]:
    """Windows ``step`` frames apart and, for each, the window ``shift`` frames later.

    Returns:
        ``(windows, partners)``, both ``(N, n_mels, n_frames)`` unit windows; window ``i``
        starts at frame ``i * step``, its partner at ``i * step + shift``. ``N`` is 0 for a
        clip shorter than one window plus ``shift`` frames.
    """
    every = sliding_windows(to_unit(analyse(signal, cfg).mel_db, cfg), cfg, step=1)
    starts = np.arange(0, max(len(every) - shift, 0), step)
    return every[starts], every[starts + shift]


def pair_domain(
    clips: list[tuple[np.ndarray, dict[str, object]]], cfg: AnalysisConfig, step: int, shift: int
) -> Domain:
    """Windows and partners (:func:`clip_window_pairs`) of mono clips at ``cfg.sample_rate``,
    each window's meta its clip's plus ``first_frame``. Clips too short give no windows."""
    windows, partners, meta = [], [], []
    for signal, info in clips:
        a, b = clip_window_pairs(signal, cfg, step, shift)
        windows.append(a)
        partners.append(b)
        meta += [{**info, "first_frame": i * step} for i in range(len(a))]
    empty = np.zeros((0, cfg.n_mels, cfg.n_frames), np.float32)
    data = np.concatenate(windows) if windows else empty
    return Domain(data, meta, partners=np.concatenate(partners) if partners else empty)


class SoundError(ValueError):
    """A file cannot be used as a sound; ``kind`` is a key of :data:`SKIP_KINDS`."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def read_sound(path: Path, max_seconds: float | None = None) -> tuple[np.ndarray, int, bool]:
    """:func:`models.audio_io.read_audio_clip` for training: at most ``max_seconds``
    (default :data:`MAX_SOUND_SECONDS`) of any sound libsndfile decodes, whatever its name.

    Returns:
        ``(samples, rate, cut)``: float32 mono samples ``(n,)``, the file's rate in Hz and
        whether the file goes on beyond what was read.

    Raises:
        SoundError: with ``kind`` ``"not a sound"``, ``"broken"`` (decoding failed or
            non-finite samples) or ``"too short"`` (no samples at all).
    """
    seconds = MAX_SOUND_SECONDS if max_seconds is None else max_seconds
    try:
        return read_audio_clip(path, seconds)
    except AudioFileError as exc:
        message = str(exc).removeprefix(f"{path}: ")
        raise SoundError(exc.kind, message) from exc


def audio_folder(
    folder: Path,
    cfg: AnalysisConfig,
    step: int,
    shift: int = 3,
    gain_spread_db: float = 0.0,
    seed: int = 0,
) -> Domain:
    """Every usable sound under ``folder`` mixed to mono, resampled, cut into windows.

    Any file libsndfile can decode is used, whatever its suffix. Files that are not sounds,
    cannot be decoded, are shorter than one window or silent throughout are skipped;
    files longer than :data:`MAX_SOUND_SECONDS` are cut; both are reported, one line per
    kind.

    Each file is played at a gain drawn from ``[-gain_spread_db, 0]`` dB (seeded by ``seed``
    and the file's position), so one folder covers a range of levels.

    Returns:
        a :class:`Domain` of ``(N, n_mels, n_frames)`` float32 windows in [-1, 1], with their
        partners ``shift`` frames later.

    Raises:
        DataError: the folder is missing or holds no usable sound.
    """
    windows, partners, meta, skipped = [], [], [], []
    rng = np.random.default_rng([seed, 0xF0])
    for path in _files(folder, "audio"):
        gain = 10.0 ** (-rng.uniform(0.0, gain_spread_db) / 20.0) if gain_spread_db else 1.0
        try:
            samples, rate, cut_short = read_sound(path)
            signal = resample(samples, rate, cfg.sample_rate) * np.float32(gain)
            cut, later = clip_window_pairs(signal, cfg, step, shift)
        except SoundError as exc:
            skipped.append(Skipped(str(path), exc.kind, str(exc)))
            continue
        if len(cut) == 0:
            detail = f"{len(samples) / rate:.2f} s, under one window ({cfg.window_seconds:.2f} s)"
            skipped.append(Skipped(str(path), "too short", detail))
            continue
        if silent_windows(cut).all():
            skipped.append(Skipped(str(path), "silent", "no window above -72 dB"))
            continue
        if cut_short:
            skipped.append(
                Skipped(str(path), "cut", f"only its first {MAX_SOUND_SECONDS:.0f} s are used")
            )
        windows.append(cut)
        partners.append(later)
        meta += [{"file": str(path), "window": i} for i in range(len(cut))]
    report_skipped("audio", folder, skipped)
    if not windows:
        raise DataError(f"no usable sounds under {folder}{_summary(skipped)}")
    return Domain(np.concatenate(windows), meta, skipped, np.concatenate(partners))


#: A window with fewer cells than this share above ``SILENT_UNIT`` counts as silence.
SILENT_ACTIVE_SHARE = 0.02
SILENT_UNIT = -0.9  # -72 dB with the default range


def silent_windows(windows: np.ndarray) -> np.ndarray:
    """Boolean mask of near-silent windows (hardly any cell above -72 dB)."""
    active = (np.asarray(windows) > SILENT_UNIT).mean(axis=(1, 2))
    return active < SILENT_ACTIVE_SHARE


def balance_silence(domain: Domain, share: float, seed: int) -> Domain:
    """Keep at most ``share`` near-silent windows (a seeded choice of them); procedural clips
    have long silent stretches before onsets and after decays, which would otherwise make
    silence a large share of what the audio side learns."""
    silent = silent_windows(domain.data)
    loud_idx = np.flatnonzero(~silent)
    if len(loud_idx) == 0:
        return domain  # nothing but silence: thinning it would leave no windows at all
    silent_idx = np.flatnonzero(silent)
    keep_silent = round(share / (1.0 - share) * len(loud_idx))
    if len(silent_idx) > keep_silent:
        rng = np.random.default_rng([seed, 0x51])
        silent_idx = np.sort(rng.choice(silent_idx, keep_silent, replace=False))
    keep = np.sort(np.concatenate([loud_idx, silent_idx]))
    return domain.take(keep)


def add_blank_pages(domain: Domain, share: float) -> Domain:
    """Append empty pages so that ``share`` of the image domain is blank."""
    count = round(share / (1.0 - share) * len(domain.data))
    if count == 0:
        return domain
    blank = np.zeros((count, *domain.data.shape[1:]), domain.data.dtype)
    meta = domain.meta + [{"blank": True}] * count
    return Domain(np.concatenate([domain.data, blank]), meta, domain.skipped)


def _names(entries: list[Skipped], folder: Path) -> str:
    """A few of ``entries``' files, relative to ``folder``, and how many more."""
    names = []
    for entry in entries[:REPORT_NAMES]:
        try:
            names.append(str(Path(entry.file).relative_to(folder)))
        except ValueError:
            names.append(entry.file)
    more = len(entries) - len(names)
    return ", ".join(names) + (f" and {more} more" if more else "")


def skipped_by_kind(skipped: list[Skipped]) -> dict[str, list[Skipped]]:
    """``skipped`` grouped by kind, kinds in order of first appearance."""
    groups: dict[str, list[Skipped]] = {}
    for entry in skipped:
        groups.setdefault(entry.kind, []).append(entry)
    return groups


def report_skipped(domain: str, folder: Path, skipped: list[Skipped]) -> None:
    """Log one warning line per kind of unusable file, with its count and a few names, e.g.
    ``image files under drawings: 10 are empty pages (no ink after loading): a.png, ...``."""
    for kind, entries in skipped_by_kind(skipped).items():
        first = entries[0]
        log.warning(
            "%s files under %s: %d %s: %s (%s)",
            domain,
            folder,
            len(entries),
            SKIP_KINDS.get(kind, kind),
            _names(entries, folder),
            first.detail if len(entries) == 1 else f"first: {first.detail}",
        )


def _summary(skipped: list[Skipped]) -> str:
    """``" (10 empty, 2 not a picture)"`` for an error message, or ``""``."""
    if not skipped:
        return " (the folder holds no files)"
    counts = ", ".join(f"{len(v)} {k}" for k, v in skipped_by_kind(skipped).items())
    return f" ({counts}; see the warnings above)"


def image_domain(
    source: str, *, count: int, seed: int = 0, start: int = 0, size: int = 64
) -> Domain:
    """``source`` is ``"squiggles"``, ``"glyphs"`` or a folder of pictures."""
    if source == "squiggles":
        from models.squiggles import squiggle_set

        images, params = squiggle_set(count, seed=seed, start=start, size=size)
        return Domain(images, [p.to_dict() for p in params])
    if source == "glyphs":
        from models.glyphs import glyph_set

        images, meta = glyph_set(count, seed=seed, start=start, size=size)
        return Domain(images, meta)
    return image_folder(Path(source), size)


#: Named procedural or rendered audio sources (anything else is a folder).
AUDIO_SOURCES: tuple[str, ...] = ("synth", "music", "instruments")


def audio_domain(
    source: str,
    *,
    count: int,
    cfg: AnalysisConfig,
    step: int,
    seed: int = 0,
    start: int = 0,
    shift: int = 3,
    gain_spread_db: float = 0.0,
) -> Domain:
    """Audio windows (with partners ``shift`` frames later) from ``source``: ``"synth"``,
    ``"music"`` (``count`` clips each), ``"instruments"`` (the training soundfont's notes,
    pads and drums, :func:`models.instruments.training_set`), a folder of sounds, or several
    of these joined by ``+``. Procedural windows keep their clip's parameters plus the
    window's first frame, so evaluation can relate sound to picture.

    Raises:
        DataError: a folder is missing or unusable, or ``instruments`` cannot be rendered
            here (fluidsynth or the soundfont is missing).
    """
    parts = [p for p in source.split("+") if p] if "+" in source else [source]
    if len(parts) > 1:
        domains = [
            audio_domain(
                p,
                count=count,
                cfg=cfg,
                step=step,
                seed=seed,
                start=start,
                shift=shift,
                gain_spread_db=gain_spread_db,
            )
            for p in parts
        ]
        return Domain(
            np.concatenate([d.data for d in domains]),
            [m for d in domains for m in d.meta],
            [s for d in domains for s in d.skipped],
            np.concatenate([d.partners for d in domains if d.partners is not None]),
        )
    if source == "synth":
        from models.synth import render_clip, synth_params

        clips = []
        for index in range(start, start + count):
            params = synth_params(index, seed=seed)
            signal = render_clip(params, sample_rate=cfg.sample_rate, seed=seed)
            clips.append((signal, params.to_dict()))
        return pair_domain(clips, cfg, step, shift)
    if source == "music":
        from models.music import music_set

        return pair_domain(
            music_set(count, seed=seed, start=start, sample_rate=cfg.sample_rate), cfg, step, shift
        )
    if source == "instruments":
        from models.instruments import FluidsynthMissingError, training_clips

        try:
            clips = training_clips(cfg.sample_rate, gain_spread_db=gain_spread_db, seed=seed)
        except FluidsynthMissingError as exc:
            raise DataError(f"cannot render the training instruments: {exc}") from exc
        return pair_domain(clips, cfg, step, shift)
    return audio_folder(Path(source), cfg, step, shift, gain_spread_db, seed)
