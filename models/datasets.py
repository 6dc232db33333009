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
from math import gcd
from pathlib import Path

import numpy as np

from models.analysis import AnalysisConfig, analyse, sliding_windows, to_unit

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp")
AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".aiff", ".aif", ".mp3")


class DataError(ValueError):
    """A data source is unusable as a whole (missing folder, nothing readable)."""


@dataclass
class Domain:
    """One domain's samples plus where they came from.

    Attributes:
        data: the sample array.
        meta: one dict per sample (procedural parameters, or the source file).
        skipped: files that could not be used, with the reason.
    """

    data: np.ndarray
    meta: list[dict[str, object]]
    skipped: list[tuple[str, str]] = field(default_factory=list)


def ink_from_picture(gray: np.ndarray, size: int) -> np.ndarray:
    """Turn a grayscale picture (H, W) in [0, 1] into a size² ink field.

    Drawings are usually dark ink on light paper; we decide per picture by its border: if
    the border is mostly light, the picture is inverted so ink ends up near 1. The picture is
    fitted (aspect kept) and centred on bare paper.
    """
    from PIL import Image

    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    ink = 1.0 - gray if float(np.median(border)) > 0.5 else gray
    h, w = ink.shape
    scale = size / max(h, w)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    small = Image.fromarray((np.clip(ink, 0, 1) * 255).astype(np.uint8))
    small = small.resize((nw, nh), Image.Resampling.LANCZOS)
    out = np.zeros((size, size), np.float32)
    top, left = (size - nh) // 2, (size - nw) // 2
    out[top : top + nh, left : left + nw] = np.asarray(small, np.float32) / 255.0
    return out


def image_folder(folder: Path, size: int = 64) -> Domain:
    """Every readable picture under ``folder`` (recursively, sorted) as an ink field."""
    from PIL import Image, UnidentifiedImageError

    if not folder.is_dir():
        raise DataError(f"image folder {folder} does not exist or is not a directory")
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    images, meta, skipped = [], [], []
    for path in files:
        try:
            with Image.open(path) as picture:
                gray = np.asarray(picture.convert("L"), np.float32) / 255.0
        except (OSError, UnidentifiedImageError, ValueError) as exc:
            skipped.append((str(path), str(exc)))
            continue
        images.append(ink_from_picture(gray, size))
        meta.append({"file": str(path)})
    _report_skipped("image", skipped)
    if not images:
        raise DataError(f"no readable images ({', '.join(IMAGE_SUFFIXES)}) under {folder}")
    return Domain(np.stack(images), meta, skipped)


def resample(signal: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """Polyphase resampling to the analysis rate (no-op if the rates match)."""
    if rate_in == rate_out:
        return signal.astype(np.float32, copy=False)
    from scipy.signal import resample_poly

    g = gcd(rate_in, rate_out)
    return resample_poly(signal, rate_out // g, rate_in // g).astype(np.float32)


def clip_windows(signal: np.ndarray, cfg: AnalysisConfig, step: int) -> np.ndarray:
    """Cut a mono clip at ``cfg.sample_rate`` into unit-scaled model windows."""
    return sliding_windows(to_unit(analyse(signal, cfg).mel_db, cfg), cfg, step=step)


def audio_folder(folder: Path, cfg: AnalysisConfig, step: int) -> Domain:
    """Every readable sound under ``folder`` mixed to mono, resampled, cut into windows."""
    import soundfile

    if not folder.is_dir():
        raise DataError(f"audio folder {folder} does not exist or is not a directory")
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES)
    windows, meta, skipped = [], [], []
    for path in files:
        try:
            samples, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
            mono = resample(samples.mean(axis=1), int(rate), cfg.sample_rate)
            cut = clip_windows(mono, cfg, step)
        except (RuntimeError, OSError, ValueError, soundfile.LibsndfileError) as exc:
            skipped.append((str(path), str(exc)))
            continue
        if len(cut) == 0:
            skipped.append((str(path), f"shorter than one window ({cfg.window_seconds:.2f} s)"))
            continue
        windows.append(cut)
        meta += [{"file": str(path), "window": i} for i in range(len(cut))]
    _report_skipped("audio", skipped)
    if not windows:
        raise DataError(f"no readable sounds ({', '.join(AUDIO_SUFFIXES)}) under {folder}")
    return Domain(np.concatenate(windows), meta, skipped)


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
    silent_idx = np.flatnonzero(silent)
    keep_silent = round(share / (1.0 - share) * len(loud_idx))
    if len(silent_idx) > keep_silent:
        rng = np.random.default_rng([seed, 0x51])
        silent_idx = np.sort(rng.choice(silent_idx, keep_silent, replace=False))
    keep = np.sort(np.concatenate([loud_idx, silent_idx]))
    return Domain(domain.data[keep], [domain.meta[i] for i in keep], domain.skipped)


def add_blank_pages(domain: Domain, share: float) -> Domain:
    """Append empty pages so that ``share`` of the image domain is blank."""
    count = round(share / (1.0 - share) * len(domain.data))
    if count == 0:
        return domain
    blank = np.zeros((count, *domain.data.shape[1:]), domain.data.dtype)
    meta = domain.meta + [{"blank": True}] * count
    return Domain(np.concatenate([domain.data, blank]), meta, domain.skipped)


def _report_skipped(kind: str, skipped: list[tuple[str, str]]) -> None:
    if skipped:
        log.warning("skipped %d unreadable %s file(s), first: %s", len(skipped), kind, skipped[0])


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


def audio_domain(
    source: str, *, count: int, cfg: AnalysisConfig, step: int, seed: int = 0, start: int = 0
) -> Domain:
    """``source`` is ``"synth"`` or a folder of sounds. Synth windows keep their clip's
    parameters plus the window's first frame, so evaluation can relate sound to picture."""
    if source != "synth":
        return audio_folder(Path(source), cfg, step)
    from models.synth import render_clip, synth_params

    windows, meta = [], []
    for index in range(start, start + count):
        params = synth_params(index, seed=seed)
        cut = clip_windows(render_clip(params, sample_rate=cfg.sample_rate, seed=seed), cfg, step)
        windows.append(cut)
        meta += [{**params.to_dict(), "first_frame": i * step} for i in range(len(cut))]
    return Domain(np.concatenate(windows), meta)
