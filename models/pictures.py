"""Conversions between model tensors and viewable pictures (pure numpy + Pillow).

Model fields are in [-1, 1]. For images, -1 is bare paper and +1 full ink; for audio
windows, ``[m, t]`` is mel band ``m`` (0 lowest) at frame ``t`` (0 oldest). Pictures of
spectrograms are flipped so low frequencies sit at the bottom, as people expect.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from PIL import Image


def unit_to_uint8(field: np.ndarray) -> np.ndarray:
    """[-1, 1] → uint8 0..255 with round-half-up, so equal floats give equal bytes."""
    scaled = (np.clip(np.asarray(field, np.float32), -1.0, 1.0) + 1.0) * 127.5
    return np.floor(scaled + 0.5).astype(np.uint8)


def ink_to_unit(ink: np.ndarray) -> np.ndarray:
    """Ink field in [0, 1] → model range [-1, 1]."""
    return (np.asarray(ink, np.float32) * 2.0 - 1.0).astype(np.float32)


def spectrogram_picture(window: np.ndarray) -> np.ndarray:
    """An audio window (n_mels, n_frames) in [-1, 1] as uint8 with low bands at the bottom."""
    return unit_to_uint8(np.asarray(window)[::-1, :])


def tile(rows: list[np.ndarray], gap: int = 2) -> np.ndarray:
    """Tile rows of equally sized uint8 pictures ``(n, H, W)`` into one uint8 sheet."""
    n = max(len(r) for r in rows)
    h, w = rows[0].shape[1:]
    sheet = np.full((len(rows) * (h + gap) - gap, n * (w + gap) - gap), 96, np.uint8)
    for i, row in enumerate(rows):
        for j, pic in enumerate(row):
            sheet[i * (h + gap) : i * (h + gap) + h, j * (w + gap) : j * (w + gap) + w] = pic
    return sheet


def save_png(picture: np.ndarray, path: str | Path, scale: int = 1) -> None:
    """Save a uint8 (H, W) picture, optionally enlarged with nearest-neighbour."""
    from PIL import Image

    image = Image.fromarray(np.asarray(picture, np.uint8))
    if scale > 1:
        image = image.resize((image.width * scale, image.height * scale), Image.Resampling.NEAREST)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    image.save(str(path))


# ----- reading drawings ----------------------------------------------------------------------

#: Largest picture a drawing may be, in pixels (width × height), checked from the file's
#: header before anything is decoded. An A4 page scanned at 600 dpi is 35 megapixels; Pillow's
#: own decompression-bomb guard (``Image.MAX_IMAGE_PIXELS``, about 89 megapixels by default)
#: is turned from a warning into an error while a drawing is opened, so neither limit can be
#: passed silently.
MAX_PICTURE_PIXELS = 40_000_000

#: A picture whose longer side has fewer pixels than this cannot hold a drawing.
MIN_PICTURE_SIDE = 8

#: Pillow modes whose samples are wider than 8 bits; they are read straight into numpy so
#: their precision (and their ink) survives, where ``convert("L")`` would clip them.
DEEP_MODES = frozenset({"I", "I;16", "I;16L", "I;16B", "I;16N", "F"})

#: Modes that carry an alpha channel (straight or premultiplied).
ALPHA_MODES = frozenset({"LA", "La", "PA", "RGBA", "RGBa"})

#: On a partly transparent picture, if less than this share of the opaque area is darker
#: than mid-grey, the drawing is light ink (e.g. white on transparent) and its transparent
#: part becomes black paper instead of white, so the ink still contrasts with its paper.
LIGHT_INK_DARK_SHARE = 0.01


class PictureError(ValueError):
    """A file cannot be used as a drawing.

    Attributes:
        kind: why, as one of ``"unreadable"`` (the file cannot be opened),
            ``"not a picture"`` (Pillow does not recognise its content), ``"too large"``,
            ``"too small"`` or ``"broken"`` (recognised but cannot be decoded).
    """

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def read_lightness(path: str | Path, max_pixels: int = MAX_PICTURE_PIXELS) -> np.ndarray:
    """Read any picture Pillow can decode, whatever its file name, as lightness.

    The EXIF orientation is applied (a phone photo of a sketch stands the right way up),
    multi-frame files give their first frame, every mode and bit depth keeps its full range
    (1, L, P, I;16, I, F, RGB, CMYK, YCbCr, LAB, HSV ...) and transparency becomes paper
    (see :func:`lightness_of`).

    Args:
        path: the file; its suffix is ignored, Pillow decides by its content.
        max_pixels: refuse pictures with more pixels than this (width × height).

    Returns:
        float32 ``(H, W)`` lightness in [0, 1]: 0 black, 1 white.

    Raises:
        PictureError: with ``kind`` saying why the file cannot be used.
    """
    import warnings

    from PIL import Image, ImageOps, UnidentifiedImageError

    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            picture = Image.open(path)
        except UnidentifiedImageError as exc:
            raise PictureError("not a picture", "not a picture format Pillow reads") from exc
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise PictureError(
                "too large", f"over Pillow's decompression-bomb limit ({exc})"
            ) from exc
        except OSError as exc:
            raise PictureError("unreadable", f"cannot open it ({exc.strerror or exc})") from exc
        with picture:
            width, height = picture.size
            if width * height > max_pixels:
                raise PictureError(
                    "too large",
                    f"{width}×{height} = {width * height:,} pixels, "
                    f"more than the {max_pixels:,} a drawing may have",
                )
            if max(width, height) < MIN_PICTURE_SIDE:
                raise PictureError(
                    "too small",
                    f"{width}×{height} pixels, fewer than {MIN_PICTURE_SIDE} on its longer side",
                )
            try:
                upright = ImageOps.exif_transpose(picture)
                return lightness_of(upright)
            except Exception as exc:
                # Pillow's decoders meet untrusted bytes and signal trouble with OSError,
                # SyntaxError, struct.error, EOFError, IndexError ... depending on the format;
                # a drawing that cannot be decoded must be skipped, never stop a data build.
                raise PictureError(
                    "broken", f"cannot decode it ({type(exc).__name__}: {exc})"
                ) from exc


def lightness_of(picture: Image.Image) -> np.ndarray:
    """A Pillow picture of any mode as lightness ``(H, W)`` float32 in [0, 1].

    - 1, L, P, RGB, CMYK, YCbCr, LAB, HSV ...: Pillow's own conversion to 8-bit grey.
    - I;16 (16-bit PNG/TIFF): divided by 65 535. I and F have no declared range: values
      within [0, 1], [0, 255] or [0, 65 535] are taken as that range, anything else is
      stretched from its minimum to its maximum. Non-finite samples are transparent.
    - Transparency (an alpha channel, a PNG/GIF transparent colour or palette entry) is
      paper: the picture is composited onto white, or onto black when its opaque part is
      light ink (see :data:`LIGHT_INK_DARK_SHARE`).

    Raises:
        ValueError: a mode Pillow cannot convert to grey.
    """
    alpha: np.ndarray | None = None
    transparency = picture.info.get("transparency")
    if picture.mode in DEEP_MODES:
        values = np.asarray(picture).astype(np.float64)
        opaque = np.isfinite(values)
        if isinstance(transparency, (int, float)):
            opaque &= values != transparency
        light = _deep_to_unit(values, opaque, 65535.0 if picture.mode.startswith("I;16") else None)
        if not opaque.all():
            alpha = opaque.astype(np.float32)
    elif picture.mode in ALPHA_MODES or transparency is not None:
        grey_alpha = np.asarray(picture.convert("LA"), np.float32) / 255.0
        light, alpha = grey_alpha[..., 0], grey_alpha[..., 1]
    else:
        try:
            grey = picture.convert("L")
        except ValueError:
            grey = picture.convert("RGB").convert("L")
        light = np.asarray(grey, np.float32) / 255.0
    if alpha is not None:
        light = _composite_on_paper(light, alpha)
    return np.ascontiguousarray(light, np.float32)


def _deep_to_unit(values: np.ndarray, opaque: np.ndarray, full: float | None) -> np.ndarray:
    """Wide integer or float samples → [0, 1] (see :func:`lightness_of`); ``full`` is the
    mode's declared full scale (65 535 for I;16), None when the mode has none."""
    valid = values[opaque]
    if valid.size == 0:
        return np.ones(values.shape, np.float32)
    lo, hi = float(valid.min()), float(valid.max())
    if full is not None:
        scale, offset = full, 0.0
    elif lo >= 0.0 and hi <= 1.0:
        scale, offset = 1.0, 0.0
    elif lo >= 0.0 and hi <= 255.0:
        scale, offset = 255.0, 0.0
    elif lo >= 0.0 and hi <= 65535.0:
        scale, offset = 65535.0, 0.0
    else:
        scale, offset = max(hi - lo, 1e-12), lo
    unit = np.where(opaque, (np.nan_to_num(values) - offset) / scale, 1.0)
    return np.clip(unit, 0.0, 1.0).astype(np.float32)


def _composite_on_paper(light: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Put a partly transparent picture on paper: white, unless the opaque part is light."""
    coverage = float(alpha.sum())
    if coverage == 0.0:
        return np.ones_like(light)
    dark_share = float((alpha * (light < 0.5)).sum()) / coverage
    paper = 1.0 if dark_share >= LIGHT_INK_DARK_SHARE else 0.0
    return (light * alpha + paper * (1.0 - alpha)).astype(np.float32)
