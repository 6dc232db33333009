"""Glyphs from a system font: the "unicode alphabets" training set.

The seed suggested training on any image set, with unicode alphabets as the example. We
render characters from several scripts and symbol blocks with the DejaVu fonts (shipped by
most Linux distributions; any TrueType font works) as 64×64 ink fields, white on black, the
glyph scaled to fill a random 55–85 % of the frame so size varies as in the squiggle set.
Codepoints the font lacks are skipped by comparing against its "missing glyph" box.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

#: Where Debian/Ubuntu put DejaVu; override with ``font_paths``.
DEJAVU_DIR = Path("/usr/share/fonts/truetype/dejavu")
DEFAULT_FONTS: tuple[str, ...] = (
    "DejaVuSans.ttf",
    "DejaVuSerif.ttf",
    "DejaVuSans-Bold.ttf",
    "DejaVuSansMono.ttf",
    "DejaVuSerif-Italic.ttf",
)

#: Unicode ranges sampled: Latin, Greek, Cyrillic, Armenian, Hebrew, Arabic, Georgian,
#: Cherokee, Canadian syllabics, Runic, Ogham, arrows, maths, technical, dingbats.
SCRIPT_RANGES: tuple[tuple[int, int], ...] = (
    (0x0041, 0x005A),
    (0x0061, 0x007A),
    (0x0391, 0x03C9),
    (0x0410, 0x044F),
    (0x0531, 0x0556),
    (0x05D0, 0x05EA),
    (0x0627, 0x064A),
    (0x10D0, 0x10F0),
    (0x13A0, 0x13F4),
    (0x1401, 0x1676),
    (0x16A0, 0x16EA),
    (0x1680, 0x169C),
    (0x2190, 0x21FF),
    (0x2200, 0x22FF),
    (0x2300, 0x23FF),
    (0x2700, 0x27BF),
)


class GlyphFontError(FileNotFoundError):
    """No usable font was found for the glyph set."""


def _fonts(font_paths: list[Path] | None) -> list[Path]:
    paths = font_paths or [DEJAVU_DIR / name for name in DEFAULT_FONTS]
    found = [p for p in paths if p.is_file()]
    if not found:
        raise GlyphFontError(
            f"no font found among {[str(p) for p in paths]}; install fonts-dejavu-core "
            "(apt) or pass a TrueType font path"
        )
    return found


def _render(char: str, font: ImageFont.FreeTypeFont, size: int, fill: float) -> np.ndarray:
    """Draw ``char`` large, crop to its ink, and fit it into ``fill`` of a size² frame."""
    big = Image.new("L", (256, 256), 0)
    ImageDraw.Draw(big).text((128, 128), char, fill=255, font=font, anchor="mm")
    box = big.getbbox()
    if box is None:
        return np.zeros((size, size), np.float32)
    glyph = big.crop(box)
    scale = fill * size / max(glyph.width, glyph.height)
    w, h = max(1, round(glyph.width * scale)), max(1, round(glyph.height * scale))
    glyph = glyph.resize((w, h), Image.Resampling.LANCZOS)
    frame = Image.new("L", (size, size), 0)
    frame.paste(glyph, ((size - w) // 2, (size - h) // 2))
    return np.asarray(frame, dtype=np.float32) / 255.0


@lru_cache(maxsize=16)
def available_codepoints(font_path: Path) -> tuple[int, ...]:
    """Codepoints of :data:`SCRIPT_RANGES` that ``font_path`` draws (not as its notdef box).
    Cached: scanning a font takes about a second."""
    font = ImageFont.truetype(str(font_path), 160)
    missing = np.asarray(font.getmask(chr(0x10FFFD)), dtype=np.uint8)
    out = []
    for lo, hi in SCRIPT_RANGES:
        for code in range(lo, hi + 1):
            mask = np.asarray(font.getmask(chr(code)), dtype=np.uint8)
            if mask.size == 0 or not mask.any():
                continue
            if mask.shape == missing.shape and np.array_equal(mask, missing):
                continue
            out.append(code)
    return tuple(out)


def glyph_set(
    count: int,
    *,
    seed: int = 0,
    start: int = 0,
    size: int = 64,
    font_paths: list[Path] | None = None,
) -> tuple[np.ndarray, list[dict[str, object]]]:
    """Render glyphs ``start .. start+count-1`` of a seeded shuffle of (font, codepoint).

    Returns (count, size, size) float32 ink fields in [0, 1] and, per image, the font,
    codepoint and fill used. Disjoint ``start`` ranges give disjoint sets as long as
    ``start+count`` stays below the number of available pairs (it wraps beyond that).
    """
    fonts = _fonts(font_paths)
    pairs = [(f, c) for f in fonts for c in available_codepoints(f)]
    if not pairs:
        raise GlyphFontError(f"fonts {fonts} draw none of the sampled scripts")
    order = np.random.default_rng([seed, 0x61]).permutation(len(pairs))
    loaded: dict[Path, ImageFont.FreeTypeFont] = {}
    images = np.zeros((count, size, size), np.float32)
    meta: list[dict[str, object]] = []
    for i in range(count):
        index = start + i
        font_path, code = pairs[int(order[index % len(pairs)])]
        fill = float(np.random.default_rng([seed, index, 0x62]).uniform(0.55, 0.85))
        font = loaded.setdefault(font_path, ImageFont.truetype(str(font_path), 160))
        images[i] = _render(chr(code), font, size, fill)
        meta.append({"index": index, "font": font_path.name, "codepoint": code, "fill": fill})
    return images, meta
